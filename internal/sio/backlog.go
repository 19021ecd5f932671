package sio

// Unbounded write buffer (client, docs/pitfalls.md 30): the engine queues
// what it writes without limit while the websocket's writer is blocked; a
// server that stops reading and floods pings grew the client by 200 MB in
// 15 s (a pong queued per ping, and each ping keeps the connection alive).
// A connection whose engine holds more than MaxWriteBacklog packets is
// dropped: the server is not reading.

// MaxWriteBacklog is how many packets may wait to be written.
const MaxWriteBacklog = 1024

// backlogged reports whether the server has stopped reading.
func (t *clientTransport) backlogged() bool {
	return t.sock.WriteBuffer().Len() > MaxWriteBacklog
}
