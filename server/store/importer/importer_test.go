package importer

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"confab/client"
	"confab/internal/pgtest"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/server/store"
	"confab/wire"
)

const callTimeout = 20 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// sendWait sends text and waits until the server has stored it.
func sendWait(t *testing.T, p *testchat.Peer, room, text string) wire.Message {
	t.Helper()
	if _, err := p.Chat.Send(room, text); err != nil {
		t.Fatal(err)
	}
	var got wire.Message
	testserver.WaitFor(t, callTimeout, "message "+text+" stored", func() bool {
		for _, m := range p.Stored(t, room) {
			if m.Text == text {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// online waits until the peer is connected.
func online(t *testing.T, p *testchat.Peer) *testchat.Peer {
	t.Helper()
	if _, ok := p.WaitState(client.Online, time.Time{}, callTimeout); !ok {
		t.Fatal("the client did not connect")
	}
	return p
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func pic() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for x := range 300 {
		img.Set(x, x%200, color.RGBA{200, 10, 10, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img) //nolint:errcheck
	return b.Bytes()
}

// writeRelease fills a SQLite data directory through the current release's
// real server and client: every table gets rows.
func writeRelease(t *testing.T) (dataDir string, last wire.Message) {
	t.Helper()
	env := testserver.Start(t, server.Config{})
	ctx := ctxT(t)
	alice := online(t, testchat.Join(t, env.URL, "alice", "password-alice")) // the first: administrator
	bob := online(t, testchat.Join(t, env.URL, "bob", "password-bob"))
	carol := online(t, testchat.Join(t, env.URL, "carol", "password-carol"))
	dave := online(t, testchat.Join(t, env.URL, "dave", "password-dave"))
	for _, p := range []*testchat.Peer{alice, bob, carol, dave} {
		if err := p.Chat.Join(ctx, "general"); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Chat.Join(ctx, "deploys"); err != nil {
		t.Fatal(err)
	}
	hello := sendWait(t, alice, "general", "hello everyone, the migration is tonight")
	sendWait(t, bob, "general", "Déploying the new build after lunch") // found by "deploy" after the move: the import folds accents as the store does
	sendWait(t, alice, "deploys", "rollback plan is in the wiki")
	typo := sendWait(t, carol, "general", "teh release notes")
	gone := sendWait(t, dave, "general", "this one will be deleted")
	must[wire.Message](t)(carol.Chat.Edit(ctx, typo.ID, "the release notes"))
	must[wire.Message](t)(dave.Chat.Delete(ctx, gone.ID))
	must[wire.Message](t)(bob.Chat.React(ctx, hello.ID, "👍", true))
	must[wire.Message](t)(carol.Chat.React(ctx, hello.ID, "🎉", true))
	// A direct conversation and a group.
	dm := must[wire.Conversation](t)(alice.Chat.OpenDM(ctx, "bob"))
	must[struct{}](t)(struct{}{}, alice.Chat.Join(ctx, dm.Room))
	must[struct{}](t)(struct{}{}, bob.Chat.Join(ctx, dm.Room))
	sendWait(t, alice, dm.Room, "a private word about the budget")
	read := sendWait(t, bob, dm.Room, "noted, thanks")
	must[wire.Conversation](t)(alice.Chat.MarkRead(ctx, dm.Room, read.ID))
	group := must[wire.Conversation](t)(bob.Chat.CreateGroup(ctx, "ops", []string{"carol"}))
	must[struct{}](t)(struct{}{}, bob.Chat.Join(ctx, group.Room))
	must[wire.Conversation](t)(bob.Chat.Invite(ctx, group.Room, "dave"))
	sendWait(t, bob, group.Room, "ops standup moved to ten")
	// A file, with its thumbnail.
	img := pic()
	must[wire.Message](t)(alice.Chat.Session().Upload(ctx, "general", "diagram.png", bytes.NewReader(img), int64(len(img)), client.TransferOptions{}))
	last = sendWait(t, bob, "general", "the last message before the move")
	// Administration: audited actions, an invite, a removal, a revoked sign-in.
	admin := alice.Chat.Session().Admin()
	must[wire.InviteCode](t)(admin.Invite(ctx, 3, time.Hour))
	must[struct{}](t)(struct{}{}, admin.SetAdmin(ctx, "bob", true))
	must[struct{}](t)(struct{}{}, admin.Kick(ctx, "carol", "deploys"))
	must[struct{}](t)(struct{}{}, admin.Remove(ctx, "dave"))
	if err := carol.Chat.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	env.Stop()
	return env.Cfg.DataDir, last
}

// tablesOf lists the source's tables as its schema has them, but
// SQLite's own and the search index's.
func tablesOf(t *testing.T, src *sql.DB) []string {
	t.Helper()
	names, err := strings1(context.Background(), src, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// dump reads every row of a table as text, sorted: the same rows on both
// engines give the same dump.
func dump(t *testing.T, db *sql.DB, table string, cols []string) []string {
	t.Helper()
	rows, err := readRows(context.Background(), db, `SELECT `+quoteAll(cols)+` FROM `+quote(table), nil, len(cols))
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for j, v := range r {
			switch v := v.(type) {
			case nil:
				b.WriteString("NULL")
			case []byte:
				fmt.Fprintf(&b, "%q", v)
			default:
				fmt.Fprintf(&b, "%#v", v)
			}
			if j < len(r)-1 {
				b.WriteString(" | ")
			}
		}
		out[i] = b.String()
	}
	slices.Sort(out)
	return out
}

// sameRows compares every row of every table of the source with the target.
func sameRows(t *testing.T, src, dst *sql.DB) {
	t.Helper()
	for _, name := range tablesOf(t, src) {
		cols, err := strings1(context.Background(), src, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			t.Fatal(err)
		}
		want, got := dump(t, src, name, cols), dump(t, dst, name, cols)
		if len(want) == 0 {
			t.Errorf("table %s has no rows: the test data should cover it", name)
		}
		if !slices.Equal(want, got) {
			t.Errorf("table %s differs:\nSQLite:\n  %s\nPostgreSQL:\n  %s", name, strings.Join(want, "\n  "), strings.Join(got, "\n  "))
		}
	}
}

func openBoth(t *testing.T, dataDir, dsn string) (src, dst *sql.DB) {
	t.Helper()
	src, _, err := openSource(context.Background(), dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	dst, err = sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dst.Close() })
	return src, dst
}

// A database written by the current release through its real server and
// client is copied into PostgreSQL row for row; a second run changes
// nothing; a run cut off halfway is finished by the next; and a server on
// the PostgreSQL database then serves the history, search and files.
func TestImportKeepsEveryRow(t *testing.T) {
	t.Parallel()
	dataDir, last := writeRelease(t)
	dsn := pgtest.DB(t)
	var progress bytes.Buffer
	rep, err := Run(context.Background(), Options{From: dataDir, Database: dsn, Progress: &progress})
	if err != nil {
		t.Fatalf("import: %v\n%s", err, progress.String())
	}
	if strings.Contains(progress.String(), "password") || !strings.Contains(progress.String(), "messages: ") {
		t.Fatalf("progress:\n%s", progress.String())
	}
	src, dst := openBoth(t, dataDir, dsn)
	sameRows(t, src, dst)
	if len(rep.Counts) != len(tablesOf(t, src)) || rep.Copied == 0 {
		t.Fatalf("report %+v", rep)
	}

	// Again: idempotent.
	again, err := Run(context.Background(), Options{From: filepath.Join(dataDir, store.DBFile), Database: dsn})
	if err != nil {
		t.Fatal(err)
	}
	if again.Copied != 0 || !slices.Equal(again.Counts, rep.Counts) {
		t.Fatalf("a second run copied %d rows; counts %+v, then %+v", again.Copied, rep.Counts, again.Counts)
	}
	sameRows(t, src, dst)

	// Cut off after a few chunks of two rows, then run again.
	cut := pgtest.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	chunks := 0
	_, err = Run(ctx, Options{From: dataDir, Database: cut, ChunkRows: 2, afterChunk: func() {
		if chunks++; chunks == 5 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the cut run: %v", err)
	}
	var resumed bytes.Buffer
	if _, err := Run(context.Background(), Options{From: dataDir, Database: cut, ChunkRows: 2, Progress: &resumed}); err != nil {
		t.Fatalf("the resumed run: %v", err)
	}
	if !strings.Contains(resumed.String(), "going on after id") {
		t.Errorf("the second run did not resume where the first stopped:\n%s", resumed.String())
	}
	_, cutDB := openBoth(t, dataDir, cut)
	sameRows(t, src, cutDB)

	servesHistory(t, dsn, dataDir, last)
}

// servesHistory starts a server on the imported database: bob signs in and
// sees his history, search finds a message, the file is there (the files
// directory is the old data directory's), and new ids follow the old ones.
func servesHistory(t *testing.T, dsn, oldDataDir string, last wire.Message) {
	t.Helper()
	env := testserver.Start(t, server.Config{Database: dsn, FilesDir: filepath.Join(oldDataDir, "files")})
	ctx := ctxT(t)
	sess, err := client.Login(ctx, env.URL, "bob", "password-bob")
	if err != nil {
		t.Fatalf("bob signs in after the move: %v", err)
	}
	bob := online(t, testchat.Connect(t, sess))
	if err := bob.Chat.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	hist := bob.Stored(t, "general")
	var file *wire.Message
	for _, m := range hist {
		if m.Attachment != nil {
			file = &m
		}
	}
	if hist[last.ID].Text != last.Text || file == nil {
		t.Fatalf("bob's history after the move: %v", hist)
	}
	if _, err := client.Login(ctx, env.URL, "dave", "password-dave"); err == nil {
		t.Fatal("a removed account signs in after the move")
	}
	hits, _, err := bob.Chat.Search(ctx, client.SearchQuery{Words: "deploy"})
	if err != nil || len(hits) != 1 || hits[0].Author.Username != "bob" {
		t.Fatalf("search after the move: %v %+v", err, hits)
	}
	thumb, err := sess.Thumbnail(ctx, file.ID)
	if err != nil || len(thumb) == 0 {
		t.Fatalf("the file's thumbnail after the move: %v", err)
	}
	next := sendWait(t, bob, "general", "the first message after the move")
	if next.ID <= last.ID {
		t.Fatalf("a new message got id %d, not after %d", next.ID, last.ID)
	}
	if _, err := client.Register(ctx, env.URL, "erin", "password-erin"); err != nil {
		t.Fatalf("a new account after the move: %v", err)
	}
}

// A text SQLite holds but PostgreSQL's text cannot (a NUL, bytes that are
// not UTF-8) is copied with U+FFFD in their place, as the store writes it
// on PostgreSQL, and said so; the import does not stop on it.
func TestImportReplacesWhatPostgreSQLCannotStore(t *testing.T) {
	t.Parallel()
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
	for _, text := range []string{"first", "second"} {
		if _, _, err := st.AddMessage(ctx, store.Message{Room: "general", AuthorID: u.ID, AuthorName: "alice", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	raw, err := sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE messages SET text = CASE text WHEN 'first' THEN 'a' || char(0) || 'b' ELSE CAST(X'41FF42' AS TEXT) END`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	dsn := pgtest.DB(t)
	var progress bytes.Buffer
	if _, err := Run(ctx, Options{From: dir, Database: dsn, Progress: &progress}); err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	if !strings.Contains(progress.String(), "2 values held a NUL or bytes that are not UTF-8") {
		t.Errorf("progress:\n%s", progress.String())
	}
	dst, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	got, err := strings1(ctx, dst, `SELECT text FROM messages ORDER BY id`)
	if err != nil || !slices.Equal(got, []string{"a\uFFFDb", "A\uFFFDB"}) {
		t.Fatalf("texts %q %v", got, err)
	}
}
