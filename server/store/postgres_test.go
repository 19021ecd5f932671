package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/pgtest"
)

// openPG opens a store on a PostgreSQL database.
func openPG(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := OpenWith(t.TempDir(), Options{Database: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Nodes starting together on a fresh database migrate it once: the schema
// lock makes the others wait, then find it done.
func TestPostgresConcurrentOpensMigrateOnce(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DB(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenWith(t.TempDir(), Options{Database: dsn})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, version int
	if err := db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != len(pgMigrations) {
		t.Fatalf("schema_version: %d rows, version %d; want 1 row, version %d", rows, version, len(pgMigrations))
	}
	s := openPG(t, dsn)
	if !s.Postgres() || s.DatabaseURL() != dsn {
		t.Fatalf("Postgres() %v, DatabaseURL() %q", s.Postgres(), s.DatabaseURL())
	}
}

// A database migrated by a newer build is refused, as on SQLite.
func TestPostgresNewerSchemaRefused(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DB(t)
	openPG(t, dsn).Close()
	db, _ := sql.Open("pgx", dsn)
	defer db.Close()
	if _, err := db.Exec(`UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWith(t.TempDir(), Options{Database: dsn}); err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("opened a newer schema: %v", err)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT 1`:                            `SELECT 1`,
		`a = ? AND b IN (?, ?)`:               `a = $1 AND b IN ($2, $3)`,
		`x = '?' AND y = ? AND "q?" = ?`:      `x = '?' AND y = $1 AND "q?" = $2`,
		`t = 'it''s ?' AND u = ?`:             `t = 'it''s ?' AND u = $1`,
		`SELECT ?, CAST(? AS BIGINT) LIMIT ?`: `SELECT $1, CAST($2 AS BIGINT) LIMIT $3`,
	} {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"": "",
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgresql://u@h/db":                           "postgresql://u@h/db",
		"postgres://h/db?password=secret&x=1":           "postgres://h/db?password=xxxxx&x=1",
	} {
		if got := Redact(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"mysql://u:secret@h/db", "host=h password=secret", "postgres://u:secret@h:port/db", "postgres://u:secret@h/db?sslmode=bogus"} {
		if _, err := OpenWith(t.TempDir(), Options{Database: bad}); err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", Redact(bad), err)
		}
	}
}

// The basics on PostgreSQL: accounts, a message, its history.
func TestPostgresSmoke(t *testing.T) {
	t.Parallel()
	s := openPG(t, pgtest.DB(t))
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "Alice", "h")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "aLICE", "h"); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("duplicate: %v", err)
	}
	m, created, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: u.ID, AuthorName: "Alice", Text: "hi", ClientID: "c1"})
	if err != nil || !created || m.ID == 0 {
		t.Fatalf("add: %+v %v %v", m, created, err)
	}
	again, created, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: u.ID, AuthorName: "Alice", Text: "hi", ClientID: "c1"})
	if err != nil || created || again.ID != m.ID {
		t.Fatalf("again: %+v %v %v", again, created, err)
	}
	h, err := s.History(ctx, Page{Room: "general", Limit: 10})
	if err != nil || len(h) != 1 || h[0].Text != "hi" || h[0].AuthorRemoved {
		t.Fatalf("history: %+v %v", h, err)
	}
	if ok, err := s.IsAdmin(ctx, u.ID); err != nil || !ok {
		t.Fatalf("first account admin: %v %v", ok, err)
	}
	if err := s.Health(); err != nil {
		t.Fatal(err)
	}
}

