package server_test

import (
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// A message naming @bob reaches bob's socket that is not in its room as
// a mention, once; his socket in the room gets it as a message only; the
// sender and people not named get no mention, nor does a user named in a
// conversation he may not read.
func TestMentionReachesTheUserOutsideTheRoom(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	alice, bob, carol := env.Register("alice", "password-a"), env.Register("bob", "password-b"), env.Register("carol", "password-c")
	sa, sb, sbIn, sc := dial(t, env, alice.Token), dial(t, env, bob.Token), dial(t, env, bob.Token), dial(t, env, carol.Token)
	joinRooms(t, sa, "dev")
	joinRooms(t, sbIn, "dev")
	id := sendMsg(t, sa, "dev", "@BOB and @alice, look (@nobody)")

	evs, err := sb.WaitEvents(wire.EventMention, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("bob got no mention: %v", err)
	}
	if m := evs[0].Args[0].(map[string]any); m["id"] != id || m["room"] != "dev" || m["text"] != "@BOB and @alice, look (@nobody)" {
		t.Fatalf("the mention %v", m)
	}
	if _, err := sbIn.WaitEvents(wire.EventMessage, 1, 5*time.Second); err != nil {
		t.Fatalf("bob's socket in the room got no message: %v", err)
	}
	// A later message settles it: nothing more came before it.
	joinRooms(t, sc, "dev")
	wantOK(t, call(t, sc, wire.EventMessage, map[string]any{"room": "dev", "text": "end"}))
	if _, err := sbIn.WaitEvents(wire.EventMessage, 2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for who, s := range map[string]*testserver.Sock{"bob in the room": sbIn, "alice": sa, "carol": sc} {
		if n := len(s.Events(wire.EventMention)); n != 0 {
			t.Errorf("%s got %d mentions", who, n)
		}
	}
	if n := len(sb.Events(wire.EventMention)); n != 1 {
		t.Errorf("bob got %d mentions, want 1", n)
	}

	// Named in alice and carol's direct conversation, bob is not told;
	// the next mention he may read comes next on his socket, with nothing
	// between.
	private := openDM(t, sa, "carol")
	joinRooms(t, sa, private)
	sendMsg(t, sa, private, "@bob this room is not yours")
	again := sendMsg(t, sa, "dev", "@bob now it is")
	evs, err = sb.WaitEvents(wire.EventMention, 2, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m := evs[1].Args[0].(map[string]any); m["id"] != again {
		t.Errorf("bob's second mention is %v, want message %v", m, again)
	}
}
