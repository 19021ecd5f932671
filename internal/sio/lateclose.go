package sio

// Pitfall 33 (server): a client that goes while its socket is being
// registered leaves a socket the library never ends. The namespace checks
// that the connection is open, then registers the socket with its client,
// then emits "connection", where the "disconnect" listener is added. A
// close in the first gap never reaches the socket (the client did not list
// it yet); in the second, its "disconnect" goes to no listener. Either way
// Handler.Disconnected never ran: of 51 sockets of one user connected and
// closed at once in a loop, one stayed "online" for good, holding one of
// the user's places.
//
// Once the listener is in place, a connection found closed is ended here.
// Disconnected runs once whichever path sees the end first, and never
// before Connected has returned.

// closedMeanwhile ends a socket whose connection closed before its
// "disconnect" listener was added.
func (s *Server) closedMeanwhile(so *Socket) {
	if so.sock.Conn().ReadyState() != "closed" {
		return // open, or closing: the close will reach the listener
	}
	so.sock.Disconnect(true) // cleans the library's state if it still thinks it connected
	so.gone("transport close")
}

// gone runs Handler.Disconnected, once, after Connected.
func (so *Socket) gone(reason string) {
	<-so.connected
	so.goneOnce.Do(func() {
		so.ended.Store(true)
		so.srv.stats.sockets.Add(-1)
		if so.out != nil && so.out.cut.Load() {
			reason = ReasonOutboundFull
		}
		so.srv.h.Disconnected(so, reason)
	})
}
