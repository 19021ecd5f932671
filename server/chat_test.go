package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// dial connects a user's socket or fails the test.
func dial(t *testing.T, env *testserver.Env, token string) *testserver.Sock {
	t.Helper()
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: token})
	if err != nil {
		t.Fatalf("dial: %v\nserver log:\n%s", err, env.Logs())
	}
	t.Cleanup(s.Close)
	return s
}

// call emits and requires an ack.
func call(t *testing.T, s *testserver.Sock, event string, payload any) map[string]any {
	t.Helper()
	res, err := s.Call(event, payload)
	if err != nil {
		t.Fatalf("%s: %v", event, err)
	}
	return res
}

func wantOK(t *testing.T, res map[string]any) {
	t.Helper()
	if res["ok"] != true {
		t.Fatalf("want ok, got %v", res)
	}
}

func wantErr(t *testing.T, res map[string]any, code string) {
	t.Helper()
	if res["ok"] != false || res["error"] != code {
		t.Fatalf("want error %q, got %v", code, res)
	}
}

func TestSendReceiveAndHistory(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)

	res := call(t, sa, wire.EventMessage, map[string]any{"text": "  hello bob  ", "clientId": "c1"})
	wantOK(t, res)
	msg := res["message"].(map[string]any)
	if msg["text"] != "hello bob" || msg["room"] != "general" || msg["clientId"] != "c1" {
		t.Fatalf("stored message %v", msg)
	}
	author := msg["author"].(map[string]any)
	if author["id"] != alice.User.ID || author["username"] != "alice" {
		t.Fatalf("author %v", author)
	}
	if _, err := time.Parse(time.RFC3339, msg["sentAt"].(string)); err != nil {
		t.Fatalf("sentAt: %v", err)
	}
	evs, err := sb.WaitEvents(wire.EventMessage, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob did not receive: %v", err)
	}
	if got := evs[0].Args[0].(map[string]any); got["id"] != msg["id"] || got["text"] != "hello bob" {
		t.Fatalf("bob got %v", got)
	}
	// The sender does not get its own message back.
	time.Sleep(100 * time.Millisecond)
	if n := len(sa.Events(wire.EventMessage)); n != 0 {
		t.Fatalf("sender received its own message %d times", n)
	}

	res = call(t, sb, wire.EventHistory, map[string]any{"room": "general"})
	wantOK(t, res)
	if msgs := res["messages"].([]any); len(msgs) != 1 || msgs[0].(map[string]any)["id"] != msg["id"] {
		t.Fatalf("history %v", res)
	}
}

func TestMessageAuthorCannotBeSpoofed(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa := dial(t, env, alice.Token)
	sb := dial(t, env, bob.Token)
	res := call(t, sa, wire.EventMessage, map[string]any{
		"text": "I am bob", "author": map[string]any{"id": bob.User.ID, "username": "bob"},
		"authorId": bob.User.ID, "username": "bob", "user": "bob",
	})
	wantOK(t, res)
	author := res["message"].(map[string]any)["author"].(map[string]any)
	if author["id"] != alice.User.ID || author["username"] != "alice" {
		t.Fatalf("author taken from payload: %v", author)
	}
	evs, err := sb.WaitEvents(wire.EventMessage, 1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs[0].Args[0].(map[string]any)["author"].(map[string]any); got["username"] != "alice" {
		t.Fatalf("broadcast author %v", got)
	}
}

func TestSeedNewMessageEvent(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	wantOK(t, call(t, sa, wire.EventJoin, map[string]any{"room": "lobby"}))
	wantOK(t, call(t, sb, wire.EventJoin, map[string]any{"room": "lobby"}))
	res := call(t, sa, wire.EventNewMessage, map[string]any{"chat": "lobby", "text": "seed style"})
	wantOK(t, res)
	if res["message"].(map[string]any)["room"] != "lobby" {
		t.Fatalf("room %v", res)
	}
	if _, err := sb.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	wantErr(t, call(t, sa, wire.EventNewMessage, map[string]any{"chat": "elsewhere", "text": "x"}), wire.ErrNotInRoom)
}

func TestRoomsJoinLeaveAndIsolation(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)

	wantErr(t, call(t, sa, wire.EventMessage, map[string]any{"room": "dev", "text": "x"}), wire.ErrNotInRoom)
	res := call(t, sa, wire.EventJoin, map[string]any{"room": "dev"})
	wantOK(t, res)
	if res["room"] != "dev" || len(res["history"].([]any)) != 0 {
		t.Fatalf("join %v", res)
	}
	wantOK(t, call(t, sa, wire.EventMessage, map[string]any{"room": "dev", "text": "only dev"}))
	// bob is not in dev: nothing arrives; after joining he sees it in the join history.
	time.Sleep(150 * time.Millisecond)
	if n := len(sb.Events(wire.EventMessage)); n != 0 {
		t.Fatalf("message leaked to a socket outside the room")
	}
	res = call(t, sb, wire.EventJoin, map[string]any{"room": "dev"})
	if h := res["history"].([]any); len(h) != 1 || h[0].(map[string]any)["text"] != "only dev" {
		t.Fatalf("join history %v", res)
	}
	wantOK(t, call(t, sb, wire.EventLeave, map[string]any{"room": "dev"}))
	wantOK(t, call(t, sa, wire.EventMessage, map[string]any{"room": "dev", "text": "after leave"}))
	time.Sleep(150 * time.Millisecond)
	if n := len(sb.Events(wire.EventMessage)); n != 0 {
		t.Fatalf("message delivered after leave")
	}
	wantErr(t, call(t, sb, wire.EventMessage, map[string]any{"room": "dev", "text": "x"}), wire.ErrNotInRoom)
}

