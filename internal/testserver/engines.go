package testserver

import (
	"testing"

	"confab/internal/pgtest"
	"confab/server"
)

// Engine is a database the real server runs on, for tests that run on both.
type Engine struct {
	Name string
	// Database is server.Config.Database for one server: "" (SQLite in its
	// data directory) or a new, empty PostgreSQL database.
	Database func(testing.TB) string
}

// Engines are SQLite and PostgreSQL. A package whose tests use PostgreSQL
// calls pgtest.Main from its TestMain (the shared server is stopped then).
var Engines = []Engine{
	{Name: "sqlite", Database: func(testing.TB) string { return "" }},
	{Name: "postgres", Database: pgtest.DB},
}

// StartPostgres is Start on a new PostgreSQL database.
func StartPostgres(t testing.TB, cfg server.Config) *Env {
	t.Helper()
	cfg.Database = pgtest.DB(t)
	return Start(t, cfg)
}
