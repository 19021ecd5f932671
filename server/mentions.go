package server

import (
	"context"

	"confab/wire"
)

// tellMentioned sends a new message to the online users it names as
// "@name" on their sockets that are not in its room (those received it as
// a message), if they may read the room (Server.mayRead). Oneself is never told.
func (c *conn) tellMentioned(ctx context.Context, msg wire.Message) {
	for _, name := range wire.Mentions(msg.Text) {
		u, _, err := c.srv.store.Credentials(ctx, name)
		if err != nil || u.ID == c.userID || !c.srv.hub.online(u.ID) {
			continue // nobody of that name, or not here to tell
		}
		if ok, err := c.srv.mayRead(ctx, u.ID, msg.Room); err != nil || !ok {
			continue
		}
		for _, other := range c.srv.hub.connsOfUser(u.ID) {
			if !other.sock.In(msg.Room) {
				other.sock.Emit(wire.EventMention, msg)
			}
		}
	}
}
