package server_test

import (
	"reflect"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// conversationOf reads the conversation an acknowledgement or event carries.
func conversationOf(t *testing.T, v any) map[string]any {
	t.Helper()
	if m, isMap := v.(map[string]any); isMap {
		if c, isMap := m["conversation"].(map[string]any); isMap {
			return c
		}
		return m
	}
	t.Fatalf("no conversation in %v", v)
	return nil
}

// openDM opens the DM of s's user with username and returns its room.
func openDM(t *testing.T, s *testserver.Sock, username string) string {
	t.Helper()
	res := call(t, s, wire.EventDM, map[string]any{"username": username})
	wantOK(t, res)
	return conversationOf(t, res)["room"].(string)
}

// listOf is a user's conversations by room.
func listOf(t *testing.T, s *testserver.Sock) map[string]map[string]any {
	t.Helper()
	res := call(t, s, wire.EventConversations, map[string]any{})
	wantOK(t, res)
	out := map[string]map[string]any{}
	for _, c := range res["conversations"].([]any) {
		c := c.(map[string]any)
		out[c["room"].(string)] = c
	}
	return out
}

func TestDMBetweenTwoClients(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)

	room := openDM(t, sa, "bob")
	if !wire.IsPrivateRoom(room) {
		t.Fatalf("DM room %q is not a private room name", room)
	}
	// Bob is told of it, and opening it again, from either side, is the same one.
	evs, err := sb.WaitEvents(wire.EventConversation, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob was not told of the DM: %v", err)
	}
	if c := conversationOf(t, evs[0].Args[0]); c["room"] != room || c["kind"] != wire.KindDM {
		t.Fatalf("bob was told %v", c)
	}
	if again := openDM(t, sa, "BOB"); again != room {
		t.Fatalf("second dm: %q, first %q", again, room)
	}
	res := call(t, sb, wire.EventDM, map[string]any{"user": alice.User.ID})
	wantOK(t, res)
	c := conversationOf(t, res)
	if c["room"] != room {
		t.Fatalf("bob's dm to alice: %v, want %q", c, room)
	}
	var names []string
	for _, m := range c["members"].([]any) {
		m := m.(map[string]any)
		names = append(names, m["username"].(string))
		if m["online"] != true {
			t.Fatalf("member %v not online", m)
		}
	}
	if !reflect.DeepEqual(names, []string{"alice", "bob"}) {
		t.Fatalf("members %v", names)
	}

	wantOK(t, call(t, sa, wire.EventJoin, map[string]any{"room": room}))
	wantOK(t, call(t, sb, wire.EventJoin, map[string]any{"room": room}))
	id := sendMsg(t, sa, room, "hi bob, just us")
	evs, err = sb.WaitEvents(wire.EventMessage, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob got no message: %v", err)
	}
	if m := evs[0].Args[0].(map[string]any); m["id"] != id || m["room"] != room {
		t.Fatalf("bob got %v", m)
	}
	if h := historyOf(t, sb, room)[id]; h["text"] != "hi bob, just us" {
		t.Fatalf("bob's history %v", h)
	}
	wantErr(t, call(t, sa, wire.EventDM, map[string]any{"username": "alice"}), wire.ErrBadRequest)
	wantErr(t, call(t, sa, wire.EventDM, map[string]any{"username": "nobody"}), wire.ErrNoSuchUser)
}

