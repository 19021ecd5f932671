package cluster

import (
	"context"
	"database/sql"
	"fmt"
)

// The cluster's own tables, beside the store's: which nodes are alive,
// who is online on each, and the limits that hold for the whole cluster.
// They are created by the first node to start, under an advisory lock of
// the cluster's own (two nodes starting together do not race), with a
// version row of their own.
const (
	schemaVersion = 1
	// schemaLock is the advisory lock key of the cluster's schema ("cnfbclst").
	schemaLock = 0x636e6662636c7374
)

var schema = []string{
	`CREATE TABLE IF NOT EXISTS cluster_version (version INTEGER NOT NULL)`,
	// seen_at is the database's clock: nodes' clocks need not agree.
	`CREATE TABLE IF NOT EXISTS cluster_nodes (
		node TEXT PRIMARY KEY,
		started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
		seen_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
	`CREATE TABLE IF NOT EXISTS cluster_presence (
		node TEXT NOT NULL,
		user_id BIGINT NOT NULL,
		username TEXT NOT NULL,
		PRIMARY KEY (node, user_id))`,
	`CREATE TABLE IF NOT EXISTS cluster_limits (
		key TEXT PRIMARY KEY,
		tokens DOUBLE PRECISION NOT NULL,
		at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())`,
}

// Migrate creates the cluster's tables if they are missing.
func Migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemaLock)); err != nil {
		return err
	}
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("cluster schema: %w", err)
		}
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM cluster_version`).Scan(&v); err != nil {
		return err
	}
	switch {
	case !v.Valid:
		if _, err := tx.ExecContext(ctx, `INSERT INTO cluster_version (version) VALUES ($1)`, schemaVersion); err != nil {
			return err
		}
	case v.Int64 > schemaVersion:
		return fmt.Errorf("cluster: the database's cluster tables are version %d, newer than this confabd (%d): upgrade it", v.Int64, schemaVersion)
	}
	return tx.Commit()
}
