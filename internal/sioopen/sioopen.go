// Package sioopen works around pitfall 17 of socket.io-client-go v1.1.0:
// Manager.Open dials the websocket synchronously and only then subscribes to
// the engine's "open" event and arms its connect timer. If the server's open
// packet is read in between, the open is either missed (the attempt hangs
// until its timeout) or seen before the timer's cancel is registered (the
// timer then closes the live connection later, and silently: its own
// cleanup has already removed the close listener, so the socket never
// reports a disconnect).
//
// A second race is in the websocket transport itself: it starts its read
// loop before it marks itself writable. When the server's open packet is
// handled in between, the Socket.IO CONNECT written in reaction waits in
// the engine's buffer until something else flushes it: the server's first
// ping, 25 s later.
//
// WebSocket returns a transport constructor whose dial waits until the
// caller releases it, after Connect has returned and every handler is
// registered, so the open can only arrive once someone listens for it; and
// once the transport is writable it flushes the engine's buffer.
package sioopen

import (
	"sync"

	"github.com/zishang520/engine.io-client-go/engine"
)

// WebSocket returns a websocket transport constructor for one Connect call
// and the release that lets its dial start. Call release exactly once, after
// Connect has returned; a transport closed before release never dials.
func WebSocket() (ctor engine.TransportCtor, release func()) {
	b := &builder{gate: make(chan struct{})}
	var once sync.Once
	return b, func() { once.Do(func() { close(b.gate) }) }
}

type builder struct {
	gate chan struct{}
}

func (b *builder) Name() string { return (&engine.WebSocketBuilder{}).Name() }

func (b *builder) New(s engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	return &transport{
		Transport: (&engine.WebSocketBuilder{}).New(s, opts),
		sock:      s,
		gate:      b.gate,
		dialed:    make(chan struct{}),
		stop:      make(chan struct{}),
	}
}

// transport defers the embedded websocket's Open (which dials) until the
// gate opens; everything else goes straight to it.
type transport struct {
	engine.Transport
	sock   engine.Socket
	gate   chan struct{}
	dialed chan struct{} // closed once Open has run or been skipped
	stop   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
}

func (t *transport) Open() engine.Transport {
	go func() {
		defer close(t.dialed)
		select {
		case <-t.gate:
		case <-t.stop:
			return
		}
		t.mu.Lock()
		closed := t.closed
		t.mu.Unlock()
		if !closed {
			t.Transport.Open()
			// Flush what was written before the transport became writable.
			// Only once the handshake is done: the library's Flush races with it.
			if t.sock.ReadyState() == engine.SocketStateOpen {
				t.sock.Flush()
			}
		}
	}()
	return t
}

// Close may come while the dial runs: the connection is closed once the
// dial has returned, without blocking the caller.
func (t *transport) Close() engine.Transport {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.stop)
	}
	t.mu.Unlock()
	select {
	case <-t.dialed:
		t.Transport.Close()
	default:
		go func() {
			<-t.dialed
			t.Transport.Close()
		}()
	}
	return t
}
