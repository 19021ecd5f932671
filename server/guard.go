package server

import (
	"errors"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/events"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// guardParser wraps the Socket.IO parser to fix two defects of the server
// (docs/pitfalls.md):
//
//   - Pitfall 2: an EVENT or ACK packet without a data array (the frame
//     "431") reaches an unchecked type assertion in a goroutine without
//     recover, and the process dies. The guard refuses such packets as a
//     protocol error, which closes that one connection.
//   - Pitfall 21: the CONNECT reply goes out before the Client registers the
//     socket, and an event arriving in between closes the connection. After
//     a CONNECT the decoder holds the next packets until the socket is
//     registered (our "connection" handler runs after that) or refused.
//   - Pitfall 3: every packet is handled in its own goroutine, so one socket's
//     events race. The decoder sees a connection's packets in order; it stamps
//     each event with a ticket, and the event router (events.go) waits for
//     its ticket's turn, so a socket's events are handled one at a time in
//     the order they were sent.
type guardParser struct{ inner parser.Parser }

func (p guardParser) NewEncoder() parser.Encoder { return p.inner.NewEncoder() }

func (p guardParser) NewDecoder() parser.Decoder {
	d := &guardDecoder{EventEmitter: events.New(), inner: p.inner.NewDecoder(), gate: newGate(gateTimeout)}
	d.inner.On("decoded", d.ondecoded)
	return d
}

var errMalformedPacket = errors.New("malformed packet: event or ack without a data array")

type guardDecoder struct {
	events.EventEmitter
	inner parser.Decoder
	gate  *gate

	mu      sync.Mutex // Add is called by one transport at a time; this keeps the fields race-free anyway
	bad     bool
	nextSeq uint64

	// Pitfall 21: after a CONNECT, the next packets wait until the socket is
	// registered (see held).
	holdMu sync.Mutex
	held   chan struct{} // non-nil while a CONNECT is being handled
}

// authGateKey carries the decoder, inside the CONNECT payload (which becomes
// the socket's handshake auth), to the handshake middleware.
const authGateKey = "\x00confab-connect-gate"

// hold makes the next packets wait for release (or connectHoldTimeout).
func (d *guardDecoder) hold() {
	d.holdMu.Lock()
	if d.held == nil {
		d.held = make(chan struct{})
	}
	d.holdMu.Unlock()
}

// release lets packets through again: the socket is registered, or was refused.
func (d *guardDecoder) release() {
	d.holdMu.Lock()
	if d.held != nil {
		close(d.held)
		d.held = nil
	}
	d.holdMu.Unlock()
}

func (d *guardDecoder) waitHeld() {
	d.holdMu.Lock()
	ch := d.held
	d.holdMu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(connectHoldTimeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		d.release()
	}
}

func (d *guardDecoder) Add(data any) error {
	d.waitHeld()
	d.mu.Lock()
	d.bad = false
	err := d.inner.Add(data) // emits "decoded" synchronously for complete packets
	bad := d.bad
	d.mu.Unlock()
	if err != nil {
		return err
	}
	if bad {
		return errMalformedPacket
	}
	return nil
}

func (d *guardDecoder) Destroy() {
	d.inner.Destroy()
	d.inner.RemoveAllListeners("decoded")
}

// ondecoded runs inside Add, with d.mu held.
func (d *guardDecoder) ondecoded(args ...any) {
	if len(args) == 0 {
		return
	}
	p, ok := args[0].(*parser.Packet)
	if !ok || p == nil {
		return
	}
	switch p.Type {
	case parser.EVENT, parser.BINARY_EVENT:
		data, ok := p.Data.([]any)
		if !ok || len(data) == 0 {
			d.bad = true
			return
		}
		if _, ok := data[0].(string); !ok {
			d.bad = true
			return
		}
		p.Data = append(data, ticket{seq: d.nextSeq, gate: d.gate})
		d.nextSeq++
	case parser.ACK, parser.BINARY_ACK:
		if _, ok := p.Data.([]any); !ok {
			d.bad = true
			return
		}
	case parser.CONNECT:
		auth, _ := p.Data.(map[string]any)
		if auth == nil {
			auth = map[string]any{}
		}
		auth[authGateKey] = d
		p.Data = auth
		d.hold()
	}
	d.Emit("decoded", p)
}

// releaseConnectHold finds the decoder in a handshake's auth and releases
// it; the key is removed so nothing else sees it.
func releaseConnectHold(auth any) {
	m, ok := auth.(map[string]any)
	if !ok {
		return
	}
	if d, ok := m[authGateKey].(*guardDecoder); ok {
		delete(m, authGateKey)
		d.release()
	}
}

// ticket is appended to each event's arguments by the decoder and removed
// by the router before any handler sees them.
type ticket struct {
	seq  uint64
	gate *gate
}

// gate lets a connection's events through one at a time, in ticket order.
// A ticket that never arrives (its packet was dropped upstream) holds the
// line for at most gateTimeout, so a socket can slow down but never hang.
type gate struct {
	timeout time.Duration
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan struct{}
}

func newGate(timeout time.Duration) *gate {
	return &gate{timeout: timeout, waiting: map[uint64]chan struct{}{}}
}

func (g *gate) enter(seq uint64) {
	g.mu.Lock()
	if seq <= g.next {
		g.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	g.waiting[seq] = ch
	g.mu.Unlock()
	t := time.NewTimer(g.timeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		g.mu.Lock()
		delete(g.waiting, seq)
		g.mu.Unlock()
	}
}

func (g *gate) leave(seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if seq+1 > g.next {
		g.next = seq + 1
	}
	for seq, ch := range g.waiting {
		if seq <= g.next {
			delete(g.waiting, seq)
			close(ch)
		}
	}
}
