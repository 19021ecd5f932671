package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func anyRoom(context.Context, string) (bool, error) { return true, nil }

func addMsg(t *testing.T, s *Store, room string, author int64, name, text string) Message {
	t.Helper()
	m, _, err := s.AddMessage(context.Background(), Message{Room: room, AuthorID: author, AuthorName: name, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func msgIDs(ms []Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

func search(t *testing.T, s *Store, query string, f SearchFilter) []int64 {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.MayRead == nil {
		f.MayRead = anyRoom
	}
	found, err := s.SearchMessages(context.Background(), strings.Fields(query), f)
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	return msgIDs(found)
}

func TestSearchByWordsAuthorRoomAndPage(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		alice, _ := s.CreateUser(ctx, "alice", "h")
		bob, _ := s.CreateUser(ctx, "Bob", "h")
		m1 := addMsg(t, s, "general", alice.ID, "alice", "The deploy is done")
		m2 := addMsg(t, s, "dev", bob.ID, "Bob", "deploying again, Déploy twice")
		m3 := addMsg(t, s, "general", bob.ID, "Bob", "lunch?")
		m4 := addMsg(t, s, "general", alice.ID, "alice", "DEPLOY failed: rollback")

		for _, c := range []struct {
			query string
			f     SearchFilter
			want  []int64
		}{
			{"deploy", SearchFilter{}, []int64{m4.ID, m2.ID, m1.ID}}, // prefix, any case and accent, newest first
			{"deploy rollback", SearchFilter{}, []int64{m4.ID}},      // every word
			{"deploy", SearchFilter{Room: "general"}, []int64{m4.ID, m1.ID}},
			{"deploy", SearchFilter{Author: "bob"}, []int64{m2.ID}},
			{"", SearchFilter{Author: "BOB"}, []int64{m3.ID, m2.ID}},
			{"", SearchFilter{Author: "nobody"}, []int64{}},
			{"deploy", SearchFilter{Limit: 2}, []int64{m4.ID, m2.ID}},
			{"deploy", SearchFilter{Before: m2.ID}, []int64{m1.ID}}, // the next page
			{"lunches", SearchFilter{}, []int64{}},
		} {
			if got := search(t, s, c.query, c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%q %+v: %v, want %v", c.query, c.f, got, c.want)
			}
		}
	})
}

// Rooms the searcher may not read are never read, whatever matches there.
func TestSearchSkipsRoomsNotReadable(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		pub := addMsg(t, s, "general", 1, "a", "secret plans")
		addMsg(t, s, "private", 1, "a", "secret plans too")
		var asked []string
		deny := func(_ context.Context, room string) (bool, error) {
			asked = append(asked, room)
			return room != "private", nil
		}
		if got := search(t, s, "secret", SearchFilter{MayRead: deny}); fmt.Sprint(got) != fmt.Sprint([]int64{pub.ID}) {
			t.Errorf("found %v, want only %d", got, pub.ID)
		}
		if fmt.Sprint(asked) != "[general private]" {
			t.Errorf("asked about rooms %v", asked)
		}
		if got := search(t, s, "secret", SearchFilter{Room: "private", MayRead: deny}); len(got) != 0 {
			t.Errorf("found %v in a room not readable", got)
		}
	})
}

// An edited message is found by its new words only; a deleted one not at
// all, and its words leave the database file.
func TestSearchFollowsEditsAndDeletes(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		dir := fresh()
		s := open(t, dir)
		ctx := context.Background()
		m := addMsg(t, s, "general", 1, "a", "meet at the aardvark")
		gone := addMsg(t, s, "general", 1, "a", "zyzzyvaword is the password")
		if _, _, err := s.EditMessage(ctx, m.ID, 1, "meet at the bandicoot"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DeleteMessage(ctx, gone.ID, 1); err != nil {
			t.Fatal(err)
		}
		if got := search(t, s, "aardvark", SearchFilter{}); len(got) != 0 {
			t.Errorf("the old words still find %v", got)
		}
		if got := search(t, s, "bandicoot", SearchFilter{}); fmt.Sprint(got) != fmt.Sprint([]int64{m.ID}) {
			t.Errorf("the new words find %v", got)
		}
		if got := search(t, s, "zyzzyvaword", SearchFilter{}); len(got) != 0 {
			t.Errorf("a deleted message is found: %v", got)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if IsPostgres(dir) { // the file is SQLite's
			return
		}
		files, _ := filepath.Glob(filepath.Join(dir, DBFile+"*"))
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if strings.Contains(string(data), "zyzzyvaword") {
				t.Errorf("%s still holds a deleted message's word", filepath.Base(f))
			}
		}
	})
}

