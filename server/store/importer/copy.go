package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"confab/server/store"
)

// copier copies tables from the SQLite snapshot src to PostgreSQL dst.
type copier struct {
	o   Options
	src *sql.Tx
	dst *sql.DB
	// replaced counts the values with bytes PostgreSQL's text cannot hold.
	replaced int
}

func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
}

// checkTarget makes sure PostgreSQL has the table with every column the
// SQLite one has (its schema may be older than the source's).
func (c *copier) checkTarget(ctx context.Context, t table) error {
	cols, err := strings1(ctx, c.dst, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, t.name)
	if err != nil {
		return fmt.Errorf("read the PostgreSQL schema: %w", err)
	}
	if len(cols) == 0 {
		return fmt.Errorf("the PostgreSQL database has no table %s: its schema is older than this build's", t.name)
	}
	for _, col := range t.columns {
		if !slices.Contains(cols, col) {
			return fmt.Errorf("the PostgreSQL table %s has no column %s: its schema is older than this build's", t.name, col)
		}
	}
	return nil
}

// copyTable copies t chunk by chunk in key order and returns the rows it
// inserted. With an integer key, rows up to the highest id already in
// PostgreSQL are skipped when both sides hold as many of them (an earlier
// run copied them: its chunks commit in key order).
func (c *copier) copyTable(ctx context.Context, t table, intKey bool) (int64, error) {
	var after []any
	if intKey {
		var err error
		if after, err = c.resumePoint(ctx, t); err != nil {
			return 0, err
		}
	}
	keyAt := make([]int, len(t.key))
	for i, k := range t.key {
		keyAt[i] = slices.Index(t.columns, k)
	}
	perChunk := max(1, min(c.o.ChunkRows, 60000/(len(t.columns)+1))) // PostgreSQL takes 65535 parameters at most (+1: text_search)
	sel := `SELECT ` + quoteAll(t.columns) + ` FROM ` + quote(t.name)
	order := ` ORDER BY ` + quoteAll(t.key) + ` LIMIT ` + strconv.Itoa(perChunk)
	var copied, read int64
	for chunk := 1; ; chunk++ {
		q, args := sel+order, []any(nil)
		if after != nil { // keyset: the rows after the last one read
			q = sel + ` WHERE (` + quoteAll(t.key) + `) > (` + strings.TrimSuffix(strings.Repeat("?, ", len(t.key)), ", ") + `)` + order
			args = after
		}
		rows, err := readRows(ctx, c.src, q, args, len(t.columns))
		if err != nil {
			return copied, fmt.Errorf("read %s from SQLite: %w", t.name, err)
		}
		if len(rows) == 0 {
			break
		}
		n, err := c.insert(ctx, t, rows)
		if err != nil {
			return copied, fmt.Errorf("copy %s (chunk %d): %w", t.name, chunk, err)
		}
		copied += n
		read += int64(len(rows))
		last := rows[len(rows)-1]
		after = make([]any, len(keyAt))
		for i, at := range keyAt {
			after[i] = last[at]
		}
		if c.o.afterChunk != nil {
			c.o.afterChunk()
		}
		if chunk%20 == 0 {
			fmt.Fprintf(c.o.Progress, "%s: %d rows read so far\n", t.name, read)
		}
	}
	fmt.Fprintf(c.o.Progress, "%s: %d rows read, %d new\n", t.name, read, copied)
	return copied, nil
}

// resumePoint is the id to copy t after: the highest one in PostgreSQL
// when every row up to it is there, else nil (from the start).
func (c *copier) resumePoint(ctx context.Context, t table) ([]any, error) {
	k, name := quote(t.key[0]), quote(t.name)
	var top sql.NullInt64
	if err := c.dst.QueryRowContext(ctx, `SELECT MAX(`+k+`) FROM `+name).Scan(&top); err != nil {
		return nil, fmt.Errorf("read %s in PostgreSQL: %w", t.name, err)
	}
	if !top.Valid {
		return nil, nil
	}
	var there, here int64
	if err := c.dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+name+` WHERE `+k+` <= $1`, top.Int64).Scan(&there); err != nil {
		return nil, fmt.Errorf("count %s in PostgreSQL: %w", t.name, err)
	}
	if err := c.src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+name+` WHERE `+k+` <= ?`, top.Int64).Scan(&here); err != nil {
		return nil, fmt.Errorf("count %s in SQLite: %w", t.name, err)
	}
	if there != here {
		return nil, nil
	}
	fmt.Fprintf(c.o.Progress, "%s: %d rows were copied before; going on after id %d\n", t.name, there, top.Int64)
	return []any{top.Int64}, nil
}

