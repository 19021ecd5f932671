package store

import (
	"testing"

	"confab/internal/pgtest"
)

// The store's contract holds on both engines: a test of it runs its body
// once per engine, as subtests "sqlite" and "postgres". fresh gives a new,
// empty place for a store, which open and openWith take: a directory for
// SQLite, a database's URL for PostgreSQL (each call a new database).
//
// The tests left to SQLite alone are about SQLite itself: its file's mode
// and what it leaves in it, a failing disk, databases of earlier releases
// (PostgreSQL's schema starts at this release's) and FTS5's internals.
func eachEngine(t *testing.T, test func(t *testing.T, fresh func() string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, func() string { return t.TempDir() })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, func() string { return pgtest.DB(t) })
	})
}

// at is where a store opens: a directory, or (a PostgreSQL URL) a
// database, with a directory of the test's own.
func at(t testing.TB, where string, o Options) (string, Options) {
	if IsPostgres(where) {
		o.Database = where
		return t.TempDir(), o
	}
	return where, o
}

// Each engine tells a violated UNIQUE constraint (a taken name: an answer)
// from a failing database.
func TestUniqueViolationIsNoFailure(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		const q = `INSERT INTO revoked_sessions(sid, expires_at) VALUES('x', 1)`
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
		_, err := s.db.Exec(q)
		if err == nil || !s.engine.unique(err) || s.engine.failing(err) || s.engine.retryable(err) {
			t.Fatalf("%v: unique %v, failing %v", err, s.engine.unique(err), s.engine.failing(err))
		}
	})
}