// TestDMHiddenFromNonMembers: a third user asking anything of a DM gets
// exactly the answer a conversation that does not exist gets, and no event
// of it reaches them.
func TestDMHiddenFromNonMembers(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	carol := env.Register("carol", "password-c")
	sa, sb, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)
	room := openDM(t, sa, "bob")
	wantOK(t, call(t, sa, wire.EventJoin, map[string]any{"room": room}))
	wantOK(t, call(t, sb, wire.EventJoin, map[string]any{"room": room}))
	id := sendMsg(t, sa, room, "secret")
	const nowhere = "~999999"

	cases := []struct {
		name    string
		event   string
		payload func(room string, id float64) map[string]any
	}{
		{"join", wire.EventJoin, func(r string, _ float64) map[string]any { return map[string]any{"room": r} }},
		{"post", wire.EventMessage, func(r string, _ float64) map[string]any { return map[string]any{"room": r, "text": "hi"} }},
		{"history", wire.EventHistory, func(r string, _ float64) map[string]any { return map[string]any{"room": r} }},
		{"changes", wire.EventChanges, func(r string, _ float64) map[string]any { return map[string]any{"room": r, "since": 0} }},
		{"typing", wire.EventTyping, func(r string, _ float64) map[string]any { return map[string]any{"room": r} }},
		{"read", wire.EventRead, func(r string, id float64) map[string]any { return map[string]any{"room": r, "id": id} }},
		{"invite", wire.EventInvite, func(r string, _ float64) map[string]any { return map[string]any{"room": r, "username": "carol"} }},
		{"leaveGroup", wire.EventLeaveGroup, func(r string, _ float64) map[string]any { return map[string]any{"room": r} }},
	}
	for _, tc := range cases {
		got := call(t, sc, tc.event, tc.payload(room, id))
		none := call(t, sc, tc.event, tc.payload(nowhere, id))
		if got["ok"] != false || !reflect.DeepEqual(got, none) {
			t.Errorf("%s: carol got %v for the DM, %v for a conversation that does not exist", tc.name, got, none)
		}
	}
	// Its messages: the same answer as for an id no message has.
	for _, ev := range []struct {
		event   string
		payload map[string]any
	}{
		{wire.EventEdit, map[string]any{"text": "mine"}},
		{wire.EventDelete, map[string]any{}},
		{wire.EventReact, map[string]any{"emoji": wire.Reactions[0]}},
	} {
		withID := func(id float64) map[string]any {
			p := map[string]any{"id": id}
			for k, v := range ev.payload {
				p[k] = v
			}
			return p
		}
		got, none := call(t, sc, ev.event, withID(id)), call(t, sc, ev.event, withID(id+1000))
		if got["ok"] != false || !reflect.DeepEqual(got, none) {
			t.Errorf("%s: carol got %v for the DM's message, %v for none", ev.event, got, none)
		}
	}
	if l := listOf(t, sc); len(l) != 0 {
		t.Errorf("carol's conversations: %v", l)
	}
	// Nothing changed, and nothing of it reached carol: after a public
	// message she sees, she has seen no event of the DM.
	if h := historyOf(t, sa, room)[id]; h["text"] != "secret" || h["reactions"] != nil {
		t.Fatalf("the DM's message after carol's attempts: %v", h)
	}
	wantOK(t, call(t, sa, wire.EventTyping, map[string]any{"room": room}))
	sendMsg(t, sa, room, "second secret")
	wantOK(t, call(t, sa, wire.EventEdit, map[string]any{"id": id, "text": "edited secret"}))
	sendMsg(t, sa, "general", "public")
	if _, err := sc.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatalf("carol got no public message: %v", err)
	}
	if _, err := sb.WaitEvents(wire.EventMessage, 3, 5*time.Second); err != nil { // the DM's two and the public one
		t.Fatalf("bob: %v", err)
	}
	for _, name := range []string{wire.EventMessage, wire.EventUpdate, wire.EventTyping, wire.EventConversation} {
		for _, e := range sc.Events(name) {
			if m, isMap := e.Args[0].(map[string]any); !isMap || m["room"] != "general" {
				t.Errorf("carol got %s %v", name, e.Args)
			}
		}
	}
}