// readRows reads a chunk of rows as the driver gives their values.
func readRows(ctx context.Context, q querier, query string, args []any, ncol int) ([][]any, error) {
	rs, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		vals := make([]any, ncol)
		ptrs := make([]any, ncol)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rs.Err()
}

// insert writes rows into t in one transaction; rows already there (by any
// key or unique constraint) are left as they are.
func (c *copier) insert(ctx context.Context, t table, rows [][]any) (int64, error) {
	var b strings.Builder
	text := searchText(t)
	cols := quoteAll(t.columns)
	if text >= 0 {
		cols += `, text_search`
	}
	b.WriteString(`INSERT INTO ` + quote(t.name) + ` (` + cols + `) VALUES `)
	args := make([]any, 0, len(rows)*(len(t.columns)+1))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, v := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, c.storable(v))
			b.WriteString("$" + strconv.Itoa(len(args)))
		}
		if text >= 0 { // the words of the text as stored, as the store indexes them
			s, _ := args[len(args)-len(r)+text].(string)
			args = append(args, store.FoldForSearch(s))
			b.WriteString(", " + store.SearchWordsSQL("$"+strconv.Itoa(len(args))))
		}
		b.WriteByte(')')
	}
	b.WriteString(` ON CONFLICT DO NOTHING`)
	tx, err := c.dst.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// searchText is the index of the messages' text among t's columns, whose
// words PostgreSQL keeps in text_search (set by whoever writes the text:
// store/postgres_search.go); -1 for the other tables.
func searchText(t table) int {
	if t.name != "messages" {
		return -1
	}
	return slices.Index(t.columns, "text")
}

// storable is v as PostgreSQL's text takes it: a NUL or a byte that is not
// UTF-8 (SQLite keeps any) becomes U+FFFD, as the store does on PostgreSQL
// (postgres_conn.go), and is counted.
func (c *copier) storable(v any) any {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte: // text SQLite stored as a blob
		s = string(v)
	default:
		return v
	}
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	c.replaced++
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// setSequence moves the sequence of t's id past the highest id SQLite
// ever gave (AUTOINCREMENT never gives one twice, even after a deletion),
// so the next row PostgreSQL makes has a new id.
func (c *copier) setSequence(ctx context.Context, t table) error {
	var seq sql.NullString
	if err := c.dst.QueryRowContext(ctx, `SELECT pg_get_serial_sequence($1, $2)`, quote(t.name), t.key[0]).Scan(&seq); err != nil {
		return fmt.Errorf("find the id sequence of %s: %w", t.name, err)
	}
	if !seq.Valid {
		return nil // ids not made by PostgreSQL (attachments' are messages')
	}
	var top sql.NullInt64
	if err := c.dst.QueryRowContext(ctx, `SELECT MAX(`+quote(t.key[0])+`) FROM `+quote(t.name)).Scan(&top); err != nil {
		return fmt.Errorf("read %s in PostgreSQL: %w", t.name, err)
	}
	var given int64
	err := c.src.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, t.name).Scan(&given)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read the last id SQLite gave in %s: %w", t.name, err)
	}
	hi := max(top.Int64, given)
	if hi < 1 {
		return nil
	}
	if _, err := c.dst.ExecContext(ctx, `SELECT setval($1, $2)`, seq.String, hi); err != nil {
		return fmt.Errorf("set the id sequence of %s: %w", t.name, err)
	}
	fmt.Fprintf(c.o.Progress, "%s: new ids start after %d\n", t.name, hi)
	return nil
}

// count is t's rows on both sides.
func (c *copier) count(ctx context.Context, t table) (Count, error) {
	n := Count{Table: t.name}
	if err := c.src.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(t.name)).Scan(&n.SQLite); err != nil {
		return n, fmt.Errorf("count %s in SQLite: %w", t.name, err)
	}
	if err := c.dst.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(t.name)).Scan(&n.Postgres); err != nil {
		return n, fmt.Errorf("count %s in PostgreSQL: %w", t.name, err)
	}
	return n, nil
}
