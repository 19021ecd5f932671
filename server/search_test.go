package server_test

import (
	"fmt"
	"strings"
	"testing"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// searchIDs runs a search and returns the ids found, newest first, and
// whether the reply says there are more.
func searchIDs(t *testing.T, s *testserver.Sock, payload map[string]any) ([]float64, bool) {
	t.Helper()
	res := call(t, s, wire.EventSearch, payload)
	wantOK(t, res)
	var out []float64
	for _, r := range res["results"].([]any) {
		out = append(out, r.(map[string]any)["id"].(float64))
	}
	return out, res["more"] == true
}

func joinRooms(t *testing.T, s *testserver.Sock, rooms ...string) {
	t.Helper()
	for _, r := range rooms {
		wantOK(t, call(t, s, wire.EventJoin, map[string]any{"room": r}))
	}
}

func TestSearchByWordsAuthorAndRoom(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	joinRooms(t, sa, "general", "dev")
	joinRooms(t, sb, "general", "dev")
	m1 := sendMsg(t, sa, "general", "the release is Friday")
	m2 := sendMsg(t, sb, "dev", "release notes are ready")
	m3 := sendMsg(t, sb, "general", "lunch first")

	for _, c := range []struct {
		payload map[string]any
		want    string
	}{
		{map[string]any{"query": "release"}, fmt.Sprint([]float64{m2, m1})},
		{map[string]any{"query": "RELEAS notes"}, fmt.Sprint([]float64{m2})},
		{map[string]any{"query": "release", "room": "general"}, fmt.Sprint([]float64{m1})},
		{map[string]any{"query": "release", "author": "bob"}, fmt.Sprint([]float64{m2})},
		{map[string]any{"author": "Bob"}, fmt.Sprint([]float64{m3, m2})},
		{map[string]any{"query": "", "author": "bob", "room": "general"}, fmt.Sprint([]float64{m3})},
		{map[string]any{"query": "nothing-like-it"}, "[]"},
	} {
		if got, _ := searchIDs(t, sb, c.payload); fmt.Sprint(got) != c.want {
			t.Errorf("%v: %v, want %s", c.payload, got, c.want)
		}
	}

	// A result says where and who, and marks what matched.
	res := call(t, sb, wire.EventSearch, map[string]any{"query": "friday"})
	wantOK(t, res)
	hit := res["results"].([]any)[0].(map[string]any)
	if hit["room"] != "general" || hit["author"].(map[string]any)["username"] != "alice" || hit["sentAt"] == nil || hit["text"] != nil {
		t.Errorf("hit %v", hit)
	}
	if s := fmt.Sprint(hit["snippet"]); s != "[map[text:the release is ] map[match:true text:Friday]]" {
		t.Errorf("snippet %s", s)
	}

	// Pages: "more" while a page is full, then "before" the last id.
	ids := map[float64]bool{}
	for i := range 5 {
		ids[sendMsg(t, sa, "general", fmt.Sprintf("paged words %d", i))] = true
	}
	var all []float64
	before := 0.0
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, more := searchIDs(t, sa, map[string]any{"query": "paged", "limit": 2, "before": before})
		all = append(all, page...)
		if !more {
			break
		}
		before = page[len(page)-1]
	}
	if len(all) != 5 {
		t.Errorf("pages found %v", all)
	}
	for i, id := range all {
		if !ids[id] || (i > 0 && id >= all[i-1]) {
			t.Errorf("pages found %v, not each once newest first", all)
		}
	}
}

// A private conversation is searched by its members only, named or not.
func TestSearchNeverReturnsRoomsNotReadable(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	carol := env.Register("carol", "password-c")
	sa, sb, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)
	joinRooms(t, sa, "general")
	private := openDM(t, sa, "carol")
	joinRooms(t, sa, private)
	pub := sendMsg(t, sa, "general", "quarterly numbers")
	hidden := sendMsg(t, sa, private, "quarterly numbers, the real ones")

	for _, p := range []map[string]any{
		{"query": "quarterly"}, {"query": "quarterly", "room": private}, {"author": "alice"}, {"query": "real", "author": "alice"},
	} {
		got, _ := searchIDs(t, sb, p)
		for _, id := range got {
			if id == hidden {
				t.Errorf("bob's search %v found the direct conversation's message", p)
			}
		}
	}
	if got, _ := searchIDs(t, sb, map[string]any{"query": "quarterly"}); fmt.Sprint(got) != fmt.Sprint([]float64{pub}) {
		t.Errorf("bob found %v", got)
	}
	for who, s := range map[string]*testserver.Sock{"alice": sa, "carol": sc} {
		if got, _ := searchIDs(t, s, map[string]any{"query": "quarterly"}); fmt.Sprint(got) != fmt.Sprint([]float64{hidden, pub}) {
			t.Errorf("%s, who may read it, found %v", who, got)
		}
	}
}

