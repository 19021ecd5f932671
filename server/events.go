package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"confab/server/auth"
	"confab/server/store"
	"confab/wire"
)

// ack is an acknowledgement body: {"ok":true, ...} or {"ok":false,"error":CODE}.
type ack map[string]any

func fail(code string) ack { return ack{"ok": false, "error": code} }

func success(fields ack) ack {
	fields["ok"] = true
	return fields
}

// errBadRequest marks a payload of the wrong shape.
var errBadRequest = errors.New(wire.ErrBadRequest)

type handler func(c *conn, payload any) ack

var handlers = map[string]handler{
	wire.EventGetUser: (*conn).onGetUser,
	wire.EventJoin:    (*conn).onJoin,
	wire.EventLeave:   (*conn).onLeave,
	wire.EventHistory: (*conn).onHistory,
	wire.EventUsers:   (*conn).onUsers,
	wire.EventAuth:    (*conn).onAuth,
	wire.EventEdit:    (*conn).onEdit,
	wire.EventDelete:  (*conn).onDelete,
	wire.EventReact:   (*conn).onReact,
	wire.EventChanges: (*conn).onChanges,
	wire.EventTyping:  (*conn).onTyping,
	wire.EventSearch:  (*conn).onSearch,
}

// dispatch rate-limits and handles one event; sio hands a socket's events
// over one at a time, in order.
func (c *conn) dispatch(name string, args []any) (res ack) {
	// Every event counts, known or not: an unknown name costs a lookup,
	// and a flood of them must be refused like any other.
	if !c.limiter.Allow() {
		return fail(wire.ErrRateLimited)
	}
	h, known := handlers[name]
	if !known {
		return fail(wire.ErrBadRequest)
	}
	var payload any
	if len(args) > 0 {
		payload = args[0]
	}
	defer func() {
		// No payload may take the process down; a handler bug costs one event.
		if p := recover(); p != nil {
			c.srv.log.Error("event handler panic", "event", name, "user_id", c.userID, "panic", fmt.Sprint(p))
			res = fail(wire.ErrInternal)
		}
	}()
	return h(c, payload)
}

func (c *conn) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

// messageEvents are the events that send a message, and the payload field
// naming its room; they go through the socket's pipeline (pipeline.go).
var messageEvents = map[string]string{wire.EventMessage: "room", wire.EventNewMessage: "chat"}