func TestDMUnreadCounts(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	room := openDM(t, sa, "bob")
	wantOK(t, call(t, sa, wire.EventJoin, map[string]any{"room": room}))
	var ids []float64
	for _, text := range []string{"one", "two", "three"} {
		ids = append(ids, sendMsg(t, sa, room, text))
	}
	unread := func(s *testserver.Sock) float64 { return listOf(t, s)[room]["unread"].(float64) }
	if a, b := unread(sa), unread(sb); a != 0 || b != 3 {
		t.Fatalf("unread: alice %v (her own), bob %v; want 0 and 3", a, b)
	}
	res := call(t, sb, wire.EventRead, map[string]any{"room": room, "id": ids[1]})
	wantOK(t, res)
	if c := conversationOf(t, res); c["unread"] != 1.0 || c["readId"] != ids[1] {
		t.Fatalf("after reading two: %v", c)
	}
	// The marker never moves back, and a deleted message is not unread.
	wantOK(t, call(t, sb, wire.EventRead, map[string]any{"room": room, "id": ids[0]}))
	if b := unread(sb); b != 1 {
		t.Fatalf("after an older read: unread %v, want 1", b)
	}
	wantOK(t, call(t, sa, wire.EventDelete, map[string]any{"id": ids[2]}))
	if b := unread(sb); b != 0 {
		t.Fatalf("after the delete: unread %v, want 0", b)
	}
	// Another socket of bob's hears of his read.
	sb2 := dial(t, env, bob.Token)
	id := sendMsg(t, sa, room, "four")
	wantOK(t, call(t, sb, wire.EventRead, map[string]any{"room": room, "id": id}))
	evs, err := sb2.WaitEvents(wire.EventConversation, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob's other socket: %v", err)
	}
	if c := conversationOf(t, evs[0].Args[0]); c["readId"] != id || c["unread"] != 0.0 {
		t.Fatalf("bob's other socket was told %v", c)
	}
	// Read markers are for private conversations.
	wantErr(t, call(t, sb, wire.EventRead, map[string]any{"room": "general", "id": id}), wire.ErrNotFound)
}

func TestGroupInviteAndLeave(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob := env.Register("alice", "password-a"), env.Register("bob", "password-b")
	carol := env.Register("carol", "password-c")
	sa, sb, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)

	res := call(t, sa, wire.EventGroup, map[string]any{"name": " Launch plans ", "members": []string{"bob"}})
	wantOK(t, res)
	g := conversationOf(t, res)
	room := g["room"].(string)
	if g["kind"] != wire.KindGroup || g["name"] != "Launch plans" || len(g["members"].([]any)) != 2 {
		t.Fatalf("group %v", g)
	}
	if _, err := sb.WaitEvents(wire.EventConversation, 1, 5*time.Second); err != nil {
		t.Fatalf("bob was not told: %v", err)
	}
	wantOK(t, call(t, sa, wire.EventJoin, map[string]any{"room": room}))
	early := sendMsg(t, sa, room, "before carol")
	wantErr(t, call(t, sc, wire.EventHistory, map[string]any{"room": room}), wire.ErrNotFound)

	// Alice invites carol: carol is told, reads the history, and posts.
	wantOK(t, call(t, sa, wire.EventInvite, map[string]any{"room": room, "username": "carol"}))
	evs, err := sc.WaitEvents(wire.EventConversation, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("carol was not told: %v", err)
	}
	if c := conversationOf(t, evs[0].Args[0]); c["room"] != room || len(c["members"].([]any)) != 3 || c["unread"] != 0.0 {
		t.Fatalf("carol was told %v", c)
	}
	wantOK(t, call(t, sc, wire.EventJoin, map[string]any{"room": room}))
	if h := historyOf(t, sc, room); h[early] == nil {
		t.Fatalf("carol's history %v", h)
	}
	sendMsg(t, sc, room, "thanks")
	wantErr(t, call(t, sb, wire.EventInvite, map[string]any{"room": room, "username": "nobody"}), wire.ErrNoSuchUser)

	// Carol leaves: she is out of the room at once and can read it no more.
	wantOK(t, call(t, sc, wire.EventLeaveGroup, map[string]any{"room": room}))
	sendMsg(t, sa, room, "after carol")
	sendMsg(t, sa, "general", "public")
	if _, err := sc.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatalf("carol got no public message: %v", err)
	}
	for _, e := range sc.Events(wire.EventMessage) {
		if m := e.Args[0].(map[string]any); m["room"] != "general" {
			t.Errorf("carol got %v after leaving", m)
		}
	}
	wantErr(t, call(t, sc, wire.EventHistory, map[string]any{"room": room}), wire.ErrNotFound)
	if l := listOf(t, sc); len(l) != 0 {
		t.Errorf("carol's list after leaving %v", l)
	}
	// A DM can be neither joined by invitation nor left.
	dm := openDM(t, sa, "bob")
	wantErr(t, call(t, sa, wire.EventInvite, map[string]any{"room": dm, "username": "carol"}), wire.ErrBadRequest)
	wantErr(t, call(t, sa, wire.EventLeaveGroup, map[string]any{"room": dm}), wire.ErrBadRequest)
}
