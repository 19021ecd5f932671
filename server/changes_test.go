package server_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// sendMsg sends text to room and returns the stored message's id.
func sendMsg(t *testing.T, s *testserver.Sock, room, text string) float64 {
	t.Helper()
	res := call(t, s, wire.EventMessage, map[string]any{"room": room, "text": text})
	wantOK(t, res)
	return res["message"].(map[string]any)["id"].(float64)
}

// historyOf reads the newest messages of a room, by id.
func historyOf(t *testing.T, s *testserver.Sock, room string) map[float64]map[string]any {
	t.Helper()
	res := call(t, s, wire.EventHistory, map[string]any{"room": room})
	wantOK(t, res)
	out := map[float64]map[string]any{}
	for _, m := range res["messages"].([]any) {
		m := m.(map[string]any)
		out[m["id"].(float64)] = m
	}
	return out
}

func TestEditAndDeleteReachTheRoomAndHistory(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	id := sendMsg(t, sa, "general", "helo")

	// Bob may neither edit nor delete it, and nothing changes.
	wantErr(t, call(t, sb, wire.EventEdit, map[string]any{"id": id, "text": "mine"}), wire.ErrNotAuthor)
	wantErr(t, call(t, sb, wire.EventDelete, map[string]any{"id": id}), wire.ErrNotAuthor)
	if h := historyOf(t, sb, "general")[id]; h["text"] != "helo" || h["editedAt"] != nil || h["rev"] != nil {
		t.Fatalf("after bob's attempts: %v", h)
	}

	res := call(t, sa, wire.EventEdit, map[string]any{"id": id, "text": "  hello  "})
	wantOK(t, res)
	if m := res["message"].(map[string]any); m["text"] != "hello" || m["editedAt"] == nil || m["rev"] != 1.0 {
		t.Fatalf("edit answered %v", m)
	}
	evs, err := sb.WaitEvents(wire.EventUpdate, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob got no update: %v", err)
	}
	if m := evs[0].Args[0].(map[string]any); m["id"] != id || m["text"] != "hello" || m["editedAt"] == nil {
		t.Fatalf("bob's update %v", m)
	}
	if h := historyOf(t, sb, "general")[id]; h["text"] != "hello" || h["editedAt"] == nil {
		t.Fatalf("history after the edit: %v", h)
	}

	wantOK(t, call(t, sa, wire.EventDelete, map[string]any{"id": id}))
	evs, err = sb.WaitEvents(wire.EventUpdate, 2, 5*time.Second)
	if err != nil {
		t.Fatalf("bob got no delete: %v", err)
	}
	if m := evs[1].Args[0].(map[string]any); m["id"] != id || m["text"] != "" || m["deleted"] != true || m["rev"] != 2.0 {
		t.Fatalf("bob's tombstone %v", m)
	}
	if h := historyOf(t, sb, "general")[id]; h["text"] != "" || h["deleted"] != true {
		t.Fatalf("history after the delete: %v", h)
	}
	wantErr(t, call(t, sa, wire.EventEdit, map[string]any{"id": id, "text": "back"}), wire.ErrMessageDeleted)
	wantOK(t, call(t, sa, wire.EventDelete, map[string]any{"id": id})) // again: nothing changes, nobody is told
	wantErr(t, call(t, sb, wire.EventReact, map[string]any{"id": id, "emoji": "👍"}), wire.ErrMessageDeleted)
	// The sender's own socket learns from its acks, not from updates.
	sendMsg(t, sb, "general", "fence")
	if _, err := sa.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(sa.Events(wire.EventUpdate)); n != 0 {
		t.Errorf("alice's socket got %d updates of its own changes", n)
	}
	if n := len(sb.Events(wire.EventUpdate)); n != 2 {
		t.Errorf("bob got %d updates, want 2 (a repeated delete changes nothing)", n)
	}
}

