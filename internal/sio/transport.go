package sio

import (
	"crypto/tls"
	"net"
	"sync"
	"time"

	"github.com/zishang520/engine.io-client-go/engine"
	"github.com/zishang520/engine.io/v2/types"
)

// transportBuilder hands the engine.io client our transport instead of its
// own. The transport is where the network meets the library, so every
// client-side workaround hooks in there: the open gate (opengate.go), the
// packet and event guards (closepanic.go, inbound.go), the close that
// always reaches the connection (drain.go, halfclose.go).
type transportBuilder struct {
	conn    *Conn
	gate    *openGate
	polling bool
	timeout time.Duration // of the dial (dialhooks.go)
	tls     *tls.Config
}

func (b *transportBuilder) inner() engine.TransportCtor {
	if b.polling {
		return &engine.PollingBuilder{}
	}
	return &engine.WebSocketBuilder{}
}

func (b *transportBuilder) Name() string { return b.inner().Name() }

// New is called by the engine socket's constructor, once: Confab dials one
// transport and never upgrades (dial.go switches upgrades off).
func (b *transportBuilder) New(s engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	t := &clientTransport{
		Transport: b.inner().New(s, opts),
		conn:      b.conn,
		sock:      s,
		gate:      b.gate,
		dialed:    make(chan struct{}),
		stop:      make(chan struct{}),
		inbound:   newInbound(b.conn),
	}
	if !b.polling {
		t.hookDial(b.timeout, b.tls)
	}
	b.conn.setTransport(t)
	return t
}

// clientTransport wraps the library's transport. The engine registers its
// listeners through On and Once, so each one is wrapped on the way
// (guardListeners); everything else goes straight to the library.
//
// The engine removes its transport listeners only with RemoveAllListeners
// and Clear, never one by one, which is what makes wrapping them possible.
type clientTransport struct {
	engine.Transport
	conn *Conn
	sock engine.Socket
	gate *openGate

	dialed chan struct{} // closed once the library's Open has run, or will never run
	stop   chan struct{} // closed by Close

	deliverMu sync.RWMutex // held for reading while a packet is in the library
	blocked   bool         // no packet reaches the library any more

	inbound *inbound // the only reader of the server's packets

	mu     sync.Mutex
	closed bool
	raw    net.Conn // the websocket's connection, once dialled (dialhooks.go)
}

func (t *clientTransport) On(ev types.EventName, ls ...types.Listener) error {
	return t.Transport.On(ev, t.guardListeners(ev, ls)...)
}

func (t *clientTransport) Once(ev types.EventName, ls ...types.Listener) error {
	return t.Transport.Once(ev, t.guardListeners(ev, ls)...)
}

func (t *clientTransport) guardListeners(ev types.EventName, ls []types.Listener) []types.Listener {
	out := make([]types.Listener, len(ls))
	for i, l := range ls {
		switch ev {
		case "packet":
			out[i] = t.guardPacket(l)
		case "close", "error":
			out[i] = t.guardFailure(l)
		default:
			out[i] = t.guardPanic(l)
		}
	}
	return out
}

// Close is called by the engine (forced close, ping timeout, transport
// error) and by teardown. It never blocks: the dial may still be running.
func (t *clientTransport) Close() engine.Transport {
	t.mu.Lock()
	first := !t.closed
	t.closed = true
	t.mu.Unlock()
	if !first {
		return t
	}
	close(t.stop)
	t.closeRaw() // aborts a dial in progress (dialhooks.go)
	go func() {
		<-t.dialed
		t.Transport.Close() // the library's own state and events
	}()
	return t
}
