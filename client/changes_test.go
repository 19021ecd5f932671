package client_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// cutter is a TCP relay to the server that a test can cut: while cut, it
// closes every connection and refuses new ones, as a dead network would.
type cutter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); c.setCut(true) })
	go c.serve()
	return c
}

// connectThroughCutter signs name up and connects it through a cutter the
// test can cut.
func connectThroughCutter(t *testing.T, env *testserver.Env, name string) (*client.Chat, *recorder, *cutter) {
	t.Helper()
	cut := newCutter(t, env.Addr)
	c, r := connectAt(t, cut.URL(), name)
	return c, r, cut
}

func (c *cutter) URL() string { return "http://" + c.ln.Addr().String() }

func (c *cutter) serve() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut {
			c.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			in.Close()
			continue
		}
		c.conns = append(c.conns, in, out)
		c.mu.Unlock()
		go func() { io.Copy(out, in); out.Close() }() //nolint:errcheck
		go func() { io.Copy(in, out); in.Close() }()  //nolint:errcheck
	}
}

func (c *cutter) setCut(cut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = cut
	if cut {
		for _, conn := range c.conns {
			conn.Close()
		}
		c.conns = nil
	}
}

// updates returns the last UpdateEvent of each message, by id.
func (r *recorder) updates(historic bool) map[int64]wire.Message {
	evs, _ := r.snapshot()
	out := map[int64]wire.Message{}
	for _, e := range evs {
		if u, ok := e.(client.UpdateEvent); ok && u.Historic == historic {
			out[u.Message.ID] = u.Message
		}
	}
	return out
}

func sent(t *testing.T, c *client.Chat, r *recorder, room, text string) wire.Message {
	t.Helper()
	cid, err := c.Send(room, text)
	if err != nil {
		t.Fatal(err)
	}
	var m wire.Message
	r.wait(t, "sent "+text, func(evs []client.Event) bool {
		for _, e := range evs {
			if d, ok := e.(client.DeliveryEvent); ok && d.Outgoing.ClientID == cid && d.Outgoing.State == client.Sent {
				m = *d.Outgoing.Message
				return true
			}
		}
		return false
	})
	return m
}

func TestEditsDeletesAndReactionsLiveAndAfterBeingAway(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a, ra := connect(t, env, "alice")
	b, rb, cut := connectThroughCutter(t, env, "bob")
	ctx := context.Background()
	m1, m2, m3 := sent(t, a, ra, "general", "one"), sent(t, a, ra, "general", "two"), sent(t, a, ra, "general", "three")
	rb.wait(t, "bob has the three", func([]client.Event) bool { return len(rb.messages()) == 3 })

	// Live: an edit and a reaction reach the other side.
	if m, err := a.Edit(ctx, m1.ID, "uno"); err != nil || m.Text != "uno" || m.EditedAt == nil {
		t.Fatalf("edit: %+v %v", m, err)
	}
	rb.wait(t, "bob sees the edit", func([]client.Event) bool { return rb.updates(false)[m1.ID].Text == "uno" })
	if _, err := b.Edit(ctx, m1.ID, "bob's now"); !errors.Is(err, client.ErrBadInput) || !isCode(err, wire.ErrNotAuthor) {
		t.Fatalf("bob edits alice's message: %v", err)
	}
	if _, err := b.Delete(ctx, m1.ID); !isCode(err, wire.ErrNotAuthor) {
		t.Fatalf("bob deletes alice's message: %v", err)
	}
	if _, err := b.React(ctx, m2.ID, "🍕", true); !isCode(err, wire.ErrInvalidEmoji) {
		t.Fatalf("a reaction outside the set: %v", err)
	}
	if _, err := b.React(ctx, m2.ID, "👍", true); err != nil {
		t.Fatal(err)
	}
	ra.wait(t, "alice sees bob's reaction", func([]client.Event) bool {
		rs := ra.updates(false)[m2.ID].Reactions
		return len(rs) == 1 && rs[0].Emoji == "👍" && rs[0].Count == 1
	})

	// Away: bob's network is cut while alice changes all three.
	cut.setCut(true)
	rb.wait(t, "bob notices the cut", func([]client.Event) bool { return rb.count(isState(client.Reconnecting)) > 0 })
	if _, err := a.Edit(ctx, m1.ID, "eins"); err != nil {
		t.Fatal(err)
	}
	if m, err := a.Delete(ctx, m2.ID); err != nil || !m.Deleted || m.Text != "" || m.Reactions != nil {
		t.Fatalf("delete: %+v %v", m, err)
	}
	if _, err := a.React(ctx, m3.ID, "🎉", true); err != nil {
		t.Fatal(err)
	}
	cut.setCut(false)
	online(rb, t, 2)
	rb.wait(t, "bob catches up on all three changes", func([]client.Event) bool {
		u := rb.updates(true)
		return u[m1.ID].Text == "eins" && u[m2.ID].Deleted && len(u[m3.ID].Reactions) == 1
	})
	u := rb.updates(true)
	if u[m2.ID].Text != "" || u[m3.ID].Reactions[0].Emoji != "🎉" || u[m3.ID].Reactions[0].Users[0] != m1.Author.ID {
		t.Fatalf("caught up to %+v", u)
	}
	if !(u[m1.ID].Rev < u[m2.ID].Rev && u[m2.ID].Rev < u[m3.ID].Rev) {
		t.Fatalf("revisions out of order: %d %d %d", u[m1.ID].Rev, u[m2.ID].Rev, u[m3.ID].Rev)
	}
	// The history bob would load now says the same.
	hist, err := b.History(ctx, "general", 0, 10)
	if err != nil || len(hist) != 3 || hist[0].Text != "eins" || !hist[1].Deleted || len(hist[2].Reactions) != 1 {
		t.Fatalf("history after the changes: %+v %v", hist, err)
	}
}

func isCode(err error, code string) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Code == code
}

func TestTypingIsThrottledAndShownToOthers(t *testing.T) {
	t.Parallel()
	// A small event budget: 50 notices would spend it, and Users would be refused.
	env := testserver.Start(t, server.Config{EventRate: 0.5, EventBurst: 8})
	a, ra := connect(t, env, "alice")
	_, rb := connect(t, env, "bob")
	for range 50 { // a burst of keystrokes: one notice
		a.Typing("general")
	}
	if _, err := a.Users(context.Background()); err != nil {
		t.Fatalf("after a burst of keystrokes: %v", err)
	}
	sent(t, a, ra, "general", "typed")
	rb.wait(t, "bob has the message", func([]client.Event) bool { return len(rb.messages()) == 1 })
	evs, _ := rb.snapshot()
	var typing []client.TypingEvent
	for _, e := range evs {
		if te, ok := e.(client.TypingEvent); ok {
			typing = append(typing, te)
		}
	}
	if len(typing) != 1 || typing[0].Typing.User.Username != "alice" || typing[0].Typing.Room != "general" || typing[0].Until.IsZero() {
		t.Fatalf("bob's typing events: %+v", typing)
	}
	// After a send the next keystroke is news again.
	a.Typing("general")
	rb.wait(t, "a second notice after the send", func([]client.Event) bool {
		return rb.count(func(e client.Event) bool { _, ok := e.(client.TypingEvent); return ok }) == 2
	})
	if n := ra.count(func(e client.Event) bool { _, ok := e.(client.TypingEvent); return ok }); n != 0 {
		t.Errorf("alice was told %d times that she is typing", n)
	}
}