func TestRoomNames(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	s := dial(t, env, env.Register("alice", "password-a").Token)
	long := strings.Repeat("a", wire.MaxRoomLen)
	for _, good := range []string{"a", "0", "a-b_c", long} {
		wantOK(t, call(t, s, wire.EventJoin, map[string]any{"room": good}))
	}
	for _, bad := range []any{"", "A", "-a", "_a", "a b", "é", long + "a", 5, nil} {
		wantErr(t, call(t, s, wire.EventJoin, map[string]any{"room": bad}), wire.ErrInvalidRoom)
		wantErr(t, call(t, s, wire.EventLeave, map[string]any{"room": bad}), wire.ErrInvalidRoom)
		wantErr(t, call(t, s, wire.EventHistory, map[string]any{"room": bad}), wire.ErrInvalidRoom)
	}
	wantErr(t, call(t, s, wire.EventMessage, map[string]any{"room": "Bad", "text": "x"}), wire.ErrInvalidRoom)
	wantErr(t, call(t, s, wire.EventJoin, "general"), wire.ErrInvalidRoom)
}

func TestMessageTextLimits(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	s := dial(t, env, env.Register("alice", "password-a").Token)
	atLimit := strings.Repeat("é", wire.MaxMessageRunes) // counted in characters, not bytes
	res := call(t, s, wire.EventMessage, map[string]any{"text": atLimit})
	wantOK(t, res)
	for _, bad := range []any{"", "   \n\t ", atLimit + "x", 42, map[string]any{}} {
		wantErr(t, call(t, s, wire.EventMessage, map[string]any{"text": bad}), wire.ErrInvalidMessage)
	}
	wantErr(t, call(t, s, wire.EventMessage, map[string]any{}), wire.ErrInvalidMessage)
	// Nothing but the one valid message was stored.
	res = call(t, s, wire.EventHistory, map[string]any{"room": "general"})
	if n := len(res["messages"].([]any)); n != 1 {
		t.Fatalf("history has %d messages, want 1", n)
	}
}

func TestClientIDIsIdempotent(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	first := call(t, sa, wire.EventMessage, map[string]any{"text": "once", "clientId": "k-1"})
	again := call(t, sa, wire.EventMessage, map[string]any{"text": "once", "clientId": "k-1"})
	wantOK(t, again)
	if first["message"].(map[string]any)["id"] != again["message"].(map[string]any)["id"] {
		t.Fatalf("retry stored a second message: %v vs %v", first, again)
	}
	// Another user may use the same clientId.
	other := call(t, sb, wire.EventMessage, map[string]any{"text": "mine", "clientId": "k-1"})
	if other["message"].(map[string]any)["id"] == first["message"].(map[string]any)["id"] {
		t.Fatal("clientId shared across users")
	}
	time.Sleep(150 * time.Millisecond)
	if n := len(sb.Events(wire.EventMessage)); n != 1 {
		t.Fatalf("bob received %d broadcasts of the retried message, want 1", n)
	}
	wantErr(t, call(t, sa, wire.EventMessage, map[string]any{"text": "x", "clientId": strings.Repeat("k", wire.MaxClientIDLen+1)}), wire.ErrBadRequest)
	wantOK(t, call(t, sa, wire.EventMessage, map[string]any{"text": "x", "clientId": strings.Repeat("k", wire.MaxClientIDLen)}))
}

