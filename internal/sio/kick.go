package sio

import "time"

// Pitfalls 9 and 19 (server): a per-socket middleware error does not
// disconnect; and Disconnect(true) closes the connection while the
// DISCONNECT frame may still be in flight (the engine does not wait for a
// running write), so the client sees a network drop and retries. Clients
// also handle packets concurrently (the Go client did, pitfall 15), so a
// DISCONNECT right behind the reason could overtake it.
//
// Kick sends the reason, the DISCONNECT kickGrace later, and closes the
// connection kickGrace after that. No event of the socket is handled from
// the moment Kick is called.

const kickGrace = 300 * time.Millisecond

// Kick tells the client why (event, data) and disconnects it; it returns at
// once. Kicking twice does nothing.
func (so *Socket) Kick(event string, data any) {
	if so.ended.Swap(true) {
		return
	}
	so.Emit(event, data)
	time.AfterFunc(kickGrace, func() {
		so.sock.Disconnect(false)
		time.AfterFunc(kickGrace, func() { so.sock.Conn().Close(false) })
	})
}

// Disconnect ends the socket without a reason: the client sees the
// server's DISCONNECT and may come back. No event is handled any more.
func (so *Socket) Disconnect() {
	if so.ended.Swap(true) {
		return
	}
	// Not on the caller's goroutine: the library ends the socket, and runs
	// Handler.Disconnected, synchronously (the caller may be Connected).
	go so.sock.Disconnect(false)
}
