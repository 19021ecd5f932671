package importer_test

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"

	"confab/daemon"
	"confab/internal/pgtest"
	"confab/server/store"
)

// confabd import takes the target from CONFAB_DATABASE, prints its
// progress and the counts of both sides, and never the password.
func TestConfabdImport(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "alice", "hash")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AddMessage(ctx, store.Message{Room: "general", AuthorID: u.ID, AuthorName: "alice", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	dsn := pgtest.DB(t)
	t.Setenv(daemon.DatabaseEnv, dsn)
	var out, errs bytes.Buffer
	if err := daemon.RunImport(ctx, "confabd", []string{"--from-sqlite", dir}, &out, &errs); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errs.String())
	}
	o := out.String()
	for _, want := range []string{"table", "SQLite", "PostgreSQL", "messages", "match"} {
		if !strings.Contains(o, want) {
			t.Errorf("output lacks %q:\n%s", want, o)
		}
	}
	if pw := passwordOf(dsn); pw != "" && strings.Contains(o, pw) {
		t.Errorf("the output shows the password:\n%s", o)
	}
	t.Log("\n" + o)
	// A row PostgreSQL has and SQLite has not: the counts differ, and the command fails.
	pg, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Exec(`INSERT INTO audit(at, actor, action, target) VALUES (1, 'someone', 'edit', 'x')`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = daemon.RunImport(ctx, "confabd", []string{"--from-sqlite", dir}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "differ") || !strings.Contains(out.String(), "differs") {
		t.Errorf("counts that differ: %v\n%s", err, out.String())
	}
	if err := daemon.RunImport(ctx, "confabd", nil, &out, &errs); err == nil || !strings.Contains(err.Error(), "--from-sqlite") {
		t.Errorf("without --from-sqlite: %v", err)
	}
}

func passwordOf(dsn string) string {
	_, after, ok := strings.Cut(dsn, "://")
	if !ok {
		return ""
	}
	userinfo, _, ok := strings.Cut(after, "@")
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(userinfo, ":")
	return pw
}
