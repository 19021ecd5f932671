package server

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"confab/server/cluster"
	"confab/server/store"
	"confab/wire"
)

// Direct messages and private groups (docs/protocol.md). A private
// conversation is a room named "~" and its number: the room events work on
// it once mayRead lets the user in (access.go); the events here create one,
// change its members, list one's own with unread counts, and move one's
// read marker. Members' sockets are told of changes with EventConversation.

func init() {
	handlers[wire.EventDM] = (*conn).onDM
	handlers[wire.EventGroup] = (*conn).onGroup
	handlers[wire.EventInvite] = (*conn).onInvite
	handlers[wire.EventLeaveGroup] = (*conn).onLeaveGroup
	handlers[wire.EventConversations] = (*conn).onConversations
	handlers[wire.EventRead] = (*conn).onRead
}

// onDM answers the conversation of the user and another, created the first
// time; its other member is then told of it.
func (c *conn) onDM(payload any) ack {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return fail(wire.ErrBadRequest)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	other, res := c.userArg(ctx, m)
	if res != nil {
		return res
	}
	if other.ID == c.userID {
		return fail(wire.ErrBadRequest)
	}
	conv, created, err := c.srv.store.OpenDM(ctx, c.userID, other.ID)
	if err != nil {
		return c.internal("open direct conversation", err)
	}
	if created {
		c.tellMembers(ctx, conv)
	}
	return c.answerConversation(ctx, conv.ID)
}

// onGroup creates a private group of the user and the members named.
func (c *conn) onGroup(payload any) ack {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return fail(wire.ErrBadRequest)
	}
	name, err := optString(m, "name", "")
	name = strings.TrimSpace(name)
	if err != nil || name == "" || utf8.RuneCountInString(name) > wire.MaxGroupNameRunes {
		return fail(wire.ErrBadRequest)
	}
	var raw []any
	switch v := m["members"].(type) {
	case nil:
	case []any:
		raw = v
	default:
		return fail(wire.ErrBadRequest)
	}
	if len(raw) >= wire.MaxGroupMembers {
		return fail(wire.ErrGroupFull)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	var members []int64
	for _, r := range raw {
		u, res := c.userArg(ctx, map[string]any{"username": r})
		if res != nil {
			return res
		}
		members = append(members, u.ID)
	}
	conv, err := c.srv.store.CreateGroup(ctx, c.userID, name, members)
	if err != nil {
		return c.internal("create group", err)
	}
	c.tellMembers(ctx, conv)
	return c.answerConversation(ctx, conv.ID)
}

// onInvite adds a user to a group the inviter is a member of.
func (c *conn) onInvite(payload any) ack {
	m, _ := payload.(map[string]any)
	conv, res := c.group(payload)
	if res != nil {
		return res
	}
	ctx, cancel := c.ctx()
	defer cancel()
	u, res := c.userArg(ctx, m)
	if res != nil {
		return res
	}
	after, added, err := c.srv.store.AddMember(ctx, conv.ID, u.ID, wire.MaxGroupMembers)
	switch {
	case errors.Is(err, store.ErrGroupFull):
		return fail(wire.ErrGroupFull)
	case err != nil:
		return c.internal("invite", err)
	}
	if added {
		c.tellMembers(ctx, after)
	}
	return c.answerConversation(ctx, conv.ID)
}

// onLeaveGroup ends the user's membership of a group: their sockets leave
// its room, and the members who stay are told.
func (c *conn) onLeaveGroup(payload any) ack {
	conv, res := c.group(payload)
	if res != nil {
		return res
	}
	ctx, cancel := c.ctx()
	defer cancel()
	after, removed, err := c.srv.store.RemoveMember(ctx, conv.ID, c.userID)
	if err != nil {
		return c.internal("leave group", err)
	}
	for _, o := range c.srv.hub.connsOfUser(c.userID) {
		o.sock.Leave(conv.Room)
		if o != c && removed {
			o.sock.Emit(wire.EventConversation, wire.Conversation{Room: conv.Room, Kind: conv.Kind, Name: conv.Name, Left: true})
		}
	}
	if removed {
		c.srv.tellMembers(ctx, after, c)
		c.srv.publish(cluster.Event{Kind: cluster.KindMembers, ID: conv.ID, User: c.userID})
	}
	return success(ack{})
}

// group reads the room of a group the user is a member of; a direct
// conversation is a bad request, and any other room not found.
func (c *conn) group(payload any) (store.Conversation, ack) {
	room, valid := roomOf(payload)
	if !valid {
		return store.Conversation{}, fail(wire.ErrInvalidRoom)
	}
	id, private := wire.ConversationID(room)
	if !private {
		return store.Conversation{}, fail(wire.ErrNotFound)
	}
	if res := c.hidden(room); res != nil {
		return store.Conversation{}, res
	}
	ctx, cancel := c.ctx()
	defer cancel()
	conv, err := c.srv.store.ConversationByID(ctx, id)
	if err != nil {
		return store.Conversation{}, c.internal("read conversation", err)
	}
	if conv.Kind != store.KindGroup {
		return store.Conversation{}, fail(wire.ErrBadRequest)
	}
	return conv, nil
}

