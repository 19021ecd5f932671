package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrationFromReleaseKeepsEverything builds the database of the
// release before edits and reactions (schema 3, written the way its code
// writes), opens it with this build and checks that every user, message and
// revoked session survived, and that the new columns start empty.
func TestMigrationFromReleaseKeepsEverything(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(db, 3); err != nil {
		t.Fatal(err)
	}
	names := []string{"alice", "bob", "carol"}
	for i, name := range names {
		if _, err := db.Exec(`INSERT INTO users(username, username_key, password_hash, created_at, session_gen) VALUES(?,?,?,?,?)`,
			name, usernameKey(name), "hash-"+name, 1000+i, i); err != nil {
			t.Fatal(err)
		}
	}
	type old struct {
		room, text, clientID string
		author               int64
	}
	var want []old
	for i := range 300 {
		m := old{room: []string{"general", "dev"}[i%2], text: fmt.Sprintf("message %d ✓", i), author: int64(i%3 + 1)}
		var cid any
		if i%4 == 0 {
			m.clientID = fmt.Sprintf("c%d", i)
			cid = m.clientID
		}
		if _, err := db.Exec(`INSERT INTO messages(room, author_id, author_name, text, sent_at, client_id) VALUES(?,?,?,?,?,?)`,
			m.room, m.author, names[m.author-1], m.text, int64(1_700_000_000_000+i), cid); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	if _, err := db.Exec(`INSERT INTO revoked_sessions(sid, expires_at) VALUES('s1', 4000000000)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := open(t, dir)
	defer s.Close()
	ctx := context.Background()
	for i, name := range names {
		u, hash, err := s.Credentials(ctx, name)
		if err != nil || u.ID != int64(i+1) || hash != "hash-"+name || u.SessionGen != int64(i) {
			t.Errorf("%s after migration: %+v %q %v", name, u, hash, err)
		}
	}
	var got []Message
	for _, room := range []string{"general", "dev"} {
		page, err := s.History(ctx, Page{Room: room, After: 0, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages after migration, want %d", len(got), len(want))
	}
	for _, m := range got {
		w := want[m.ID-1]
		if m.Room != w.room || m.Text != w.text || m.AuthorID != w.author || m.ClientID != w.clientID ||
			m.SentAt.UnixMilli() != 1_700_000_000_000+m.ID-1 || m.Deleted || !m.EditedAt.IsZero() || m.Rev != 0 || m.Reactions != nil {
			t.Errorf("message %d after migration: %+v, want %+v", m.ID, m, w)
		}
	}
	revoked, err := s.RevokedSessions(ctx, time.Unix(0, 0))
	if err != nil || len(revoked) != 1 {
		t.Errorf("revoked sessions after migration: %v %v", revoked, err)
	}
	// The old messages can be changed like new ones.
	if _, _, err := s.EditMessage(ctx, 1, 1, "edited"); err != nil {
		t.Error(err)
	}
	if v := schemaVersion(t, s); v != SchemaVersion {
		t.Errorf("schema version %d, want %d", v, SchemaVersion)
	}
}

func schemaVersion(t *testing.T, s *Store) int {
	var v int
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEditDeleteReactChanges(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		add := func(room string, author int64, text string) Message {
			m, _, err := s.AddMessage(ctx, Message{Room: room, AuthorID: author, AuthorName: fmt.Sprint(author), Text: text})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		m1, m2 := add("general", 1, "one"), add("general", 2, "two")
		other := add("dev", 1, "elsewhere")

		steps := []struct {
			name    string
			do      func() (Message, error)
			wantErr error
			wantRev int64
		}{
			{"edit own", func() (Message, error) { m, _, err := s.EditMessage(ctx, m1.ID, 1, "uno"); return m, err }, nil, 1},
			{"edit same text again", func() (Message, error) { m, _, err := s.EditMessage(ctx, m1.ID, 1, "uno"); return m, err }, nil, 1},
			{"edit another's", func() (Message, error) { m, _, err := s.EditMessage(ctx, m2.ID, 1, "mine now"); return m, err }, ErrNotAuthor, 0},
			{"delete another's", func() (Message, error) { m, _, err := s.DeleteMessage(ctx, m2.ID, 1); return m, err }, ErrNotAuthor, 0},
			{"edit unknown", func() (Message, error) { m, _, err := s.EditMessage(ctx, 9999, 1, "x"); return m, err }, ErrNotFound, 0},
			{"react", func() (Message, error) { m, _, err := s.React(ctx, m2.ID, 1, "👍", ReactToggle); return m, err }, nil, 2},
			{"react on when on", func() (Message, error) { m, _, err := s.React(ctx, m2.ID, 1, "👍", ReactOn); return m, err }, nil, 2},
			{"react by another", func() (Message, error) { m, _, err := s.React(ctx, m2.ID, 2, "👍", ReactOn); return m, err }, nil, 3},
			{"other room's own counter", func() (Message, error) { m, _, err := s.EditMessage(ctx, other.ID, 1, "there"); return m, err }, nil, 1},
			{"delete own", func() (Message, error) { m, _, err := s.DeleteMessage(ctx, m2.ID, 2); return m, err }, nil, 4},
			{"delete again", func() (Message, error) { m, _, err := s.DeleteMessage(ctx, m2.ID, 2); return m, err }, nil, 4},
			{"edit deleted", func() (Message, error) { m, _, err := s.EditMessage(ctx, m2.ID, 2, "back"); return m, err }, ErrDeleted, 0},
			{"react to deleted", func() (Message, error) { m, _, err := s.React(ctx, m2.ID, 1, "🎉", ReactOn); return m, err }, ErrDeleted, 0},
		}
		for _, st := range steps {
			m, err := st.do()
			if !errors.Is(err, st.wantErr) || (err == nil && m.Rev != st.wantRev) {
				t.Errorf("%s: rev %d, err %v; want rev %d, err %v", st.name, m.Rev, err, st.wantRev, st.wantErr)
			}
		}
		hist, err := s.History(ctx, Page{Room: "general", Limit: 10})
		if err != nil || len(hist) != 2 {
			t.Fatalf("history %v %v", hist, err)
		}
		if h := hist[0]; h.Text != "uno" || h.EditedAt.IsZero() || h.Deleted {
			t.Errorf("edited message in history: %+v", h)
		}
		if h := hist[1]; h.Text != "" || !h.Deleted || h.Reactions != nil || h.Rev != 4 {
			t.Errorf("tombstone in history: %+v", h)
		}
		var text string
		s.db.QueryRow(`SELECT text FROM messages WHERE id = ?`, m2.ID).Scan(&text) //nolint:errcheck
		if text != "" {
			t.Errorf("a deleted message's text is still stored: %q", text)
		}
		changes, seq, err := s.Changes(ctx, "general", 1, 10)
		if err != nil || seq != 4 || len(changes) != 1 || changes[0].ID != m2.ID {
			t.Errorf("changes since 1: %+v seq %d %v", changes, seq, err)
		}
		changes, seq, err = s.Changes(ctx, "general", 0, 10)
		if err != nil || seq != 4 || len(changes) != 2 || changes[0].ID != m1.ID || changes[1].ID != m2.ID {
			t.Errorf("changes since 0: %+v seq %d %v", changes, seq, err)
		}
		if changes, seq, err := s.Changes(ctx, "empty", 0, 10); err != nil || seq != 0 || len(changes) != 0 {
			t.Errorf("changes of a room without any: %+v %d %v", changes, seq, err)
		}
	})
}

func TestReactionsToggleAndList(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		m, _, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: 1, AuthorName: "a", Text: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			user    int64
			emoji   string
			mode    ReactMode
			changed bool
			want    string
		}{
			{2, "🎉", ReactToggle, true, "[🎉:2]"},
			{1, "👍", ReactToggle, true, "[👍:1 🎉:2]"},
			{3, "👍", ReactOn, true, "[👍:1 🎉:2 👍:3]"},
			{2, "🎉", ReactToggle, true, "[👍:1 👍:3]"},
			{2, "🎉", ReactOff, false, "[👍:1 👍:3]"},
		} {
			got, changed, err := s.React(ctx, m.ID, r.user, r.emoji, r.mode)
			var list []string
			for _, x := range got.Reactions {
				list = append(list, fmt.Sprintf("%s:%d", x.Emoji, x.UserID))
			}
			if err != nil || changed != r.changed || fmt.Sprint(list) != r.want {
				t.Errorf("user %d %s mode %d: %v changed %v %v, want %s changed %v", r.user, r.emoji, r.mode, list, changed, err, r.want, r.changed)
			}
		}
	})
}

// Reactions are read for a dense page (history) and for scattered ids
// (changes) alike, and never those of other messages in between.
func TestReactionsOfScatteredAndDenseMessages(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		var ids []int64
		for i := range 20 {
			m, _, err := s.AddMessage(ctx, Message{Room: []string{"general", "dev"}[i%2], AuthorID: 1, AuthorName: "a", Text: "m"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		for _, i := range []int{0, 10, 18, 5} { // 5 is in dev, between the others
			if _, _, err := s.React(ctx, ids[i], 2, "😮", ReactOn); err != nil {
				t.Fatal(err)
			}
		}
		changes, _, err := s.Changes(ctx, "general", 0, 10)
		if err != nil || len(changes) != 3 {
			t.Fatalf("changes: %v %v", changes, err)
		}
		for _, m := range changes {
			if len(m.Reactions) != 1 || m.Reactions[0] != (Reaction{"😮", 2}) {
				t.Errorf("changed message %d: reactions %v", m.ID, m.Reactions)
			}
		}
		hist, err := s.History(ctx, Page{Room: "general", Limit: 50})
		if err != nil || len(hist) != 10 {
			t.Fatalf("history: %v %v", hist, err)
		}
		for _, m := range hist {
			reacted := m.ID == ids[0] || m.ID == ids[10] || m.ID == ids[18]
			if (len(m.Reactions) == 1) != reacted || len(m.Reactions) > 1 {
				t.Errorf("message %d in history: reactions %v", m.ID, m.Reactions)
			}
		}
	})
}

// TestMigrationOfARealReleaseDatabase opens a database written by the
// release before edits and reactions (testdata/release-schema3.db, made by
// its store with testdata/mkrelease: 3 accounts, one with a changed password, 120 messages in two
// rooms, every third with a clientId, a revoked session) and checks that
// all of it is there after the migration.
func TestMigrationOfARealReleaseDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "release-schema3.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DBFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var version int
	raw.QueryRow(`PRAGMA user_version`).Scan(&version) //nolint:errcheck
	raw.Close()
	if version != 3 {
		t.Fatalf("the release database has schema %d, want 3", version)
	}

	s := open(t, dir)
	defer s.Close()
	ctx := context.Background()
	for i, name := range []string{"alice", "Bob", "carol.x"} {
		u, hash, err := s.Credentials(ctx, name)
		wantHash, wantGen := "hash-of-"+name, int64(0)
		if name == "Bob" {
			wantHash, wantGen = "new-hash-of-Bob", 1
		}
		if err != nil || u.ID != int64(i+1) || u.Username != name || hash != wantHash || u.SessionGen != wantGen {
			t.Errorf("%s: %+v %q %v", name, u, hash, err)
		}
	}
	if _, err := s.CreateUser(ctx, "a1ice", "h"); !errors.Is(err, ErrUsernameTooSimilar) {
		t.Errorf("a look-alike of alice after the migration: %v", err)
	}
	revoked, err := s.RevokedSessions(ctx, time.Now())
	if _, ok := revoked["revoked-sid"]; err != nil || !ok {
		t.Errorf("revoked sessions: %v %v", revoked, err)
	}
	names := []string{"alice", "Bob", "carol.x"}
	var all []Message
	for _, room := range []string{"general", "dev-team"} {
		page, err := s.History(ctx, Page{Room: room, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
	}
	if len(all) != 120 {
		t.Fatalf("%d messages after the migration, want 120", len(all))
	}
	for _, m := range all {
		i := int(m.ID - 1)
		wantCID := ""
		if i%3 == 0 {
			wantCID = fmt.Sprintf("cid-%d", i)
		}
		if m.Room != []string{"general", "dev-team"}[i%2] || m.AuthorID != int64(i%3+1) || m.AuthorName != names[i%3] ||
			m.Text != fmt.Sprintf("message %d: héllo <b>&</b> 👍", i) || m.ClientID != wantCID || m.SentAt.IsZero() ||
			m.Deleted || !m.EditedAt.IsZero() || m.Rev != 0 || m.Reactions != nil {
			t.Errorf("message %d after the migration: %+v", m.ID, m)
		}
	}
	// A resend of an old clientId still finds its message, and old
	// messages take edits and reactions.
	if m, created, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: 1, AuthorName: "alice", Text: "again", ClientID: "cid-0"}); err != nil || created || m.ID != 1 {
		t.Errorf("resend of an old clientId: %+v %v %v", m, created, err)
	}
	if m, _, err := s.React(ctx, 2, 1, "❤️", ReactOn); err != nil || m.Rev != 1 {
		t.Errorf("reacting to an old message: %+v %v", m, err)
	}
}

// A deleted message's text is gone from the database file, not only from
// answers (SQLite keeps freed bytes unless told to zero them).
func TestDeletedTextLeavesTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	const secret = "the-launch-code-is-0000-and-must-go"
	long := strings.Repeat(secret+" ", 100) // over a page: its overflow pages are freed
	var id int64
	for i := range 20 {
		text := fmt.Sprintf("filler message %d", i)
		if i == 10 {
			text = long
		}
		m, _, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: 1, AuthorName: "a", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			id = m.ID
		}
	}
	s.Close() // the text is in the file itself, not only in the log
	s = open(t, dir)
	if _, _, err := s.DeleteMessage(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, DBFile+"*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s still holds the deleted text", filepath.Base(f))
		}
	}
}
