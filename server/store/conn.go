package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"sync/atomic"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A connection SQLite opens while the disk refuses writes stays read-only
// for the rest of its life: when open(2) for reading and writing fails, its
// unix VFS opens the file read-only instead (unixOpen) and every later write
// on the connection fails with SQLITE_READONLY, whatever the disk does
// meanwhile. database/sql kept such a connection in its pool and, reusing the
// most recently used connection first, handed it to the writer again and
// again: writes failed for as long as traffic went on, until a minute without
// any (the pool's idle timeout) closed it. Connections are therefore wrapped:
// one opened read-only, or one that failed with a disk error, is closed when
// it is released instead of going back to the pool (driver.Validator), so the
// next statement gets a connection opened afresh.

// connector opens wrapped connections.
type connector struct{ driver.Connector }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	w := &conn{Conn: inner}
	if ro, ok := inner.(interface{ IsReadOnly(string) (bool, error) }); ok {
		if readOnly, err := ro.IsReadOnly("main"); err == nil && readOnly {
			w.broken.Store(true) // serves what it was opened for, then is closed
		}
	}
	return w, nil
}

// conn is a pooled connection that remembers a disk error.
type conn struct {
	driver.Conn
	broken atomic.Bool
}

// note marks the connection broken after a disk error, and returns err.
func (c *conn) note(err error) error {
	if IsDiskError(err) {
		c.broken.Store(true)
	}
	return err
}

// IsDiskError reports whether err is SQLite saying the disk failed it: a
// read-only file or directory, an I/O error, a file it cannot open, or a
// full disk.
func IsDiskError(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary result code of an extended one
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL:
		return true
	}
	return false
}

// IsValid is asked before the connection goes back to the pool.
func (c *conn) IsValid() bool {
	if c.broken.Load() {
		return false
	}
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// ResetSession is called before a pooled connection is used again.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.broken.Load() {
		return driver.ErrBadConn
	}
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.Conn.(driver.ConnBeginTx)
	if !ok {
		return nil, errors.New("store: the sqlite driver cannot begin a transaction with a context")
	}
	t, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.note(err)
	}
	return tx{t, c}, nil
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		s, err := p.PrepareContext(ctx, query)
		return s, c.note(err)
	}
	s, err := c.Conn.Prepare(query)
	return s, c.note(err)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := e.ExecContext(ctx, query, args)
	return r, c.note(err)
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	r, err := q.QueryContext(ctx, query, args)
	return r, c.note(err)
}

func (c *conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return c.note(p.Ping(ctx))
	}
	return nil
}

// tx notes the disk errors of COMMIT and ROLLBACK.
type tx struct {
	driver.Tx
	c *conn
}

func (t tx) Commit() error   { return t.c.note(t.Tx.Commit()) }
func (t tx) Rollback() error { return t.c.note(t.Tx.Rollback()) }
