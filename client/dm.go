package client

import (
	"context"
	"errors"

	"confab/wire"
)

// Direct messages and private groups (docs/protocol.md). A private
// conversation is a room named by wire.PrivateRoom: Join, Send, History,
// Edit, React and Typing work on it as on a public room once joined.

// ConversationEvent says we were added to a private conversation, that its
// members changed, that our read marker moved on elsewhere, or (Left) that
// we are no longer a member.
type ConversationEvent struct{ Conversation wire.Conversation }

func (ConversationEvent) event() {}

func init() {
	codeText[wire.ErrNoSuchUser] = "there is no user by that name"
	codeText[wire.ErrGroupFull] = "the group is full"
}

// OpenDM returns our direct conversation with a user, created the first
// time (the other user is then told). Join its Room to read and write.
func (c *Chat) OpenDM(ctx context.Context, username string) (wire.Conversation, error) {
	return c.conversationCall(ctx, wire.EventDM, map[string]any{"username": username})
}

// CreateGroup creates a private group of us and the users named.
func (c *Chat) CreateGroup(ctx context.Context, name string, members []string) (wire.Conversation, error) {
	if members == nil {
		members = []string{}
	}
	return c.conversationCall(ctx, wire.EventGroup, map[string]any{"name": name, "members": members})
}

// Invite adds a user to a group we are a member of.
func (c *Chat) Invite(ctx context.Context, room, username string) (wire.Conversation, error) {
	return c.conversationCall(ctx, wire.EventInvite, map[string]any{"room": room, "username": username})
}

// LeaveGroup ends our membership of a group: it is no longer rejoined.
func (c *Chat) LeaveGroup(ctx context.Context, room string) error {
	if _, err := c.call(ctx, wire.EventLeaveGroup, map[string]any{"room": room}); err != nil {
		return err
	}
	c.mu.Lock()
	c.room(room).joined = false
	c.mu.Unlock()
	return nil
}

// Conversations lists our private conversations, the one with the newest
// message first, with unread counts.
func (c *Chat) Conversations(ctx context.Context) ([]wire.Conversation, error) {
	res, err := c.call(ctx, wire.EventConversations, map[string]any{})
	if err != nil {
		return nil, err
	}
	var out []wire.Conversation
	if err := decode(res["conversations"], &out); err != nil {
		return nil, &Error{Kind: ErrServer, Err: err}
	}
	return out, nil
}

// MarkRead moves our read marker of a private conversation on to message
// id (never back); our other sessions get a ConversationEvent.
func (c *Chat) MarkRead(ctx context.Context, room string, id int64) (wire.Conversation, error) {
	return c.conversationCall(ctx, wire.EventRead, map[string]any{"room": room, "id": id})
}

func (c *Chat) conversationCall(ctx context.Context, event string, payload map[string]any) (wire.Conversation, error) {
	res, err := c.call(ctx, event, payload)
	if err != nil {
		return wire.Conversation{}, err
	}
	var conv wire.Conversation
	if err := decode(res["conversation"], &conv); err != nil {
		return wire.Conversation{}, &Error{Kind: ErrServer, Err: err}
	}
	return conv, nil
}

// forgetIfGone stops rejoining a private conversation we are no longer a
// member of (left from another session while this one was away).
func (c *Chat) forgetIfGone(room string, err error) {
	var e *Error
	if wire.IsPrivateRoom(room) && errors.As(err, &e) && e.Code == wire.ErrNotFound {
		c.mu.Lock()
		c.room(room).joined = false
		c.mu.Unlock()
	}
}

// handleConversation passes on an EventConversation; a conversation we
// left is no longer rejoined.
func (c *Chat) handleConversation(arg any) {
	var conv wire.Conversation
	if decode(arg, &conv) != nil || !wire.IsPrivateRoom(conv.Room) {
		return
	}
	if conv.Left {
		c.mu.Lock()
		c.room(conv.Room).joined = false
		c.mu.Unlock()
	}
	c.out.push(ConversationEvent{Conversation: conv})
}
