package client_test

import (
	"context"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
)

// A message naming bob in a room he never joined reaches him as a
// MentionEvent, not as a message.
func TestMentionOutsideJoinedRooms(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a, ra := connect(t, env, "alice")
	_, rb := connect(t, env, "bob")
	if err := a.Join(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	m := sent(t, a, ra, "dev", "@bob can you look?")
	rb.wait(t, "the mention", func(evs []client.Event) bool {
		for _, e := range evs {
			if me, ok := e.(client.MentionEvent); ok && me.Message.ID == m.ID && me.Message.Room == "dev" {
				return true
			}
		}
		return false
	})
	if n := rb.count(func(e client.Event) bool { me, ok := e.(client.MessageEvent); return ok && me.Message.Room == "dev" }); n != 0 {
		t.Errorf("bob got %d messages of a room he did not join", n)
	}
}
