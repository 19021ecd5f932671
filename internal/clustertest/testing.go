package clustertest

import (
	"os"
	"sync"
	"testing"

	"confab/internal/need"
	"confab/internal/pgtest"
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Confabd is a confabd binary built once per test binary (removed by
// Main, which the package's TestMain calls).
func Confabd(t testing.TB) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "confab-build-"); built.err == nil {
			built.path, built.err = Build(built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// Main runs the tests, then removes the binary Confabd built: call it from TestMain
// (os.Exit(clustertest.Main(m))).
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// Start runs a cluster for the test, stopped when it ends; a missing
// HAProxy or PostgreSQL skips the test (fails it under `make test`).
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if _, err := haproxyPath(); err != nil {
		need.Tool(t, InstallHAProxy)
	}
	if _, err := pgtest.BinDir(); err != nil {
		need.Tool(t, pgtest.Install)
	}
	if o.Confabd == "" {
		o.Confabd = Confabd(t)
	}
	if o.Log == nil {
		o.Log = t.Logf
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cluster logs:\n%s", c.Logs())
		}
		c.Close()
	})
	return c
}