func TestHistoryPagination(t *testing.T) {
	env := testserver.Start(t, server.Config{EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000})
	s := dial(t, env, env.Register("alice", "password-a").Token)
	var ids []float64
	for i := 0; i < 120; i++ {
		res := call(t, s, wire.EventMessage, map[string]any{"text": fmt.Sprintf("m%d", i)})
		ids = append(ids, res["message"].(map[string]any)["id"].(float64))
	}
	page := func(p map[string]any) []float64 {
		p["room"] = "general"
		res := call(t, s, wire.EventHistory, p)
		wantOK(t, res)
		var out []float64
		for _, m := range res["messages"].([]any) {
			out = append(out, m.(map[string]any)["id"].(float64))
		}
		return out
	}
	same := func(got, want []float64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
	}
	same(page(map[string]any{}), ids[70:])                              // newest 50, ascending
	same(page(map[string]any{"before": ids[70]}), ids[20:70])           // scrolling back
	same(page(map[string]any{"after": ids[9], "limit": 5}), ids[10:15]) // catching up
	same(page(map[string]any{"after": ids[9], "before": ids[12]}), ids[10:12])
	same(page(map[string]any{"limit": wire.MaxHistory}), ids)
	same(page(map[string]any{"limit": 1}), ids[119:])
	for _, bad := range []any{0, wire.MaxHistory + 1, 2.5, "10", -1} {
		wantErr(t, call(t, s, wire.EventHistory, map[string]any{"room": "general", "limit": bad}), wire.ErrBadRequest)
	}
	wantErr(t, call(t, s, wire.EventHistory, map[string]any{"room": "general", "before": "x"}), wire.ErrBadRequest)
}

func TestUsersAndGetUser(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa := dial(t, env, alice.Token)
	res := call(t, sa, wire.EventUsers, map[string]any{})
	wantOK(t, res)
	users := res["users"].([]any)
	if len(users) != 2 {
		t.Fatalf("users %v", users)
	}
	for _, u := range users {
		u := u.(map[string]any)
		if len(u) != 3 {
			t.Fatalf("user has fields beyond id, username, online: %v", u)
		}
		if want := u["username"] == "alice"; u["online"] != want {
			t.Fatalf("online flag wrong: %v", u)
		}
	}
	for _, q := range []any{bob.User.ID, map[string]any{"id": bob.User.ID}} {
		res = call(t, sa, wire.EventGetUser, q)
		wantOK(t, res)
		if u := res["user"].(map[string]any); u["username"] != "bob" || u["online"] != false || u["id"] != bob.User.ID {
			t.Fatalf("getUser %v", u)
		}
	}
	wantErr(t, call(t, sa, wire.EventGetUser, map[string]any{"id": "999"}), wire.ErrNotFound)
	wantErr(t, call(t, sa, wire.EventGetUser, "nobody"), wire.ErrNotFound)
	wantErr(t, call(t, sa, wire.EventGetUser, map[string]any{}), wire.ErrBadRequest)
}

func TestPresence(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa := dial(t, env, alice.Token)
	sb1 := dial(t, env, bob.Token)
	// Its own and bob's, in either order: the Go client handles packets
	// concurrently (pitfall 15).
	evs, err := sa.WaitEvents(wire.EventPresence, 2, 5*time.Second)
	if err != nil {
		t.Fatalf("presence: %v", err)
	}
	online := map[string]bool{}
	for _, e := range evs {
		p := e.Args[0].(map[string]any)
		online[p["user"].(map[string]any)["username"].(string)] = p["online"] == true
	}
	if !online["bob"] || !online["alice"] {
		t.Fatalf("presence %v", evs)
	}
	// bob's second socket is not news; his last socket leaving is.
	sb2 := dial(t, env, bob.Token)
	time.Sleep(150 * time.Millisecond)
	if n := len(sa.Events(wire.EventPresence)); n != 2 {
		t.Fatalf("second socket of a user sent presence (%d events)", n)
	}
	sb1.Close()
	time.Sleep(150 * time.Millisecond)
	if n := len(sa.Events(wire.EventPresence)); n != 2 {
		t.Fatalf("presence offline while a socket remains")
	}
	sb2.Close()
	evs, err = sa.WaitEvents(wire.EventPresence, 3, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p := evs[2].Args[0].(map[string]any); p["online"] != false || p["user"].(map[string]any)["id"] != bob.User.ID {
		t.Fatalf("offline presence %v", p)
	}
}
