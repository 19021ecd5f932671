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

func TestEventRateLimit(t *testing.T) {
	const burst = 5
	env := testserver.Start(t, server.Config{EventRate: 0.5, EventBurst: burst})
	s := dial(t, env, env.Register("alice", "password-a").Token)
	for i := 0; i < burst; i++ {
		wantOK(t, call(t, s, wire.EventMessage, map[string]any{"text": fmt.Sprint(i)}))
	}
	wantErr(t, call(t, s, wire.EventMessage, map[string]any{"text": "one too many"}), wire.ErrRateLimited)
	wantErr(t, call(t, s, wire.EventUsers, map[string]any{}), wire.ErrRateLimited) // every event counts
	// Only the burst was stored; another socket has its own budget.
	other := dial(t, env, env.Register("observer", "password-o").Token)
	res := call(t, other, wire.EventHistory, map[string]any{"room": "general"})
	if n := len(res["messages"].([]any)); n != burst {
		t.Fatalf("history after rate limit: %d messages, want %d", n, burst)
	}
}

func TestUsersListCap(t *testing.T) {
	env := testserver.Start(t, server.Config{UsersListed: 3})
	var tok string
	for _, name := range []string{"dave", "carol", "bob"} {
		tok = env.Register(name, "password-x").Token
	}
	s := dial(t, env, tok)
	if n := len(call(t, s, wire.EventUsers, map[string]any{})["users"].([]any)); n != 3 {
		t.Fatalf("at the cap: %d users", n)
	}
	env.Register("alice", "password-x")
	users := call(t, s, wire.EventUsers, map[string]any{})["users"].([]any)
	if len(users) != 3 || users[0].(map[string]any)["username"] != "alice" {
		t.Fatalf("over the cap: %v", users)
	}
}

func TestPasswordLengthEdges(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	long := strings.Repeat("p", wire.MaxPasswordBytes)
	env.Register("alice", long)
	env.Login("alice", long)
	code, _, body := env.Post("/login", ctJSON, testserver.JSON("alice", long+"p"), "")
	if code != 400 || body["error"] != wire.ErrBadRequest {
		t.Fatalf("password over the limit: %d %v", code, body)
	}
	// Eight characters, not bytes: seven "é" are 14 bytes but too short.
	code, _, body = env.Post("/register", ctJSON, testserver.JSON("bob", strings.Repeat("é", wire.MinPasswordLen-1)), "")
	if code != 400 || body["error"] != wire.ErrWeakPassword {
		t.Fatalf("7 two-byte characters: %d %v", code, body)
	}
	env.Register("bob", strings.Repeat("é", wire.MinPasswordLen))
}

// TestMaxMessageWait: a message that waited longer than the limit for its
// socket's turn is refused as unavailable (the client sends it again) and
// not stored; within the limit it is stored (issue 16: an overloaded
// server left such messages neither stored nor refused).
func TestMaxMessageWait(t *testing.T) {
	t.Parallel()
	// Every event waits more than a nanosecond between its read and its turn.
	late := testserver.Start(t, server.Config{MaxMessageWait: time.Nanosecond})
	s := dial(t, late, late.Register("alice", "password-a").Token)
	wantErr(t, call(t, s, wire.EventMessage, map[string]any{"text": "too late"}), wire.ErrUnavailable)
	if n := len(call(t, s, wire.EventHistory, map[string]any{"room": "general"})["messages"].([]any)); n != 0 {
		t.Fatalf("a refused message was stored: %d in history", n)
	}
	onTime := testserver.Start(t, server.Config{MaxMessageWait: time.Hour})
	s = dial(t, onTime, onTime.Register("alice", "password-a").Token)
	wantOK(t, call(t, s, wire.EventMessage, map[string]any{"text": "in time"}))
}
