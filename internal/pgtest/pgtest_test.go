package pgtest

import (
	"database/sql"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// A database from DB takes writes; two are apart.
func TestDBsAreEmptyAndApart(t *testing.T) {
	t.Parallel()
	a, b := DB(t), DB(t)
	if a == b {
		t.Fatal("two tests got the same database")
	}
	db, err := sql.Open("pgx", a)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE x(id BIGINT); INSERT INTO x VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	other, _ := sql.Open("pgx", b)
	defer other.Close()
	var n int
	if err := other.QueryRow(`SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("second database sees the first's table: n=%d err=%v", n, err)
	}
}

// A server of a test's own keeps its data across a kill and a restart.
func TestKillAndRestartKeepData(t *testing.T) {
	t.Parallel()
	in := Start(t)
	dsn := in.NewDB(t)
	db, _ := sql.Open("pgx", dsn)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE x(id BIGINT); INSERT INTO x VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	in.Kill()
	if err := db.Ping(); err == nil {
		t.Fatal("ping after kill succeeded")
	}
	if err := in.Restart(); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.QueryRow(`SELECT id FROM x`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("after restart: v=%d err=%v", v, err)
	}
}

// A kill leaves no backend behind: one still serving a pooled connection
// answered a Ping after the kill (CI, TestKillAndRestartKeepData).
func TestKillLeavesNoBackend(t *testing.T) {
	t.Parallel()
	in := Start(t)
	db, _ := sql.Open("pgx", in.NewDB(t))
	defer db.Close()
	if err := db.Ping(); err != nil { // a backend of its own, idle in the pool
		t.Fatal(err)
	}
	in.mu.Lock()
	backends := childrenOf(in.cmd.Process.Pid)
	in.mu.Unlock()
	if len(backends) == 0 {
		t.Fatal("no backend found under the postmaster")
	}
	in.Kill()
	for _, pid := range backends {
		if state, _, ok := procStat(pid); ok && state != "Z" {
			t.Errorf("backend %d still runs after Kill (state %s)", pid, state)
		}
	}
}
