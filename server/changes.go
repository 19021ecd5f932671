package server

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

// Edits, deletes, reactions and typing (docs/protocol.md). A change is
// stored before it is acknowledged, then sent as an update to the room's
// other sockets; a client that was away asks for the changes since the
// room's change number it last saw. Each change is a write of its own, so
// it costs one of the user's messages (userLimits.messages): more sockets
// do not buy more writes.

func (c *conn) onEdit(payload any) ack {
	m, id, res := c.target(payload)
	if res != nil {
		return res
	}
	text, err := optString(m, "text", "")
	if err != nil {
		return fail(wire.ErrBadRequest)
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > wire.MaxMessageRunes {
		return fail(wire.ErrInvalidMessage)
	}
	if !c.limits.messages.Allow() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	stored, changed, err := c.srv.store.EditMessage(ctx, id, c.userID, text) // only the author's
	return c.changed(stored, changed, err)
}

func (c *conn) onDelete(payload any) ack {
	_, id, res := c.target(payload)
	if res != nil {
		return res
	}
	if !c.limits.messages.Allow() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	stored, changed, err := c.srv.store.DeleteMessage(ctx, id, c.userID) // only the author's
	if err == nil && changed {
		c.srv.forgetFile(ctx, id) // files.go
	}
	return c.changed(stored, changed, err)
}

func (c *conn) onReact(payload any) ack {
	m, id, res := c.target(payload)
	if res != nil {
		return res
	}
	emoji, isString := m["emoji"].(string)
	if !isString || !wire.ValidReaction(emoji) {
		return fail(wire.ErrInvalidEmoji)
	}
	mode := store.ReactToggle
	switch on := m["on"].(type) {
	case nil:
	case bool:
		mode = map[bool]store.ReactMode{true: store.ReactOn, false: store.ReactOff}[on]
	default:
		return fail(wire.ErrBadRequest)
	}
	if !c.limits.messages.Allow() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	stored, changed, err := c.srv.store.React(ctx, id, c.userID, emoji, mode)
	return c.changed(stored, changed, err)
}

// target reads a payload's message id and checks that the message exists
// in a room this socket has joined. On failure it returns the answer.
func (c *conn) target(payload any) (map[string]any, int64, ack) {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return nil, 0, fail(wire.ErrBadRequest)
	}
	id, err := optID(m, "id")
	if err != nil || id == 0 {
		return nil, 0, fail(wire.ErrBadRequest)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	msg, err := c.srv.store.MessageByID(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, 0, fail(wire.ErrNotFound)
	case err != nil:
		c.srv.log.Error("read message", "err", err)
		return nil, 0, fail(wire.ErrInternal)
	}
	if res := c.hidden(msg.Room); res != nil { // a non-member learns nothing of it
		return nil, 0, res
	}
	if !c.sock.In(msg.Room) {
		return nil, 0, fail(wire.ErrNotInRoom)
	}
	return m, id, nil
}

// changed answers a change and, if it changed the message, tells the room.
func (c *conn) changed(stored store.Message, changed bool, err error) ack {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(wire.ErrNotFound)
	case errors.Is(err, store.ErrNotAuthor):
		return fail(wire.ErrNotAuthor)
	case errors.Is(err, store.ErrDeleted):
		return fail(wire.ErrMessageDeleted)
	case err != nil:
		c.srv.limited.Error("change message", "user_id", c.userID, "err", err)
		return fail(wire.ErrInternal)
	}
	msg := toWire(stored)
	if changed {
		c.sock.ToRoom(stored.Room, wire.EventUpdate, msg)
		c.srv.publish(cluster.Event{Kind: cluster.KindChange, ID: stored.ID, Room: stored.Room})
	}
	return success(ack{"message": msg})
}

// onChanges answers the messages of a room changed after a change number,
// oldest change first, bounded like a history page; "seq" is the number to
// ask from next time.
func (c *conn) onChanges(payload any) ack {
	m, isMap := payload.(map[string]any)
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	since, err1 := optID(m, "since")
	limit, err2 := optInt(m, "limit", wire.MaxChanges)
	if !isMap || err1 != nil || err2 != nil || limit < 1 || limit > wire.MaxChanges {
		return fail(wire.ErrBadRequest)
	}
	if res := c.hidden(room); res != nil {
		return res
	}
	if !c.limits.mayRead() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	msgs, seq, err := c.srv.store.Changes(ctx, room, since, limit)
	if err != nil {
		c.srv.log.Error("read changes", "err", err)
		return fail(wire.ErrInternal)
	}
	page, cut, size := fitReply(toWireAll(msgs), c.srv.cfg.MaxReplyBytes, false)
	c.limits.charge(size)
	res := ack{"room": room, "messages": page}
	if more := cut || len(msgs) == limit; more && len(page) > 0 {
		res["more"] = true
		res["seq"] = page[len(page)-1].Rev
	} else if len(page) > 0 {
		res["seq"] = max(seq, page[len(page)-1].Rev)
	} else {
		res["seq"] = max(seq, since)
	}
	return success(res)
}

// onTyping relays that the user is typing to the room's other sockets, at
// most once per wire.TypingRelayInterval per user and room; the excess is
// dropped without a word. Nothing is stored.
func (c *conn) onTyping(payload any) ack {
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	if res := c.hidden(room); res != nil {
		return res
	}
	if !c.sock.In(room) {
		return fail(wire.ErrNotInRoom)
	}
	if !c.limits.typing.relay(room, time.Now()) { // typing.go
		return success(ack{})
	}
	c.sock.ToRoom(room, wire.EventTyping, wire.Typing{
		Room: room, User: wire.Author{ID: c.userIDs, Username: c.username}, ExpiresIn: wire.TypingExpiry.Milliseconds(),
	})
	c.srv.publish(cluster.Event{Kind: cluster.KindTyping, Room: room, User: c.userID, Name: c.username}) // never stored
	return success(ack{})
}

// wireReactions groups a message's reactions by emoji, in wire.Reactions order.
func wireReactions(rs []store.Reaction) []wire.Reaction {
	if len(rs) == 0 {
		return nil
	}
	var out []wire.Reaction
	for _, emoji := range wire.Reactions {
		var users []string
		for _, r := range rs {
			if r.Emoji == emoji {
				users = append(users, strconv.FormatInt(r.UserID, 10))
			}
		}
		if len(users) > 0 {
			out = append(out, wire.Reaction{Emoji: emoji, Count: len(users), Users: users})
		}
	}
	return out
}
