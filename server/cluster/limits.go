package cluster

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"
)

// Limits are token buckets shared by every node: a login throttle or a
// user's message rate holds for the cluster, not per node (with three
// nodes, a per-node bucket would let three times the attempts through).
// A bucket is one row, refilled and taken from in one statement, on the
// database's clock.
type Limits struct{ db *sql.DB }

// NewLimits uses db (the bus's pool) for the buckets.
func NewLimits(db *sql.DB) *Limits { return &Limits{db: db} }

// take refills the bucket by the time passed and takes one token if there
// is one; no row comes back when there is none.
const take = `
INSERT INTO cluster_limits AS l (key, tokens, at) VALUES ($1, $2 - 1, clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
	tokens = LEAST($2, l.tokens + EXTRACT(EPOCH FROM clock_timestamp() - l.at) * $3) - 1,
	at = clock_timestamp()
WHERE LEAST($2, l.tokens + EXTRACT(EPOCH FROM clock_timestamp() - l.at) * $3) >= 1
RETURNING tokens`

// Take takes a token from key's bucket (burst tokens, refilled at perSec).
// When there is none, wait says how long until there is.
func (l *Limits) Take(ctx context.Context, key string, burst int, perSec float64) (ok bool, wait time.Duration, err error) {
	var left float64
	err = l.db.QueryRowContext(ctx, take, key, float64(burst), perSec).Scan(&left)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, err
	}
	var tokens float64
	err = l.db.QueryRowContext(ctx, `SELECT LEAST($2, tokens + EXTRACT(EPOCH FROM clock_timestamp() - at) * $3)
		FROM cluster_limits WHERE key = $1`, key, float64(burst), perSec).Scan(&tokens)
	if err != nil {
		return false, time.Second, nil
	}
	secs := math.Max((1-tokens)/perSec, 0.001)
	return false, time.Duration(secs * float64(time.Second)), nil
}

// GiveBack returns a token taken from key's bucket: what it was taken for
// does not count (a login that succeeded).
func (l *Limits) GiveBack(ctx context.Context, key string, burst int) error {
	_, err := l.db.ExecContext(ctx, `UPDATE cluster_limits SET tokens = LEAST($2, tokens + 1) WHERE key = $1`, key, float64(burst))
	return err
}

// Sweep forgets buckets full for a while (they hold nothing a new bucket
// would not); olderThan must exceed the time a bucket takes to refill.
func (l *Limits) Sweep(ctx context.Context, olderThan time.Duration) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM cluster_limits WHERE at < clock_timestamp() - make_interval(secs => $1)`, olderThan.Seconds())
	return err
}
