package store

import (
	"database/sql"
	"runtime"
	"testing"

	"confab/internal/need"
	"confab/internal/pgtest"
)

// BenchmarkAckedMessages measures messages acknowledged per second by 64
// concurrent senders on each engine, side by side: SQLite in a directory,
// and PostgreSQL on a server of the benchmark's own with fsync switched
// back on (the tests' servers run without it), so both sync every commit
// as a site's would.
func BenchmarkAckedMessages(b *testing.B) {
	engines := []struct {
		name  string
		where func(testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return t.TempDir() }},
		{"postgres", syncedPostgres},
	}
	for _, eng := range engines {
		b.Run(eng.name, func(b *testing.B) {
			s := open(b, eng.where(b))
			defer s.Close()
			sendAcked(b, s, max(1, 64/runtime.GOMAXPROCS(0))) // 64 senders
		})
	}
}

// syncedPostgres is a new database on a server of the caller's own that
// syncs its commits to disk (pgtest.NewDurable).
func syncedPostgres(t testing.TB) string {
	if _, err := pgtest.BinDir(); err != nil {
		need.Tool(t, pgtest.Install)
	}
	in, err := pgtest.NewDurable()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Remove)
	dsn := in.NewDB(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fsync string
	if err := db.QueryRow(`SHOW fsync`).Scan(&fsync); err != nil || fsync != "on" {
		t.Fatalf("fsync %q %v", fsync, err)
	}
	return dsn
}
