package sio

import (
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/engine"
)

// Pitfall 18 (server): the engine sends a new socket its open packet before
// it emits "connection", where Socket.IO's Client starts listening for
// data. A client that answers the open at once (they all send CONNECT right
// away) can have its CONNECT emitted to no listener and lost: the client
// hangs until its connect timeout. Under a connect storm about one
// handshake in 100 was lost.
//
// A new websocket connection's reads wait until the engine's "connection"
// listeners, Socket.IO's and then ours, have run. Nothing is lost
// meanwhile: the bytes wait in the kernel. Polling handshakes are not
// gated (the CONNECT arrives in a later request).

// readGateTimeout opens a gate that was never opened (a connection that
// failed its handshake), so a read can only be delayed, never stuck.
const readGateTimeout = 2 * time.Second

type readGate struct {
	ch    chan struct{}
	once  sync.Once
	timer *time.Timer
}

func newReadGate() *readGate {
	g := &readGate{ch: make(chan struct{})}
	g.timer = time.AfterFunc(readGateTimeout, g.release)
	return g
}

func (g *readGate) release() { g.once.Do(func() { close(g.ch) }) }

// open lets reads through and stops the timeout: a connect storm would
// otherwise keep two seconds' worth of handshakes' timers pending (8,000
// at 4,000 handshakes/s).
func (g *readGate) open() {
	g.release()
	g.timer.Stop()
}

// onEngineConnection runs on the engine's "connection" event, registered
// after Socket.IO's own listener, so the Client is listening by now.
func (s *Server) onEngineConnection(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(engine.Socket)
	if !ok || sock.Request() == nil {
		return
	}
	if h := hijackedOf(sock.Request().Request()); h != nil {
		h.gate.open()
	}
}