// Two nodes (two Stores on one database) write at once while a reader
// polls "every message after the last id I saw": it must see every id, in
// increasing order. Without the writers' lock a later id could commit
// first, move the reader past a smaller one still to commit, and that one
// would never be read.
func TestPostgresIDsInCommitOrder(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DB(t)
	nodes := []*Store{openPG(t, dsn), openPG(t, dsn)}
	ctx := context.Background()
	const senders, each = 16, 40 // per node
	var wg sync.WaitGroup
	for n, s := range nodes {
		for i := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range each {
					if _, _, err := s.AddMessage(ctx, Message{Room: fmt.Sprintf("r%d", i%3), AuthorID: int64(n*100 + i), AuthorName: "a", Text: fmt.Sprint(j)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()
	seen := map[int64]bool{}
	var hw int64
	poll := func() {
		got, err := nodes[1].MessagesAfter(ctx, hw, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			if m.ID <= hw {
				t.Fatalf("id %d after high-water mark %d", m.ID, hw)
			}
			hw = m.ID
			seen[m.ID] = true
		}
	}
	for done := false; !done; {
		select {
		case <-writing:
			done = true
		default:
		}
		poll()
	}
	poll()
	for prev := int64(-1); prev != hw; { // whatever is left after the writers
		prev = hw
		poll()
	}
	all, err := nodes[0].MessagesAfter(ctx, 0, 2*senders*each+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2*senders*each {
		t.Fatalf("%d messages stored, want %d", len(all), 2*senders*each)
	}
	missed := 0
	for _, m := range all {
		if !seen[m.ID] {
			missed++
		}
	}
	if missed > 0 {
		t.Fatalf("the reader skipped %d of %d ids: they committed after a higher one", missed, len(all))
	}
}

// MessagesAfter reads every room, in id order, with reactions and files.
func TestMessagesAfter(t *testing.T) {
	t.Parallel()
	for _, s := range []*Store{open(t, t.TempDir()), openPG(t, pgtest.DB(t))} {
		ctx := context.Background()
		a := addMsg(t, s, "a", 1, "x", "one")
		b, _, err := s.AddMessage(ctx, Message{Room: "b", AuthorID: 2, AuthorName: "y", Text: "two",
			Attachment: &Attachment{Hash: "h", Name: "f.txt", Size: 3, Type: "text/plain"}})
		if err != nil {
			t.Fatal(err)
		}
		addMsg(t, s, "a", 1, "x", "three")
		if _, _, err := s.React(ctx, a.ID, 2, "👍", ReactOn); err != nil {
			t.Fatal(err)
		}
		got, err := s.MessagesAfter(ctx, 0, 2)
		if err != nil || len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
			t.Fatalf("first page: %+v %v", got, err)
		}
		if len(got[0].Reactions) != 1 || got[1].Attachment == nil || got[1].Attachment.Name != "f.txt" {
			t.Fatalf("reactions %v, attachment %v", got[0].Reactions, got[1].Attachment)
		}
		rest, err := s.MessagesAfter(ctx, b.ID, 10)
		if err != nil || len(rest) != 1 || rest[0].Text != "three" {
			t.Fatalf("after %d: %+v %v", b.ID, rest, err)
		}
	}
}

// The database going away: writes fail with the store's error (never an
// acknowledgement without a commit), Health says so, the store tries again
// at its interval (no busy loop), and once the server is back writes work
// again by themselves, with every acknowledged message kept.
func TestPostgresDownAndBack(t *testing.T) {
	t.Parallel()
	in := pgtest.Start(t)
	const interval = 100 * time.Millisecond
	s, err := OpenWith(t.TempDir(), Options{Database: in.NewDB(t), ProbeInterval: interval, WriteRetry: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var acked []int64
	send := func(text string) error {
		m, _, err := s.AddMessage(ctx, Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: text})
		if err == nil {
			acked = append(acked, m.ID)
		}
		return err
	}
	if err := send("before"); err != nil {
		t.Fatal(err)
	}
	in.Stop()
	down := time.Now()
	for i := range 5 {
		err := send(fmt.Sprint("while down ", i))
		if err == nil {
			t.Fatal("a message was acknowledged while the database was down")
		}
		if !strings.Contains(err.Error(), "store message") || strings.Contains(err.Error(), "password") {
			t.Fatalf("unclear error: %v", err)
		}
	}
	if err := s.Health(); err == nil {
		t.Fatal("healthy while the database is down")
	}
	s.health.mu.Lock()
	probes := s.health.probes
	s.health.mu.Unlock()
	if most := int(time.Since(down)/interval) + 3; probes > most {
		t.Fatalf("%d probes in %v at an interval of %v: a busy loop", probes, time.Since(down), interval)
	}
	if err := in.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for s.Health() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("still unhealthy: %v", s.Health())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Healthy again: the writer's connections from before the restart are
	// dead, and a batch that fails on one is tried again on a new one.
	for i := range 3 {
		if err := send(fmt.Sprint("after ", i)); err != nil {
			t.Fatalf("healthy, yet a write failed: %v", err)
		}
	}
	// A restart between two messages: the second finds its connection
	// dead, and is stored on a new one.
	in.Stop()
	if err := in.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := send("after a restart"); err != nil {
		t.Fatalf("a write after a restart failed: %v", err)
	}
	got, err := s.MessagesAfter(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range got {
		ids = append(ids, m.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(acked) {
		t.Fatalf("stored %v, acknowledged %v", ids, acked)
	}
}

// Text PostgreSQL cannot hold (a NUL, bytes that are not UTF-8) is stored
// with U+FFFD in their place, and fails nobody's message: a batch holds
// other senders' messages too.
func TestPostgresTextItCannotHold(t *testing.T) {
	t.Parallel()
	s := openPG(t, pgtest.DB(t))
	ctx := context.Background()
	for _, text := range []string{"nul\x00here", "bad \xff byte"} {
		m, _, err := s.AddMessage(ctx, Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: text})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		got, err := s.MessageByID(ctx, m.ID)
		if err != nil || !strings.Contains(got.Text, "\uFFFD") {
			t.Fatalf("%q stored as %q: %v", text, got.Text, err)
		}
	}
	if err := s.Health(); err != nil {
		t.Fatal(err)
	}
}