func TestReactionsToggleCountAndStayInTheirRoom(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob, carol := env.Register("alice", "password-a"), env.Register("bob", "password-b"), env.Register("carol", "password-c")
	sa, sb, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)
	for _, s := range []*testserver.Sock{sa, sb} {
		wantOK(t, call(t, s, wire.EventJoin, map[string]any{"room": "dev"}))
	}
	id := sendMsg(t, sa, "dev", "ship it?")

	wantErr(t, call(t, sc, wire.EventReact, map[string]any{"id": id, "emoji": "👍"}), wire.ErrNotInRoom)
	for _, bad := range []string{"x", "👎", "", strings.Repeat("👍", 2), "👍\u200b"} {
		wantErr(t, call(t, sb, wire.EventReact, map[string]any{"id": id, "emoji": bad}), wire.ErrInvalidEmoji)
	}
	res := call(t, sb, wire.EventReact, map[string]any{"id": id, "emoji": "🎉"})
	wantOK(t, res)
	want := []any{map[string]any{"emoji": "🎉", "count": 1.0, "users": []any{bob.User.ID}}}
	if got := res["message"].(map[string]any)["reactions"]; !equalJSON(got, want) {
		t.Fatalf("reactions %v, want %v", got, want)
	}
	wantOK(t, call(t, sa, wire.EventReact, map[string]any{"id": id, "emoji": "🎉", "on": true}))
	wantOK(t, call(t, sa, wire.EventReact, map[string]any{"id": id, "emoji": "👍"}))
	evs, err := sb.WaitEvents(wire.EventUpdate, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want = []any{
		map[string]any{"emoji": "👍", "count": 1.0, "users": []any{alice.User.ID}},
		map[string]any{"emoji": "🎉", "count": 2.0, "users": []any{alice.User.ID, bob.User.ID}},
	}
	if got := evs[1].Args[0].(map[string]any)["reactions"]; !equalJSON(got, want) {
		t.Fatalf("bob sees %v, want %v", got, want)
	}
	res = call(t, sb, wire.EventReact, map[string]any{"id": id, "emoji": "🎉"}) // toggled off
	wantOK(t, res)
	want = []any{
		map[string]any{"emoji": "👍", "count": 1.0, "users": []any{alice.User.ID}},
		map[string]any{"emoji": "🎉", "count": 1.0, "users": []any{alice.User.ID}},
	}
	if got := res["message"].(map[string]any)["reactions"]; !equalJSON(got, want) {
		t.Fatalf("after bob's toggle %v, want %v", got, want)
	}
	h := historyOf(t, sb, "dev")[id]
	if !equalJSON(h["reactions"], want) {
		t.Fatalf("history has %v, want %v", h["reactions"], want)
	}
	// Carol, outside the room, heard nothing of it.
	sendMsg(t, sa, "general", "fence")
	if _, err := sc.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(sc.Events(wire.EventUpdate)); n != 0 {
		t.Errorf("carol, not in the room, got %d updates", n)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestChangesCatchUpAfterBeingAway(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa := dial(t, env, alice.Token)
	ids := []float64{sendMsg(t, sa, "general", "one"), sendMsg(t, sa, "general", "two"), sendMsg(t, sa, "general", "three")}
	sb := dial(t, env, bob.Token)
	join := call(t, sb, wire.EventJoin, map[string]any{"room": "general"})
	wantOK(t, join)
	seq := join["seq"].(float64)
	if seq != 0 {
		t.Fatalf("a room never changed has seq %v", seq)
	}
	sb.Close() // bob is away

	wantOK(t, call(t, sa, wire.EventEdit, map[string]any{"id": ids[0], "text": "uno"}))
	wantOK(t, call(t, sa, wire.EventDelete, map[string]any{"id": ids[1]}))
	wantOK(t, call(t, sa, wire.EventReact, map[string]any{"id": ids[2], "emoji": "😂"}))
	wantOK(t, call(t, sa, wire.EventEdit, map[string]any{"id": ids[0], "text": "eins"})) // changed twice: listed once

	sb = dial(t, env, bob.Token)
	res := call(t, sb, wire.EventChanges, map[string]any{"room": "general", "since": seq})
	wantOK(t, res)
	got := res["messages"].([]any)
	if len(got) != 3 || res["seq"] != 4.0 || res["more"] != nil {
		t.Fatalf("changes: %v", res)
	}
	// In the order of their last change: the delete, the reaction, the second edit.
	byOrder := []map[string]any{got[0].(map[string]any), got[1].(map[string]any), got[2].(map[string]any)}
	if byOrder[0]["id"] != ids[1] || byOrder[0]["deleted"] != true || byOrder[0]["text"] != "" ||
		byOrder[1]["id"] != ids[2] || byOrder[1]["reactions"] == nil ||
		byOrder[2]["id"] != ids[0] || byOrder[2]["text"] != "eins" || byOrder[2]["editedAt"] == nil {
		t.Fatalf("changes in order: %v", byOrder)
	}
	// Paged: one at a time, each page saying where to go on.
	var since any = seq
	var seen []any
	for range 5 {
		res := call(t, sb, wire.EventChanges, map[string]any{"room": "general", "since": since, "limit": 1})
		wantOK(t, res)
		for _, m := range res["messages"].([]any) {
			seen = append(seen, m.(map[string]any)["id"])
		}
		since = res["seq"]
		if res["more"] == nil {
			break
		}
	}
	if !equalJSON(seen, []any{ids[1], ids[2], ids[0]}) || since != 4.0 {
		t.Fatalf("paged changes %v, ending at %v", seen, since)
	}
	// Nothing new: an empty page at the same number.
	res = call(t, sb, wire.EventChanges, map[string]any{"room": "general", "since": 4})
	if len(res["messages"].([]any)) != 0 || res["seq"] != 4.0 {
		t.Fatalf("changes since the last: %v", res)
	}
	// The join reply now says where the room is.
	if j := call(t, sb, wire.EventJoin, map[string]any{"room": "general"}); j["seq"] != 4.0 {
		t.Fatalf("join after changes: seq %v", j["seq"])
	}
}

func TestTypingIsRelayedThrottledAndNeverStored(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob, carol := env.Register("alice", "password-a"), env.Register("bob", "password-b"), env.Register("carol", "password-c")
	sa, sb, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)
	for _, s := range []*testserver.Sock{sa, sb} {
		wantOK(t, call(t, s, wire.EventJoin, map[string]any{"room": "dev"}))
	}
	wantErr(t, call(t, sc, wire.EventTyping, map[string]any{"room": "dev"}), wire.ErrNotInRoom)
	wantErr(t, call(t, sc, wire.EventTyping, map[string]any{"room": "Not A Room"}), wire.ErrInvalidRoom)

	start := time.Now()
	const sent = 10
	for range sent {
		wantOK(t, call(t, sa, wire.EventTyping, map[string]any{"room": "dev"})) // the excess too: dropped silently
	}
	elapsed := time.Since(start)
	sendMsg(t, sa, "dev", "done typing") // relayed after the typing notices, on the same socket
	if _, err := sb.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	typing := sb.Events(wire.EventTyping)
	allowed := int(elapsed/wire.TypingRelayInterval) + 1
	if len(typing) < 1 || len(typing) > allowed {
		t.Fatalf("bob got %d typing notices for %d sent in %v, want 1 to %d", len(typing), sent, elapsed, allowed)
	}
	want := map[string]any{"room": "dev", "user": map[string]any{"id": alice.User.ID, "username": "alice"},
		"expiresIn": float64(wire.TypingExpiry.Milliseconds())}
	if !equalJSON(typing[0].Args[0], want) {
		t.Fatalf("typing notice %v, want %v", typing[0].Args[0], want)
	}
	// A message ends typing: the next notice is relayed at once.
	wantOK(t, call(t, sa, wire.EventTyping, map[string]any{"room": "dev"}))
	if _, err := sb.WaitEvents(wire.EventTyping, len(typing)+1, 5*time.Second); err != nil {
		t.Fatalf("typing after a message was not relayed: %v", err)
	}
	if n := len(sa.Events(wire.EventTyping)); n != 0 {
		t.Errorf("alice got her own typing %d times", n)
	}
	if n := len(sc.Events(wire.EventTyping)); n != 0 {
		t.Errorf("carol, not in the room, got %d typing notices", n)
	}
	if h := historyOf(t, sb, "dev"); len(h) != 1 {
		t.Errorf("typing left something in history: %v", h)
	}
}

func TestHostileChangesGetClearErrorsAndChangeNothing(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	sa := dial(t, env, alice.Token)
	id := sendMsg(t, sa, "general", "original")
	huge := strings.Repeat("é", wire.MaxMessageRunes+1)
	for _, c := range []struct {
		event   string
		payload any
		code    string
	}{
		{wire.EventEdit, map[string]any{"id": id, "text": huge}, wire.ErrInvalidMessage},
		{wire.EventEdit, map[string]any{"id": id, "text": "   "}, wire.ErrInvalidMessage},
		{wire.EventEdit, map[string]any{"id": id, "text": 42}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"id": "1", "text": "x"}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"id": -1, "text": "x"}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"id": 1.5, "text": "x"}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"id": 1e300, "text": "x"}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"text": "x"}, wire.ErrBadRequest},
		{wire.EventEdit, map[string]any{"id": 999999, "text": "x"}, wire.ErrNotFound},
		{wire.EventEdit, "just a string", wire.ErrBadRequest},
		{wire.EventDelete, nil, wire.ErrBadRequest},
		{wire.EventDelete, map[string]any{"id": 999999}, wire.ErrNotFound},
		{wire.EventReact, map[string]any{"id": id, "emoji": "👍", "on": "yes"}, wire.ErrBadRequest},
		{wire.EventReact, map[string]any{"id": id, "emoji": 1}, wire.ErrInvalidEmoji},
		{wire.EventReact, map[string]any{"id": id, "emoji": strings.Repeat("x", 30000)}, wire.ErrInvalidEmoji},
		{wire.EventChanges, map[string]any{"room": "general", "since": -1}, wire.ErrBadRequest},
		{wire.EventChanges, map[string]any{"room": "general", "limit": wire.MaxChanges + 1}, wire.ErrBadRequest},
		{wire.EventChanges, map[string]any{"room": "../etc"}, wire.ErrInvalidRoom},
		{wire.EventTyping, []any{"general"}, wire.ErrInvalidRoom},
	} {
		res, err := sa.Call(c.event, c.payload)
		if err != nil || res["ok"] != false || res["error"] != c.code {
			t.Errorf("%s %v: %v %v, want %s", c.event, c.payload, res, err, c.code)
		}
	}
	if h := historyOf(t, sa, "general")[id]; h["text"] != "original" || h["editedAt"] != nil || h["rev"] != nil {
		t.Fatalf("hostile calls changed the message: %v", h)
	}
}

