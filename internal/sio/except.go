package sio

import "github.com/zishang520/socket.io/v2/socket"

// ToRoomExcept sends an event to every socket in room but the one whose id
// is except ("" for none): a cluster node's message stream sends a message
// to the room, not to the socket that sent it (that one has its ack).
func (s *Server) ToRoomExcept(room, except, event string, data any) {
	if s.opts.libraryBroadcast {
		s.io.To(socket.Room(room)).Except(socket.Room(except)).Emit(event, data) //nolint:errcheck
		return
	}
	s.broadcast(room, except, event, data) // broadcast.go
}

// Rooms lists the rooms the socket is in, but the one of its own id.
func (so *Socket) Rooms() []string {
	var out []string
	for _, r := range so.sock.Rooms().Keys() {
		if string(r) != so.ID() {
			out = append(out, string(r))
		}
	}
	return out
}
