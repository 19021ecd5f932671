package client_test

import (
	"context"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// conversationEvents are the ConversationEvents a chat received.
func (r *recorder) conversations() []wire.Conversation {
	evs, _ := r.snapshot()
	var out []wire.Conversation
	for _, e := range evs {
		if c, ok := e.(client.ConversationEvent); ok {
			out = append(out, c.Conversation)
		}
	}
	return out
}

func TestDMLiveAndCaughtUpAfterReconnect(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a, ra := connect(t, env, "alice")
	c, _ := connect(t, env, "carol")
	b, rb, cut := connectThroughCutter(t, env, "bob")
	ctx := context.Background()

	conv, err := a.OpenDM(ctx, "bob")
	if err != nil || conv.Kind != wire.KindDM || len(conv.Members) != 2 {
		t.Fatalf("open DM: %+v %v", conv, err)
	}
	rb.wait(t, "bob hears of the DM", func([]client.Event) bool {
		cs := rb.conversations()
		return len(cs) == 1 && cs[0].Room == conv.Room
	})
	if err := a.Join(ctx, conv.Room); err != nil {
		t.Fatal(err)
	}
	if err := b.Join(ctx, conv.Room); err != nil {
		t.Fatal(err)
	}
	m1 := sent(t, a, ra, conv.Room, "hello bob")
	rb.wait(t, "bob gets it live", func([]client.Event) bool { return rb.messages()[m1.ID].Text == "hello bob" })

	// Carol can neither join nor read it.
	if err := c.Join(ctx, conv.Room); !isCode(err, wire.ErrNotFound) {
		t.Fatalf("carol joins the DM: %v", err)
	}
	if _, err := c.History(ctx, conv.Room, 0, 10); !isCode(err, wire.ErrNotFound) {
		t.Fatalf("carol reads the DM: %v", err)
	}

	// Bob is away while alice writes twice; back, he has both.
	cut.setCut(true)
	rb.wait(t, "bob notices the cut", func([]client.Event) bool { return rb.count(isState(client.Reconnecting)) > 0 })
	m2, m3 := sent(t, a, ra, conv.Room, "are you there?"), sent(t, a, ra, conv.Room, "call me")
	cut.setCut(false)
	online(rb, t, 2)
	rb.wait(t, "bob catches up", func([]client.Event) bool {
		ms := rb.messages()
		return ms[m2.ID].Text == "are you there?" && ms[m3.ID].Text == "call me"
	})

	list, err := b.Conversations(ctx)
	if err != nil || len(list) != 1 || list[0].Unread != 3 || list[0].LastID != m3.ID {
		t.Fatalf("bob's conversations: %+v %v", list, err)
	}
	if got, err := b.MarkRead(ctx, conv.Room, m3.ID); err != nil || got.Unread != 0 || got.ReadID != m3.ID {
		t.Fatalf("mark read: %+v %v", got, err)
	}
	if list, _ := c.Conversations(ctx); len(list) != 0 {
		t.Fatalf("carol's conversations: %+v", list)
	}
}
