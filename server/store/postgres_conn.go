package store

import (
	"context"
	"database/sql/driver"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/stdlib"
)

// The store's SQL is written once, with SQLite's ? placeholders. On
// PostgreSQL every statement goes through pgConn, which rewrites them to
// $1, $2, ... (once per query text: the rewrite is cached) and passes Go
// bools as 0/1, as SQLite stores them: both engines keep flags in integer
// columns, so one SQL text compares them with 1.

// pgConnector opens rewriting connections.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	inner, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{inner.(*stdlib.Conn)}, nil
}

// pgConn is a pgx connection that takes ? placeholders.
type pgConn struct{ *stdlib.Conn }

func (c pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue passes a bool as 0 or 1, a string with NUL characters or
// bytes that are not UTF-8 with those replaced by U+FFFD (PostgreSQL's text
// holds neither, and refusing it would fail a whole batch of messages for
// one sender's "\u0000"), and everything else as it is.
func (c pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case bool:
		nv.Value = int64(0)
		if v {
			nv.Value = int64(1)
		}
	case string:
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			nv.Value = strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
	return c.Conn.CheckNamedValue(nv)
}

var rebound sync.Map // query text → its $n form

// rebind rewrites the ? placeholders of query to $1, $2, ... in order,
// leaving those inside quoted strings or identifiers alone.
func rebind(query string) string {
	if r, ok := rebound.Load(query); ok {
		return r.(string)
	}
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte // the quote we are inside, or 0
	for i := 0; i < len(query); i++ {
		ch := query[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0 // a doubled quote closes and reopens: the same text
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(ch)
	}
	r := b.String()
	rebound.Store(query, r)
	return r
}