// onConversations lists the user's private conversations, the one with the
// newest message first.
func (c *conn) onConversations(any) ack {
	if !c.limits.mayRead() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	list, err := c.srv.store.Conversations(ctx, c.userID, wire.MaxConversations)
	if err != nil {
		return c.internal("list conversations", err)
	}
	out := make([]wire.Conversation, len(list))
	for i, sm := range list {
		out[i] = c.srv.conversationView(sm)
	}
	c.limits.charge(len(out) * msgOverhead)
	return success(ack{"conversations": out})
}

// onRead moves the user's read marker of a conversation on to a message;
// their other sockets are told the new count.
func (c *conn) onRead(payload any) ack {
	m, _ := payload.(map[string]any)
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	id, err := optID(m, "id")
	if err != nil || id == 0 {
		return fail(wire.ErrBadRequest)
	}
	conv, private := wire.ConversationID(room)
	if !private {
		return fail(wire.ErrNotFound) // read markers are kept for private conversations only
	}
	if res := c.hidden(room); res != nil {
		return res
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if _, _, err := c.srv.store.MarkRead(ctx, conv, c.userID, id); err != nil {
		return c.internal("mark read", err)
	}
	sm, err := c.srv.store.SummaryOf(ctx, conv, c.userID)
	if err != nil {
		return c.internal("read conversation", err)
	}
	view := c.srv.conversationView(sm)
	for _, o := range c.srv.hub.connsOfUser(c.userID) {
		if o != c {
			o.sock.Emit(wire.EventConversation, view)
		}
	}
	c.srv.publish(cluster.Event{Kind: cluster.KindRead, ID: conv, User: c.userID})
	return success(ack{"conversation": view})
}

// userArg finds the user a payload names by "user" (an id) or "username".
func (c *conn) userArg(ctx context.Context, m map[string]any) (store.User, ack) {
	var u store.User
	var err error
	switch v := m["user"].(type) {
	case string:
		id, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return store.User{}, fail(wire.ErrNoSuchUser)
		}
		u, err = c.srv.store.UserByID(ctx, id)
	case nil:
		name, isString := m["username"].(string)
		if !isString || !wire.ValidUsername(name) {
			return store.User{}, fail(wire.ErrNoSuchUser)
		}
		u, err = c.srv.store.UserByName(ctx, name)
	default:
		return store.User{}, fail(wire.ErrBadRequest)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, fail(wire.ErrNoSuchUser)
	}
	if err != nil {
		return store.User{}, c.internal("look up user", err)
	}
	return u, nil
}

// answerConversation is the acknowledgement carrying a conversation as the
// user sees it.
func (c *conn) answerConversation(ctx context.Context, id int64) ack {
	sm, err := c.srv.store.SummaryOf(ctx, id, c.userID)
	if err != nil {
		return c.internal("read conversation", err)
	}
	return success(ack{"conversation": c.srv.conversationView(sm)})
}

// tellMembers sends each member's sockets (but this one, which gets the
// acknowledgement) the conversation as that member sees it; the other
// nodes of a cluster tell theirs.
func (c *conn) tellMembers(ctx context.Context, conv store.Conversation) {
	c.srv.tellMembers(ctx, conv, c)
	c.srv.publish(cluster.Event{Kind: cluster.KindMembers, ID: conv.ID})
}

// tellMembers sends each member's sockets on this node but c the
// conversation as that member sees it.
func (s *Server) tellMembers(ctx context.Context, conv store.Conversation, c *conn) {
	for _, u := range conv.Members {
		conns := s.hub.connsOfUser(u.ID)
		if len(conns) == 0 || (len(conns) == 1 && conns[0] == c) {
			continue
		}
		sm, err := s.store.SummaryOf(ctx, conv.ID, u.ID)
		if err != nil {
			s.log.Error("read conversation", "err", err)
			continue
		}
		view := s.conversationView(sm)
		for _, o := range conns {
			if o != c {
				o.sock.Emit(wire.EventConversation, view)
			}
		}
	}
}

func (c *conn) internal(what string, err error) ack {
	c.srv.limited.Error(what, "user_id", c.userID, "err", err)
	return fail(wire.ErrInternal)
}

// conversationView is a conversation on the wire, its members with their
// presence.
func (s *Server) conversationView(sm store.Summary) wire.Conversation {
	members := make([]wire.User, len(sm.Members))
	for i, u := range sm.Members {
		members[i] = s.userView(u)
	}
	return wire.Conversation{
		Room: sm.Room, Kind: sm.Kind, Name: sm.Name, Members: members,
		ReadID: sm.ReadID, Unread: sm.Unread, LastID: sm.LastID,
	}
}
