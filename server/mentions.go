package server

import (
	"context"
	"strconv"

	"confab/wire"
)

// mentionAccess tells whether a user (by id, as the wire writes it) may
// read a room: a mention reaches only those who may. Every room is public
// for now.
// merge: use Server.mayRead
var mentionAccess = func(ctx context.Context, user, room string) (bool, error) {
	return wire.ValidRoom(room), nil
}

// tellMentioned sends a new message to the online users it names as
// "@name" on their sockets that are not in its room (those received it as
// a message), if they may read the room. Oneself is never told.
func (c *conn) tellMentioned(ctx context.Context, msg wire.Message) {
	for _, name := range wire.Mentions(msg.Text) {
		u, _, err := c.srv.store.Credentials(ctx, name)
		if err != nil || u.ID == c.userID || !c.srv.hub.online(u.ID) {
			continue // nobody of that name, or not here to tell
		}
		if ok, err := mentionAccess(ctx, strconv.FormatInt(u.ID, 10), msg.Room); err != nil || !ok {
			continue
		}
		for _, other := range c.srv.hub.connsOfUser(u.ID) {
			if !other.sock.In(msg.Room) {
				other.sock.Emit(wire.EventMention, msg)
			}
		}
	}
}
