package client

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"confab/wire"
)

// Send queues a message for a room and returns its clientId at once. Its
// progress (pending, sent, failed) arrives as DeliveryEvents. Messages wait
// out disconnections and go out in order, one in flight per room; a resend
// is never stored twice (the server deduplicates by clientId).
func (c *Chat) Send(room, text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", &Error{Kind: ErrBadInput, Code: wire.ErrInvalidMessage, Detail: "the message is empty"}
	case utf8.RuneCountInString(text) > wire.MaxMessageRunes:
		return "", &Error{Kind: ErrBadInput, Code: wire.ErrInvalidMessage, Detail: "the message is longer than 4000 characters"}
	case !wire.ValidConversation(room):
		return "", &Error{Kind: ErrBadInput, Code: wire.ErrInvalidRoom}
	}
	o := &Outgoing{ClientID: newClientID(), Room: room, Text: text, State: Pending}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return "", ErrClosed
	}
	c.pending[o.ClientID] = o
	r := c.room(room)
	r.queue = append(r.queue, o)
	r.typedAt = time.Time{} // the next keystroke is news again
	snapshot := *o
	c.mu.Unlock()
	c.out.push(DeliveryEvent{Outgoing: snapshot})
	c.pump(room)
	return o.ClientID, nil
}

// Retry queues a failed message again (at the end of its room's queue).
func (c *Chat) Retry(clientID string) error {
	c.mu.Lock()
	o, ok := c.pending[clientID]
	if !ok || o.State != Failed {
		c.mu.Unlock()
		return &Error{Kind: ErrBadInput, Detail: "no failed message with that id"}
	}
	o.State, o.Err = Pending, nil
	r := c.room(o.Room)
	r.queue = append(r.queue, o)
	snapshot := *o
	c.mu.Unlock()
	c.out.push(DeliveryEvent{Outgoing: snapshot})
	c.pump(o.Room)
	return nil
}

// Discard forgets a failed message.
func (c *Chat) Discard(clientID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.pending[clientID]
	if !ok || o.State != Failed {
		return &Error{Kind: ErrBadInput, Detail: "no failed message with that id"}
	}
	delete(c.pending, clientID)
	return nil
}

// Pending lists our messages not yet sent, and the failed ones.
func (c *Chat) Pending() []Outgoing {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Outgoing, 0, len(c.pending))
	for _, o := range c.pending {
		out = append(out, *o)
	}
	return out
}

// pump sends the head of a room's queue if nothing of that room is in flight.
func (c *Chat) pump(room string) {
	c.mu.Lock()
	r := c.room(room)
	if c.ended || c.conn == nil || r.inflight || len(r.queue) == 0 {
		c.mu.Unlock()
		return
	}
	o, conn := r.queue[0], c.conn
	r.inflight = true
	payload := map[string]any{"room": o.Room, "text": o.Text, "clientId": o.ClientID}
	c.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.CallTimeout)
		defer cancel()
		res, err := conn.call(ctx, wire.EventMessage, payload)
		c.settle(o, res, err)
	}()
}

func (c *Chat) pumpAll() {
	c.mu.Lock()
	rooms := make([]string, 0, len(c.rooms))
	for name := range c.rooms {
		rooms = append(rooms, name)
	}
	c.mu.Unlock()
	for _, name := range rooms {
		c.pump(name)
	}
}

// settle records the outcome of sending the head of o's room.
func (c *Chat) settle(o *Outgoing, res map[string]any, err error) {
	retryLater := false
	c.mu.Lock()
	r := c.room(o.Room)
	r.inflight = false
	switch {
	case err == nil:
		var m wire.Message
		if derr := decode(res["message"], &m); derr != nil {
			retryLater = true
			break
		}
		r.queue = r.queue[1:]
		delete(c.pending, o.ClientID)
		o.State, o.Message = Sent, &m
		r.markSeen(m.ID)
	case !transient(err): // refused for good (unavailable, a node without its database, is transient: try again)
		r.queue = r.queue[1:]
		o.State, o.Err = Failed, err
	default: // rate limited, server trouble, timeout or disconnect: keep it, try again
		retryLater = true
	}
	snapshot := *o
	c.mu.Unlock()
	if retryLater {
		if c.ctx.Err() == nil {
			time.AfterFunc(c.opts.RateLimitPause, func() { c.pump(o.Room) })
		}
		return
	}
	c.out.push(DeliveryEvent{Outgoing: snapshot})
	c.pump(o.Room)
}