// send checks a message and queues it for the store's next group commit;
// wait gives the outcome after the commit (completeSend then acks and
// broadcasts it), and a retried clientId is answered from storage, not
// re-sent. A refusal is res.
func (c *conn) send(m map[string]any, roomKey string) (res ack, wait func() wireResult) {
	room, err := optString(m, roomKey, wire.DefaultRoom)
	if err != nil {
		return fail(wire.ErrInvalidRoom), nil
	}
	text, err := optString(m, "text", "")
	if err != nil {
		return fail(wire.ErrInvalidMessage), nil
	}
	clientID, err := optString(m, "clientId", "")
	if err != nil || len(clientID) > wire.MaxClientIDLen {
		return fail(wire.ErrBadRequest), nil
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > wire.MaxMessageRunes {
		return fail(wire.ErrInvalidMessage), nil
	}
	if !wire.ValidConversation(room) {
		return fail(wire.ErrInvalidRoom), nil
	}
	if res := c.hidden(room); res != nil {
		return res, nil
	}
	if !c.sock.In(room) {
		return fail(wire.ErrNotInRoom), nil
	}
	// The user's rate, all their sockets together: more sockets do not buy
	// more messages.
	if !c.limits.messages.Allow() {
		return fail(wire.ErrRateLimited), nil
	}
	if res := c.srv.refuseUnavailable(); res != nil { // cluster.go: never an ack a node cannot deliver
		return res, nil
	}
	if res := c.refuseLate(); res != nil {
		return res, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	// In a cluster the node's stream sends it to the room (fed, cluster.go).
	return nil, c.srv.queueMessage(ctx, c.sock.ID(), store.Message{
		Room: room, AuthorID: c.userID, AuthorName: c.username, Text: text, ClientID: clientID,
	})
}

// refuseLate refuses a message that queued too long behind its socket's
// earlier events, or that would be answered after a message in flight that
// has already waited that long: the server is behind (its CPU, say, cannot
// send every message to the room as fast as they come), and storing it now
// would only make the queue longer while its sender gives up on the ack.
// Refused as unavailable, it is sent again by the client (issue 16).
func (c *conn) refuseLate() ack {
	if w := max(c.sock.Waited(), c.pipe.behind()); w > c.srv.cfg.MaxMessageWait {
		c.srv.limited.Warn("message refused: the server is behind on this socket", "user_id", c.userID,
			"waited_ms", w.Milliseconds(), "limit_ms", c.srv.cfg.MaxMessageWait.Milliseconds())
		return fail(wire.ErrUnavailable)
	}
	return nil
}

func (c *conn) onGetUser(payload any) ack {
	var raw any = payload
	if m, isMap := payload.(map[string]any); isMap {
		var present bool
		if raw, present = m["id"]; !present {
			return fail(wire.ErrBadRequest)
		}
	}
	var id int64
	switch v := raw.(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fail(wire.ErrNotFound)
		}
		id = n
	case float64:
		if v != math.Trunc(v) || v < 1 || v > 1<<53 {
			return fail(wire.ErrNotFound)
		}
		id = int64(v)
	default:
		return fail(wire.ErrBadRequest)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	u, err := c.srv.store.UserByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fail(wire.ErrNotFound)
	}
	if err != nil {
		c.srv.log.Error("get user", "err", err)
		return fail(wire.ErrInternal)
	}
	return success(ack{"user": c.srv.userView(u)})
}

// roomOf reads the required room field.
func roomOf(payload any) (string, bool) {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return "", false
	}
	room, isString := m["room"].(string)
	return room, isString && wire.ValidConversation(room)
}

func (c *conn) onJoin(payload any) ack {
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	if res := c.hidden(room); res != nil {
		return res
	}
	if !c.sock.In(room) && c.sock.RoomCount() >= c.srv.cfg.RoomsPerSocket {
		return fail(wire.ErrTooManyRooms)
	}
	if !c.limits.mayRead() {
		return fail(wire.ErrRateLimited)
	}
	// Join first: a message stored after the history read is then broadcast
	// to this socket, so the client sees no gap (and dedups by id).
	c.sock.Join(room)
	// A member who left meanwhile is out again (leaveGroup takes the
	// member out of the database, then its sockets out of the room).
	if res := c.hidden(room); res != nil {
		c.sock.Leave(room)
		return res
	}
	ctx, cancel := c.ctx()
	defer cancel()
	// The change number is read first: the history is at least as new, and
	// a later change is numbered higher (or reaches this socket live).
	seq, err := c.srv.store.RoomSeq(ctx, room)
	if err != nil {
		c.srv.log.Error("read change number", "err", err)
		return fail(wire.ErrInternal)
	}
	msgs, err := c.srv.store.History(ctx, store.Page{Room: room, Limit: wire.JoinHistory})
	if err != nil {
		c.srv.log.Error("read history", "err", err)
		return fail(wire.ErrInternal)
	}
	return success(c.page(ack{"room": room, "seq": seq}, "history", msgs, true))
}

func (c *conn) onLeave(payload any) ack {
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	c.sock.Leave(room)
	return success(ack{})
}

