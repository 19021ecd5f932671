package client

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"confab/wire"
)

// Edit replaces the text of one of our messages. Others see an UpdateEvent;
// the returned message is its new state.
func (c *Chat) Edit(ctx context.Context, id int64, text string) (wire.Message, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return wire.Message{}, &Error{Kind: ErrBadInput, Code: wire.ErrInvalidMessage, Detail: "the message is empty"}
	case utf8.RuneCountInString(text) > wire.MaxMessageRunes:
		return wire.Message{}, &Error{Kind: ErrBadInput, Code: wire.ErrInvalidMessage,
			Detail: fmt.Sprintf("the message is longer than %d characters", wire.MaxMessageRunes)}
	}
	return c.change(ctx, wire.EventEdit, map[string]any{"id": id, "text": text})
}

// Delete deletes one of our messages: everyone sees a tombstone instead.
// Deleting it again is harmless.
func (c *Chat) Delete(ctx context.Context, id int64) (wire.Message, error) {
	return c.change(ctx, wire.EventDelete, map[string]any{"id": id})
}

// React adds (on) or removes our reaction to a message; emoji is one of
// wire.Reactions. Asking twice is harmless.
func (c *Chat) React(ctx context.Context, id int64, emoji string, on bool) (wire.Message, error) {
	if !wire.ValidReaction(emoji) {
		return wire.Message{}, &Error{Kind: ErrBadInput, Code: wire.ErrInvalidEmoji}
	}
	return c.change(ctx, wire.EventReact, map[string]any{"id": id, "emoji": emoji, "on": on})
}

func (c *Chat) change(ctx context.Context, event string, payload map[string]any) (wire.Message, error) {
	res, err := c.call(ctx, event, payload)
	if err != nil {
		return wire.Message{}, err
	}
	var m wire.Message
	if err := decode(res["message"], &m); err != nil {
		return wire.Message{}, &Error{Kind: ErrServer, Err: err}
	}
	c.sawChange(m) // ours reach the others as updates, and us only here
	return m, nil
}

// sawChange moves a room's change number on when m is the next change:
// every one before it was seen, so a catch-up need not ask for them again.
func (c *Chat) sawChange(m wire.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.room(m.Room); r.seqKnown && m.Rev == r.seq+1 {
		r.seq = m.Rev
	}
}

// Typing tells the room that we are typing. Call it on every keystroke:
// it goes out at most once per wire.TypingInterval per room, and not while
// offline. A Send lets the next keystroke tell it again at once.
func (c *Chat) Typing(room string) {
	c.mu.Lock()
	r := c.room(room)
	conn := c.conn
	now := time.Now()
	if conn == nil || !r.joined || now.Sub(r.typedAt) < wire.TypingInterval {
		c.mu.Unlock()
		return
	}
	r.typedAt = now
	c.mu.Unlock()
	conn.c.Emit(wire.EventTyping, map[string]any{"room": room}) //nolint:errcheck // a lost notice expires by itself
}

// catchUpChanges fetches what changed in a room (edits, deletes,
// reactions) since change number since, as historic UpdateEvents, and
// returns the number to ask from next time; false if it did not finish.
func (c *Chat) catchUpChanges(conn *sioConn, room string, since int64) (int64, bool) {
	for range catchUpPages {
		ctx, cancel := context.WithTimeout(c.ctx, c.opts.CallTimeout)
		res, err := conn.call(ctx, wire.EventChanges, map[string]any{"room": room, "since": since})
		cancel()
		var msgs []wire.Message
		var next int64
		if err != nil || decode(res["messages"], &msgs) != nil || decode(res["seq"], &next) != nil {
			return since, false
		}
		for _, m := range msgs {
			c.out.push(UpdateEvent{Message: m, Historic: true})
		}
		since = max(since, next)
		if more, _ := res["more"].(bool); !more {
			return since, true
		}
	}
	return since, false
}
