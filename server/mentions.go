package server

import (
	"context"

	"confab/wire"
)

// tellMentioned sends a new message to the online users it names as
// "@name" on their sockets that are not in its room (those received it as
// a message), if they may read the room (Server.mayRead). Oneself is never told.
func (s *Server) tellMentioned(ctx context.Context, author int64, msg wire.Message) {
	for _, name := range wire.Mentions(msg.Text) {
		u, _, err := s.store.Credentials(ctx, name)
		if err != nil || u.ID == author || s.hub.sockets(u.ID) == 0 {
			continue // nobody of that name, or not here to tell (on this node)
		}
		if ok, err := s.mayRead(ctx, u.ID, msg.Room); err != nil || !ok {
			continue
		}
		for _, other := range s.hub.connsOfUser(u.ID) {
			if !other.sock.In(msg.Room) {
				other.sock.Emit(wire.EventMention, msg)
			}
		}
	}
}
