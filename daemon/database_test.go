package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"confab/internal/pgtest"
	"confab/server/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// --database (else CONFAB_DATABASE) puts the chat on PostgreSQL; the flag
// wins over the environment, and the log names the engine and the URL
// without its password.
func TestDatabaseFlagAndEnvironment(t *testing.T) {
	dsn := pgtest.DB(t)
	// The test server trusts local connections: a password is accepted and ignored.
	withPassword := strings.Replace(dsn, "postgres@", "postgres:s3cret@", 1)
	for _, tc := range []struct {
		name, env string
		args      []string
	}{
		{"environment", withPassword, nil},
		{"flag wins", "postgres://nobody@127.0.0.1:1/none", []string{"--database", withPassword}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(DatabaseEnv, tc.env)
			args := append([]string{"--addr", freeAddr(t), "--data-dir", t.TempDir(), "--insecure-http", "--no-announce"}, tc.args...)
			logs := serve(t, args...)
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(logs.String(), "server ready") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			out := logs.String()
			want := "postgresql " + strings.Replace(withPassword, "s3cret", "xxxxx", 1)
			if !strings.Contains(out, want) || strings.Contains(out, "s3cret") {
				t.Fatalf("log does not name %q (or shows the password):\n%s", want, out)
			}
		})
	}
}

// With no server running, `users` opens the PostgreSQL database named by
// CONFAB_DATABASE (or --database), not a SQLite file in the data directory.
func TestUsersOnAStoppedServerOnPostgres(t *testing.T) {
	dsn := pgtest.DB(t)
	t.Setenv(DatabaseEnv, dsn)
	t.Setenv("LOCAL_JWT_SECRET", "")
	dir := t.TempDir()
	if out, err := users(t, dir, "password-d\n", "add", "dave"); err != nil || !strings.Contains(out, "added dave (administrator)") {
		t.Fatalf("add: %v %s", err, out)
	}
	st, err := store.OpenWith(t.TempDir(), store.Options{Database: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByName(context.Background(), "dave"); err != nil {
		t.Fatalf("dave is not in the PostgreSQL database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, store.DBFile)); !os.IsNotExist(err) {
		t.Fatalf("a SQLite database was made in the data directory: %v", err)
	}
}
