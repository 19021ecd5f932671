package sio

// Half-close (client, docs/pitfalls.md 24): when the server closes the
// connection (a stopped host, a websocket Close frame), the websocket
// transport marks itself closed as its read loop ends, and the engine's
// later transport.Close() then does nothing: the connection is never closed
// on this side and sits in CLOSE-WAIT, with its file descriptor, for the
// life of the process. Our transport closes the connection it dialled
// (dialhooks.go) whenever it is closed, whatever the library's state.

// shut closes the transport and its connection, once the dial is over.
func (t *clientTransport) shut() {
	t.Close()
	<-t.dialed
	t.closeRaw()
}