// Whatever a person types is words, never FTS5 syntax: no error, and no
// match beyond the words.
func TestSearchHostileQueries(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		m := addMsg(t, s, "general", 1, "a", "alpha beta gamma")
		addMsg(t, s, "general", 1, "a", "something else entirely")
		for _, q := range []string{
			`"`, `""`, `"alpha`, `alpha"`, `al"pha`, `NEAR(alpha beta)`, `NEAR(`, `alpha OR something`, `alpha NOT beta`,
			`-alpha`, `alpha -beta`, `*`, `alpha*`, `^alpha`, `text:alpha`, `{text}:alpha`, `rank:1`, `(alpha`, `alpha)`,
			`AND`, `OR`, `NOT`, `+`, `:`, `'`, `\`, `%`, `_`, "\x00", `alpha'; DROP TABLE messages; --`, `🎉`, `ＡＬＰＨＡ`,
		} {
			found, err := s.SearchMessages(context.Background(), strings.Fields(q), SearchFilter{Limit: 10, MayRead: anyRoom})
			if err != nil {
				t.Errorf("%q: %v", q, err)
				continue
			}
			for _, f := range found {
				if f.ID != m.ID {
					t.Errorf("%q found %q", q, f.Text)
				}
			}
		}
		// Operators are words like any other: "alpha OR something" needs an "or".
		if got := search(t, s, "alpha OR something", SearchFilter{}); len(got) != 0 {
			t.Errorf("OR was read as an operator: %v", got)
		}
		if got := search(t, s, "alpha beta", SearchFilter{}); len(got) != 1 {
			t.Errorf("plain words: %v", got)
		}
	})
}

// A database of the release before search (testdata/release-schema3.db)
// has every old message in the index after the migration.
func TestSearchIndexFilledByMigration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "release-schema3.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DBFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	defer s.Close()
	if got := search(t, s, "hello", SearchFilter{Limit: 200}); len(got) != 120 { // "héllo", accent folded
		t.Errorf("%d old messages found, want 120", len(got))
	}
	if got := search(t, s, "message 7:", SearchFilter{Limit: 200}); len(got) != 11 || got[10] != 8 { // 79..70, 7
		t.Errorf("message 7 found as %v", got)
	}
	if got := search(t, s, "héllo", SearchFilter{Room: "dev-team", Author: "alice", Limit: 200}); len(got) != 20 {
		t.Errorf("alice's in dev-team: %d, want 20", len(got))
	}
}

// The index is part of the schema an older database migrates to in one
// step, and a migrated database can still be searched after reopening.
func TestSearchSchemaIsAMigration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, dir)
	addMsg(t, s, "general", 1, "a", "persisted words")
	s.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = raw.QueryRow(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'persisted'`).Scan(&n)
	raw.Close()
	if err != nil || n != 1 {
		t.Fatalf("index after reopening: %d, %v", n, err)
	}
}

// BenchmarkSearch searches 100,000 messages in 20 rooms for a rare word, a
// common one, two words, an author and a short prefix, a page of 20 each.
func BenchmarkSearch(b *testing.B) {
	s := open(b, b.TempDir())
	defer s.Close()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	words := strings.Fields("the a deploy build lunch meeting review release friday monday coffee server client index green red")
	const n = 100_000
	for i := range n {
		text := fmt.Sprintf("%s %s %s message %d", words[i%len(words)], words[(i/3)%len(words)], words[(i/7)%len(words)], i)
		if i%10_000 == 0 {
			text += " zyzzyva"
		}
		if _, err := tx.Exec(`INSERT INTO messages(room, author_id, author_name, text, sent_at) VALUES(?,?,?,?,?)`,
			fmt.Sprintf("room-%d", i%20), i%50+1, fmt.Sprintf("user%d", i%50+1), text, 1_700_000_000_000+int64(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "user1", "h"); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		terms []string
		f     SearchFilter
	}{
		{"rare", []string{"zyzzyva"}, SearchFilter{}},
		{"common", []string{"the"}, SearchFilter{}},
		{"two-words", []string{"deploy", "friday"}, SearchFilter{}},
		{"author", nil, SearchFilter{Author: "user1"}},
		{"prefix", []string{"re"}, SearchFilter{Room: "room-3"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.f.Limit, c.f.MayRead = 20, anyRoom
			for b.Loop() {
				if _, err := s.SearchMessages(ctx, c.terms, c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// More readable rooms than a statement takes as parameters still search.
func TestSearchOverManyRooms(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		for i := range maxRoomParams + 5 {
			addMsg(t, s, fmt.Sprintf("r%04d", i), 1, "a", fmt.Sprintf("word%d common", i))
		}
		if got := search(t, s, "common", SearchFilter{Limit: 3}); len(got) != 3 || got[0] != maxRoomParams+5 {
			t.Errorf("found %v", got)
		}
	})
}

// Words are found in any letter case and with or without their accents.
func TestSearchFoldsCaseAndAccents(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		m1 := addMsg(t, s, "general", 1, "a", "Crème brûlée tonight")
		m2 := addMsg(t, s, "general", 1, "a", "ÉCOLE closed")
		for q, want := range map[string][]int64{
			"creme": {m1.ID}, "BRULEE": {m1.ID}, "crème brûlée": {m1.ID}, "ecole": {m2.ID}, "école": {m2.ID}, "Écol": {m2.ID},
			"cremes": {},
		} {
			if got := search(t, s, q, SearchFilter{}); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q found %v, want %v", q, got, want)
			}
		}
	})
}
