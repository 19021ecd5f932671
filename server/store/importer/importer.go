// Package importer copies a Confab SQLite database into PostgreSQL, for a
// site that outgrows one machine (docs/import.md). The copy goes table by
// table in foreign-key order, in chunks of rows by primary key, each chunk
// one transaction inserting with ON CONFLICT DO NOTHING: a second run
// copies nothing twice, and a run that was cut off is finished by the next
// one. Then the id sequences are set past the highest ids, and the rows of
// every table are counted on both sides.
package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"confab/server/store"
)

// DefaultChunkRows is how many rows one transaction copies at most.
const DefaultChunkRows = 1000

// Options say what to import where.
type Options struct {
	// From is the SQLite database: its file (confab.db) or the data
	// directory that holds it.
	From string
	// Database is the PostgreSQL URL to import into. It may hold a
	// password: it is never printed whole.
	Database string
	// ChunkRows is how many rows one transaction copies (default
	// DefaultChunkRows).
	ChunkRows int
	// Progress receives one line per step ("": none). Lines name tables
	// and counts, never the URL's password.
	Progress io.Writer
	// afterChunk, for tests, is called after each committed chunk.
	afterChunk func()
}

// Count is one table's rows on both sides, after the import.
type Count struct {
	Table            string
	SQLite, Postgres int64
}

// Report is what an import did.
type Report struct {
	Counts []Count
	Copied int64 // rows this run inserted (0 when run again on a finished import)
}

// Mismatched lists the tables whose counts differ.
func (r Report) Mismatched() []string {
	var out []string
	for _, c := range r.Counts {
		if c.SQLite != c.Postgres {
			out = append(out, c.Table)
		}
	}
	return out
}

// WriteCounts prints the counts as a table.
func (r Report) WriteCounts(w io.Writer) {
	width := len("table")
	for _, c := range r.Counts {
		width = max(width, len(c.Table))
	}
	fmt.Fprintf(w, "%-*s  %10s  %10s\n", width, "table", "SQLite", "PostgreSQL")
	for _, c := range r.Counts {
		mark := ""
		if c.SQLite != c.Postgres {
			mark = "  differs"
		}
		fmt.Fprintf(w, "%-*s  %10d  %10d%s\n", width, c.Table, c.SQLite, c.Postgres, mark)
	}
}

// ErrCountsDiffer: the import ended with other counts on PostgreSQL than on
// SQLite (Report.Mismatched names the tables).
var ErrCountsDiffer = errors.New("the row counts of PostgreSQL and SQLite differ")

// Run imports o.From into o.Database. It refuses a SQLite database of
// another schema version than this build's. The report is filled as far
// as the import went; err is ErrCountsDiffer when the counts differ at the end.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.ChunkRows <= 0 {
		o.ChunkRows = DefaultChunkRows
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if !store.IsPostgres(o.Database) {
		return Report{}, fmt.Errorf("the database to import into must be a postgres:// or postgresql:// URL, not %q", store.Redact(o.Database))
	}
	src, path, err := openSource(ctx, o.From)
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	// One read transaction: the whole copy reads one snapshot of SQLite.
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return Report{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer stx.Rollback() //nolint:errcheck // read only
	if err := checkSource(ctx, stx, path); err != nil {
		return Report{}, err
	}
	tables, types, err := plan(ctx, stx)
	if err != nil {
		return Report{}, err
	}
	fmt.Fprintf(o.Progress, "importing %s (schema version %d) into %s\n", path, store.SchemaVersion, store.Redact(o.Database))
	dst, err := openTarget(ctx, o.Database)
	if err != nil {
		return Report{}, err
	}
	defer dst.Close()
	c := &copier{o: o, src: stx, dst: dst}
	var rep Report
	for _, t := range tables {
		if err := c.checkTarget(ctx, t); err != nil {
			return rep, err
		}
	}
	for _, t := range tables {
		n, err := c.copyTable(ctx, t, t.intKey(types[t.name]))
		rep.Copied += n
		if err != nil {
			return rep, err
		}
	}
	if c.replaced > 0 {
		fmt.Fprintf(o.Progress, "%d values held a NUL or bytes that are not UTF-8, which PostgreSQL cannot store: "+
			"they were copied with U+FFFD in their place, as the server stores them on PostgreSQL\n", c.replaced)
	}
	for _, t := range tables {
		if t.intKey(types[t.name]) {
			if err := c.setSequence(ctx, t); err != nil {
				return rep, err
			}
		}
	}
	for _, t := range tables {
		cnt, err := c.count(ctx, t)
		if err != nil {
			return rep, err
		}
		rep.Counts = append(rep.Counts, cnt)
	}
	if len(rep.Mismatched()) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrCountsDiffer, strings.Join(rep.Mismatched(), ", "))
	}
	fmt.Fprintf(o.Progress, "done: %d rows copied by this run; the counts of every table match\n", rep.Copied)
	return rep, nil
}

// openSource opens the SQLite database at from (a file, or a data
// directory) for reading only.
func openSource(ctx context.Context, from string) (*sql.DB, string, error) {
	if from == "" {
		return nil, "", errors.New("say which SQLite database to import (--from-sqlite PATH)")
	}
	path := from
	if fi, err := os.Stat(from); err == nil && fi.IsDir() {
		path = filepath.Join(from, store.DBFile)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, "", fmt.Errorf("no SQLite database at %s: %w", path, err)
	}
	// query_only: nothing this process does can change the source.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	return db, path, nil
}

// checkSource refuses a database of another schema version than this
// build's, and one whose rows break its own foreign keys (PostgreSQL would
// refuse them halfway).
func checkSource(ctx context.Context, q querier, path string) error {
	var version int
	if err := q.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("%s is not a SQLite database Confab can read: %w", path, err)
	}
	switch {
	case version < store.SchemaVersion:
		return fmt.Errorf("%s has schema version %d, this build's is %d: upgrade it first by starting "+
			"this release's confabd on it once (with --data-dir its folder, without --database), stop it, then import",
			path, version, store.SchemaVersion)
	case version > store.SchemaVersion:
		return fmt.Errorf("%s has schema version %d, newer than this build's (%d): import it with the release that wrote it",
			path, version, store.SchemaVersion)
	}
	bad, err := strings1(ctx, q, `SELECT DISTINCT "table" FROM pragma_foreign_key_check`)
	if err != nil {
		return fmt.Errorf("check the foreign keys of %s: %w", path, err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s has rows whose foreign keys name missing rows (tables %s; see PRAGMA foreign_key_check): "+
			"PostgreSQL would refuse them", path, strings.Join(bad, ", "))
	}
	return nil
}

// openTarget opens the PostgreSQL database through the store first, so its
// migrations run (under their lock), then directly for the copy.
func openTarget(ctx context.Context, url string) (*sql.DB, error) {
	st, err := store.OpenWith("", store.Options{Database: url})
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL database: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("open the PostgreSQL database: %w", err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL database %s: %w", store.Redact(url), err)
	}
	db.SetMaxOpenConns(2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to the PostgreSQL database %s: %w", store.Redact(url), err)
	}
	return db, nil
}
