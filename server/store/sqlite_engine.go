package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// sqliteEngine is the embedded default: one file in the data directory.
type sqliteEngine struct{}

// openSQLite opens (creating if needed) the database in dir and migrates it.
func openSQLite(dir string) (*sql.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	// Created 0600 before SQLite opens it: the -wal and -shm files copy its mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("create database file: %w", err)
	} else {
		f.Close()
	}
	// FULL synchronous: a commit is on disk before we acknowledge it.
	// busy_timeout covers the rare moment readers and the writer meet on a checkpoint.
	// secure_delete: a deleted message's text is zeroed, not left in free pages.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(ON)&_pragma=secure_delete(ON)&_txlock=immediate"
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sql.OpenDB(connector{c}) // see conn.go: no connection stays broken
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// probe writes the schema version back as it is: one page written to the
// log and synced, and nothing changed.
func (sqliteEngine) probe(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		return err
	}
	return tx.Commit()
}

// searchWords: FTS5's triggers index the text (search.go).
func (sqliteEngine) searchWords(string) (string, string, any) { return "", "", nil }

func (sqliteEngine) failing(err error) bool   { return IsDiskError(err) }
func (sqliteEngine) retryable(err error) bool { return IsDiskError(err) }
func (sqliteEngine) unique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
func (sqliteEngine) lockWrites(context.Context, *sql.Tx) error   { return nil }
func (sqliteEngine) lockMessages(context.Context, *sql.Tx) error { return nil }

func (sqliteEngine) roomList(column, list string) (string, any) {
	return column + ` IN (SELECT value FROM json_each(?))`, list
}

// match for SQLite: the FTS5 index, walked newest first.
func (sqliteEngine) match(_ context.Context, _ *sql.DB, terms []string) (searchMatch, bool, error) {
	return searchMatch{
		from:  `messages_fts f JOIN messages m ON m.id = f.rowid`,
		order: `f.rowid`, // FTS5 walks its matches newest first and stops at the limit
		cond:  `messages_fts MATCH ?`,
		arg:   ftsQuery(terms),
	}, true, nil
}
