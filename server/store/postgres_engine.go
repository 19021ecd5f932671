package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Advisory lock keys of the store on PostgreSQL (one number each, shared by
// every node on the database; the cluster package keeps keys of its own).
const (
	// LockSchema is held (session lock) while migrations run at start, so
	// two nodes starting together do not migrate at once.
	LockSchema int64 = 0x636f6e666162_0001
	// LockMessages is taken by the writer's transaction before it inserts
	// (a transaction lock, released by its commit): the message ids of
	// every node are assigned in commit order, so "every message with an id
	// above N" never skips one still to commit.
	LockMessages int64 = 0x636f6e666162_0002
	// LockWrites is taken by the other write transactions (accounts,
	// conversations, edits, administration): they take turns across nodes
	// as they do in SQLite, so their checks hold (the last administrator,
	// a group's size, a reaction toggled twice at once).
	LockWrites int64 = 0x636f6e666162_0003
)

// pgMaxConns is the most connections a node opens; a site's max_connections
// must cover this times the nodes, plus the cluster's listeners.
const pgMaxConns = 16

// pgEngine is PostgreSQL, through pgx's database/sql driver.
type pgEngine struct{}

// openPostgres connects to the database at url and migrates it.
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// Not err: its text may quote the URL, password and all.
		return nil, fmt.Errorf("database URL %s: not a PostgreSQL connection URL pgx can read", Redact(url))
	}
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxOpenConns(pgMaxConns)
	db.SetMaxIdleConns(pgMaxConns)
	db.SetConnMaxIdleTime(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := migratePostgres(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migratePostgres applies pgMigrations under the schema lock; the version
// is in schema_version.
func migratePostgres(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx) // the session lock belongs to one connection
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, LockSchema); err != nil {
		return fmt.Errorf("lock the schema: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, LockSchema) //nolint:errcheck // ends with the session anyway
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	var version int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(pgMigrations) {
		return fmt.Errorf("database schema version %d is newer than this build supports (%d): upgrade Confab", version, len(pgMigrations))
	}
	for i := version; i < len(pgMigrations); i++ {
		if err := pgMigrate(ctx, conn, i+1); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	return nil
}

// pgMigrate applies migration n (from 1) and records it, in one transaction.
func pgMigrate(ctx context.Context, conn *sql.Conn, n int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if _, err := tx.ExecContext(ctx, pgMigrations[n-1]); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version) VALUES(?)`, n); err != nil {
		return err
	}
	return tx.Commit()
}

// probe writes the schema version back as it is: a commit the server logs.
func (pgEngine) probe(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `UPDATE schema_version SET version = version`)
	return err
}

// failing: the connection or the server failed, not the statement. An
// error from PostgreSQL says which by its class; any other (a refused or
// lost connection, a closed one, a timeout) is the connection's, but for
// the answers that are no failure.
func (pgEngine) failing(err error) bool {
	var pe *pgconn.PgError
	switch {
	case err == nil, errors.Is(err, sql.ErrNoRows), errors.Is(err, sql.ErrTxDone), errors.Is(err, context.Canceled):
		return false
	case errors.As(err, &pe):
		switch pe.Code[:2] {
		case "08", "53", "57", "58", "XX": // connection, resources, shut down, system, internal
			return true
		}
		return false
	}
	return true
}

// retryable: the database failed, and not while committing (a commit whose
// answer was lost may have happened: its senders are told it failed, and a
// message sent again under its clientId is found, not stored twice).
func (e pgEngine) retryable(err error) bool {
	var ce *commitError
	return e.failing(err) && !errors.As(err, &ce)
}

func (pgEngine) unique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (pgEngine) lockWrites(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, LockWrites)
	return err
}

func (pgEngine) lockMessages(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, LockMessages)
	return err
}

func (pgEngine) roomList(column, list string) (string, any) {
	return column + ` IN (SELECT json_array_elements_text(CAST(? AS json)))`, list
}
