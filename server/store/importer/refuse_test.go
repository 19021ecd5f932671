package importer

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"confab/server/store"
)

// sqliteAt makes a current release's database in a new data directory and
// runs change on it.
func sqliteAt(t *testing.T, change string) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(change); err != nil {
		t.Fatal(err)
	}
	return dir
}

// The import refuses, before touching PostgreSQL, a database of another
// schema version (saying how to upgrade it), one with a table it does not
// know (a migration it was not taught), and a target that is not a
// PostgreSQL URL; no message shows the URL's password.
func TestImportRefuses(t *testing.T) {
	t.Parallel()
	const url = "postgres://confab:s3cret-pw@127.0.0.1:1/confab"
	for _, c := range []struct{ change, want string }{
		{"PRAGMA user_version = " + itoa(store.SchemaVersion-1), "upgrade it first by starting this release's confabd on it"},
		{"PRAGMA user_version = " + itoa(store.SchemaVersion+1), "newer than this build's"},
		{"CREATE TABLE pins (id INTEGER PRIMARY KEY, message_id INTEGER)", `table "pins" this importer does not know`},
	} {
		_, err := Run(context.Background(), Options{From: sqliteAt(t, c.change), Database: url})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("after %q: %v", c.change, err)
		}
	}
	_, err := Run(context.Background(), Options{From: sqliteAt(t, "SELECT 1"), Database: "mysql://u:s3cret-pw@h/db"})
	if err == nil || !strings.Contains(err.Error(), "postgres://") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("a target that is not PostgreSQL: %v", err)
	}
	if _, err := Run(context.Background(), Options{From: t.TempDir(), Database: url}); err == nil || !strings.Contains(err.Error(), "no SQLite database") {
		t.Errorf("an empty directory: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
