package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"

	"confab/internal/pgtest"
)

// openPG opens a store on a PostgreSQL database.
func openPG(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := OpenWith(t.TempDir(), Options{Database: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Nodes starting together on a fresh database migrate it once: the schema
// lock makes the others wait, then find it done.
func TestPostgresConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DB(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenWith(t.TempDir(), Options{Database: dsn})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != len(pgMigrations) {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, version %d", rows, version, len(pgMigrations))
	}
	s := openPG(t, dsn)
	if !s.Postgres() || s.DatabaseURL() != dsn {
		t.Fatalf("Postgres() %v, DatabaseURL() %q", s.Postgres(), s.DatabaseURL())
	}
}

// A database migrated by a newer build is refused, as on SQLite.
func TestPostgresNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DB(t)
	openPG(t, dsn).Close()
	db, _ := sql.Open("pgx", dsn)
	defer db.Close()
	if _, err := db.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWith(t.TempDir(), Options{Database: dsn}); err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("opened a newer schema: %v", err)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                            `SELECT 1`,
		`a = ? AND b IN (?, ?)`:               `a = $1 AND b IN ($2, $3)`,
		`x = '?' AND y = ? AND "q?" = ?`:      `x = '?' AND y = $1 AND "q?" = $2`,
		`t = 'it''s ?' AND u = ?`:             `t = 'it''s ?' AND u = $1`,
		`SELECT ?, CAST(? AS BIGINT) LIMIT ?`: `SELECT $1, CAST($2 AS BIGINT) LIMIT $3`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"": "",
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgresql://u@h/db":                           "postgresql://u@h/db",
		"postgres://h/db?password=secret&x=1":           "postgres://h/db?password=xxxxx&x=1",
	} {
		if got := Redact(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := OpenWith(t.TempDir(), Options{Database: "mysql://u:secret@h/db"}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("a URL of another database: %v", err)
	}
}

// The basics on PostgreSQL: accounts, a message, its history.
func TestPostgresSmoke(t *testing.T) {
	t.Parallel()
	s := openPG(t, pgtest.DB(t))
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "Alice", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "aLICE", "h"); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	m, created, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: u.ID, AuthorName: "Alice", Text: "hi", ClientID: "c1"})
	if err != nil || !created || m.ID == 0 {
		t.Fatalf("add: %+v %v %v", m, created, err)
	}
	again, created, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: u.ID, AuthorName: "Alice", Text: "hi", ClientID: "c1"})
	if err != nil || created || again.ID != m.ID {
		t.Fatalf("again: %+v %v %v", again, created, err)
	}
	h, err := s.History(ctx, Page{Room: "general", Limit: 10})
	if err != nil || len(h) != 1 || h[0].Text != "hi" || h[0].AuthorRemoved {
		t.Fatalf("history: %+v %v", h, err)
	}
	if ok, err := s.IsAdmin(ctx, u.ID); err != nil || !ok {
		t.Fatalf("first account admin: %v %v", ok, err)
	}
	if err := s.Health(); err != nil {
		t.Fatal(err)
	}
}