func (c *conn) onHistory(payload any) ack {
	m, isMap := payload.(map[string]any)
	room, valid := roomOf(payload)
	if !valid {
		return fail(wire.ErrInvalidRoom)
	}
	before, err1 := optID(m, "before")
	after, err2 := optID(m, "after")
	limit, err3 := optInt(m, "limit", wire.DefaultHistory)
	if !isMap || err1 != nil || err2 != nil || err3 != nil || limit < 1 || limit > wire.MaxHistory {
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
	msgs, err := c.srv.store.History(ctx, store.Page{Room: room, Before: before, After: after, Limit: limit})
	if err != nil {
		c.srv.log.Error("read history", "err", err)
		return fail(wire.ErrInternal)
	}
	// A page after an id is read forwards: its oldest messages are kept.
	return success(c.page(ack{}, "messages", msgs, after == 0))
}

// page puts as many of msgs as fit in a reply under key, says "more" if
// some were left out, and charges the user's read budget for them.
func (c *conn) page(res ack, key string, msgs []store.Message, keepNewest bool) ack {
	page, more, size := fitReply(toWireAll(msgs), c.srv.cfg.MaxReplyBytes, keepNewest)
	c.limits.charge(size)
	res[key] = page
	if more {
		res["more"] = true
	}
	return res
}

// onUsers lists the users. The list is a read like a history page (up to
// UsersListed users, 60 KB at 1000), charged to the same budget: sixteen
// sockets asking for it at their event rate read 4.7 MB/s unmetered.
func (c *conn) onUsers(any) ack {
	if !c.limits.mayRead() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	users, err := c.srv.store.Users(ctx, c.srv.cfg.UsersListed)
	if err != nil {
		c.srv.log.Error("list users", "err", err)
		return fail(wire.ErrInternal)
	}
	out := make([]wire.User, len(users))
	size := 0
	for i, u := range users {
		out[i] = c.srv.userView(u)
		size += userOverhead + len(out[i].ID) + len(out[i].Username)
	}
	c.limits.charge(size)
	return success(ack{"users": out})
}

// userOverhead is more than a user's JSON costs besides its strings.
const userOverhead = 40

func (c *conn) onAuth(payload any) ack {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return fail(wire.ErrBadRequest)
	}
	token, isString := m["token"].(string)
	if !isString || token == "" {
		return fail(wire.ErrBadRequest)
	}
	claims, err := c.reauth(token)
	switch {
	case errors.Is(err, auth.ErrExpired), errors.Is(err, auth.ErrRevoked), errors.Is(err, auth.ErrInvalid):
		return fail(err.Error())
	case err != nil:
		return fail(wire.ReasonInvalidToken)
	}
	return success(ack{"expiresAt": claims.Expires.UTC()})
}

func (s *Server) userView(u store.User) wire.User {
	return wire.User{ID: strconv.FormatInt(u.ID, 10), Username: u.Username, Online: s.hub.online(u.ID)}
}

func toWire(m store.Message) wire.Message {
	w := wire.Message{
		ID:        m.ID,
		Room:      m.Room,
		Author:    wire.Author{ID: strconv.FormatInt(m.AuthorID, 10), Username: m.AuthorName, Removed: m.AuthorRemoved},
		Text:      m.Text,
		SentAt:    m.SentAt,
		ClientID:  m.ClientID,
		Deleted:   m.Deleted,
		Reactions: wireReactions(m.Reactions),
		Rev:       m.Rev,
	}
	w.Attachment = wireAttachment(m.Attachment) // files.go
	if !m.EditedAt.IsZero() {
		edited := m.EditedAt
		w.EditedAt = &edited
	}
	return w
}

func toWireAll(ms []store.Message) []wire.Message {
	out := make([]wire.Message, len(ms))
	for i, m := range ms {
		out[i] = toWire(m)
	}
	return out
}

// optString reads an optional string field; present with another type is an error.
func optString(m map[string]any, key, def string) (string, error) {
	v, present := m[key]
	if !present || v == nil {
		return def, nil
	}
	s, isString := v.(string)
	if !isString {
		return "", errBadRequest
	}
	return s, nil
}

// optInt reads an optional whole number (JSON numbers arrive as float64).
func optInt(m map[string]any, key string, def int) (int, error) {
	v, present := m[key]
	if !present || v == nil {
		return def, nil
	}
	f, isNum := v.(float64)
	if !isNum || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errBadRequest
	}
	return int(f), nil
}

// optID reads an optional message id (a positive number); 0 means absent.
func optID(m map[string]any, key string) (int64, error) {
	n, err := optInt(m, key, 0)
	if err != nil || n < 0 {
		return 0, errBadRequest
	}
	return int64(n), nil
}
