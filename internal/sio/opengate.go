package sio

import (
	"sync"

	"github.com/zishang520/engine.io-client-go/engine"
)

// Pitfall 17 (client): Manager.Open dials the websocket synchronously and
// only then subscribes to the engine's "open" event and arms its connect
// timer. If the server's open packet is read in between, the open is
// missed (the attempt hangs) or seen before the timer's cancel is
// registered (the timer later closes the live connection, silently).
//
// The gate defers the transport's Open (which dials) until Dial has
// registered every listener and releases it. A transport closed before
// the release never dials.
//
// A second race is in the websocket transport itself: its read loop starts
// before it marks itself writable, so a CONNECT written in reaction to a
// fast open can wait in the engine's buffer until the server's first ping.
// Once the transport is writable, the engine's buffer is flushed.

type openGate struct {
	ch   chan struct{}
	once sync.Once
}

func newOpenGate() *openGate { return &openGate{ch: make(chan struct{})} }

func (g *openGate) release() { g.once.Do(func() { close(g.ch) }) }

// Open returns at once; the library's Open runs once the gate is released,
// unless Close came first.
func (t *clientTransport) Open() engine.Transport {
	go func() {
		defer close(t.dialed)
		select {
		case <-t.gate.ch:
		case <-t.stop:
			return
		}
		select {
		case <-t.stop:
			return
		default:
		}
		t.Transport.Open()
		// Only once the handshake is done: the library's Flush races with it.
		if t.sock.ReadyState() == engine.SocketStateOpen {
			t.sock.Flush()
		}
	}()
	return t
}
