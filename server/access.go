package server

import (
	"context"

	"confab/wire"
)

// mayRead is the single place that decides who may read a conversation:
// anyone signed in may read a public room; only its members may read a
// private conversation (a direct message or a group), and one that does
// not exist is read by no one. Every path that takes a room asks it, so a
// non-member learns nothing a stranger to a conversation that does not
// exist would not.
func (s *Server) mayRead(ctx context.Context, user int64, room string) (bool, error) {
	if wire.ValidRoom(room) {
		return true, nil
	}
	id, private := wire.ConversationID(room)
	if !private {
		return false, nil
	}
	return s.store.IsMember(ctx, id, user)
}

// hidden answers nil when the socket's user may use room, and otherwise
// what a conversation that does not exist is answered: not_found.
func (c *conn) hidden(room string) ack {
	if wire.ValidRoom(room) {
		return nil // public: no query
	}
	ctx, cancel := c.ctx()
	defer cancel()
	ok, err := c.srv.mayRead(ctx, c.userID, room)
	if err != nil {
		c.srv.log.Error("check membership", "err", err)
		return fail(wire.ErrInternal)
	}
	if !ok {
		return fail(wire.ErrNotFound)
	}
	return nil
}
