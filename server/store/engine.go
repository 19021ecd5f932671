package store

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
)

// engine is what differs between the two databases the store runs on:
// SQLite in a data directory (sqlite_*.go) and PostgreSQL (postgres_*.go).
// Everything else is one set of SQL (written with ? placeholders, which the
// PostgreSQL connection rewrites to $n) and one contract.
type engine interface {
	// probe makes a tiny write that changes nothing, for Health.
	probe(ctx context.Context, db *sql.DB) error
	// failing tells whether err is the database failing (a disk, a lost
	// connection), not a refusal of what was asked (a taken name).
	failing(err error) bool
	// retryable tells whether a batch of messages that failed with err may
	// be tried again: it certainly did not commit, and may work later.
	retryable(err error) bool
	// unique tells whether err is a violated UNIQUE constraint.
	unique(err error) bool
	// lockWrites is run first in every write transaction but the writer's:
	// PostgreSQL takes the global write lock (several nodes write), SQLite
	// nothing (its transactions begin IMMEDIATE: writers take turns).
	lockWrites(ctx context.Context, tx *sql.Tx) error
	// lockMessages is run first in the writer's transaction, so message
	// ids are assigned in commit order (LockMessages, postgres_engine.go).
	lockMessages(ctx context.Context, tx *sql.Tx) error
	// searchWords is what a write of a message's text also sets for search:
	// a column and its SQL value with one argument (PostgreSQL's
	// text_search), or column "" when the engine indexes by itself
	// (SQLite's FTS5 triggers).
	searchWords(text string) (column, value string, arg any)
	// match is the search for messages holding every term (search.go).
	match(ctx context.Context, db *sql.DB, terms []string) (searchMatch, bool, error)
	// roomList is a condition "column is one of rooms" with its one
	// argument, for more rooms than fit as parameters.
	roomList(column, list string) (string, any)
}

// IsPostgres tells whether a Database setting names a PostgreSQL database
// (postgres:// or postgresql://); "" is SQLite in the data directory.
func IsPostgres(database string) bool {
	d := strings.ToLower(database)
	return strings.HasPrefix(d, "postgres://") || strings.HasPrefix(d, "postgresql://")
}

// Redact returns a database URL with its password removed, for logs and
// errors. A value that is not a URL that parses is returned as
// "(unparsable URL)", lest it hold a password in another form.
func Redact(database string) string {
	if database == "" {
		return ""
	}
	u, err := url.Parse(database)
	if err != nil || u.Scheme == "" {
		return "(unparsable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Postgres tells whether the store is on PostgreSQL.
func (s *Store) Postgres() bool { return s.database != "" }

// DatabaseURL is the PostgreSQL URL the store was opened with ("" for
// SQLite). It may hold a password: log Redact(url), never the URL.
func (s *Store) DatabaseURL() string { return s.database }