// Every public room is readable: a search finds messages of rooms the
// user never joined.
func TestSearchCoversPublicRooms(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	joinRooms(t, sa, "elsewhere")
	id := sendMsg(t, sa, "elsewhere", "quarterly numbers")
	if got, _ := searchIDs(t, sb, map[string]any{"query": "quarterly"}); fmt.Sprint(got) != fmt.Sprint([]float64{id}) {
		t.Errorf("bob found %v", got)
	}
}

func TestSearchFollowsEditsAndDeletes(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	sa := dial(t, env, alice.Token)
	joinRooms(t, sa, "general")
	edited := sendMsg(t, sa, "general", "meet by the fountain")
	deleted := sendMsg(t, sa, "general", "meet by the statue")
	wantOK(t, call(t, sa, wire.EventEdit, map[string]any{"id": edited, "text": "meet by the library"}))
	wantOK(t, call(t, sa, wire.EventDelete, map[string]any{"id": deleted}))
	for q, want := range map[string]string{
		"fountain": "[]", "library": fmt.Sprint([]float64{edited}), "statue": "[]", "meet": fmt.Sprint([]float64{edited}),
	} {
		if got, _ := searchIDs(t, sa, map[string]any{"query": q}); fmt.Sprint(got) != want {
			t.Errorf("%q found %v, want %s", q, got, want)
		}
	}
	res := call(t, sa, wire.EventSearch, map[string]any{"query": "library"})
	if hit := res["results"].([]any)[0].(map[string]any); hit["editedAt"] == nil {
		t.Errorf("an edited hit without editedAt: %v", hit)
	}
}

// Whatever is typed is words: never an error or a match beyond the words.
func TestSearchHostileQueries(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	sa := dial(t, env, alice.Token)
	joinRooms(t, sa, "general")
	want := sendMsg(t, sa, "general", "alpha beta gamma")
	sendMsg(t, sa, "general", "other words entirely")
	for _, q := range []string{
		`"`, `"alpha`, `alpha"`, `NEAR(alpha beta)`, `NEAR(`, `alpha OR other`, `NOT alpha`, `-alpha`, `*`, `alpha*`,
		`^alpha`, `text:alpha`, `{text}:alpha`, `rank:1`, `(`, `)`, `alpha'; DROP TABLE messages; --`, "\x00alpha", `%`, `_`,
	} {
		res := call(t, sa, wire.EventSearch, map[string]any{"query": q})
		if res["ok"] != true {
			if res["error"] != wire.ErrBadRequest {
				t.Errorf("%q: %v", q, res)
			}
			continue
		}
		for _, r := range res["results"].([]any) {
			if id := r.(map[string]any)["id"]; id != want {
				t.Errorf("%q found message %v", q, id)
			}
		}
	}
	if got, _ := searchIDs(t, sa, map[string]any{"query": `"alpha" "gamma"`}); fmt.Sprint(got) != fmt.Sprint([]float64{want}) {
		t.Errorf("quoted words: %v", got)
	}
}

// The limits, at the edge and one past it.
func TestSearchLimits(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	sa := dial(t, env, alice.Token)
	joinRooms(t, sa, "general")
	sendMsg(t, sa, "general", "a a a")
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
	long := strings.Repeat("é", wire.MaxSearchRunes)
	for _, c := range []struct {
		payload map[string]any
		code    string // "" for ok
	}{
		{map[string]any{"query": long}, ""},
		{map[string]any{"query": long + "é"}, wire.ErrBadRequest},
		{map[string]any{"query": words(wire.MaxSearchTerms)}, ""},
		{map[string]any{"query": words(wire.MaxSearchTerms + 1)}, wire.ErrBadRequest},
		{map[string]any{"query": words(wire.MaxSearchTerms) + " - * ("}, ""}, // not words: not counted
		{map[string]any{"query": "a", "limit": wire.MaxSearch}, ""},
		{map[string]any{"query": "a", "limit": wire.MaxSearch + 1}, wire.ErrBadRequest},
		{map[string]any{"query": "a", "limit": 0}, wire.ErrBadRequest},
		{map[string]any{"query": "a", "limit": 1.5}, wire.ErrBadRequest},
		{map[string]any{"query": "a", "before": -1}, wire.ErrBadRequest},
		{map[string]any{"query": ""}, wire.ErrBadRequest},
		{map[string]any{"query": "* -"}, wire.ErrBadRequest},
		{map[string]any{"query": 7}, wire.ErrBadRequest},
		{map[string]any{"author": "no such name!"}, wire.ErrBadRequest},
		{map[string]any{"query": "a", "room": "Not A Room"}, wire.ErrInvalidRoom},
	} {
		res := call(t, sa, wire.EventSearch, c.payload)
		if c.code == "" {
			wantOK(t, res)
		} else if res["ok"] != false || res["error"] != c.code {
			t.Errorf("%.40v: %v, want %s", c.payload, res, c.code)
		}
	}
	if res := call(t, sa, wire.EventSearch, "a"); res["error"] != wire.ErrBadRequest {
		t.Errorf("a bare string: %v", res)
	}
}