func TestFloodOfReactionsIsRateLimitedAndConsistent(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{EventRate: 5, EventBurst: 10})
	alice := env.Register("alice", "password-a")
	sa := dial(t, env, alice.Token)
	id := sendMsg(t, sa, "general", "react to me")
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := sa.Call(wire.EventReact, map[string]any{"id": id, "emoji": "❤️", "on": true})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				codes["call failed"]++
			} else if res["ok"] == true {
				codes["ok"]++
			} else {
				codes[res["error"].(string)]++
			}
		}()
	}
	wg.Wait()
	if codes[wire.ErrRateLimited] == 0 || codes["ok"] == 0 || codes["ok"]+codes[wire.ErrRateLimited] != 40 {
		t.Fatalf("answers to a flood: %v", codes)
	}
	testserver.WaitFor(t, 10*time.Second, "the budget to refill", func() bool {
		res, _ := sa.Call(wire.EventHistory, map[string]any{"room": "general"})
		if res["ok"] != true {
			return false
		}
		m := res["messages"].([]any)[0].(map[string]any)
		want := []any{map[string]any{"emoji": "❤️", "count": 1.0, "users": []any{alice.User.ID}}}
		if !equalJSON(m["reactions"], want) {
			t.Fatalf("after the flood: %v", m["reactions"])
		}
		return true
	})
}
