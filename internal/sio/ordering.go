package sio

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

// Pitfall 3 (server): every inbound packet is handled in its own goroutine
// (client.go:216), so one socket's events race. The decoder sees a
// connection's packets in order; it stamps each event with a ticket, and
// the socket's router waits for its ticket's turn, so a socket's events
// reach Handler.Event one at a time, in the order they were sent. A ticket
// that never arrives (its packet was dropped upstream) holds the line for
// at most gateTimeout: a socket can slow down, never hang. The timeout runs
// only while nobody is inside: a slow handler is waited for, or a client
// that sends faster than its handler runs would have its events run side
// by side after gateTimeout, each reading a page of history at once (seen
// as 100 MB of rows held by four sockets that never read).
//
// The turn is handed over inside leave (inside counts the woken event at
// once): otherwise a later ticket whose timer fired between leave and the
// woken event's enter saw nobody inside and ran ahead of it. Under load
// (issue 16: 32 senders, hundreds of queued events per socket) that let
// over a hundred of a socket's events run at once, out of order.
//
// Each ticket also carries when its packet was decoded: Socket.Waited
// tells the handler how long the event queued for its turn.

const gateTimeout = 5 * time.Second

// ticket is appended to each event's arguments by the decoder and removed
// by the router before the handler sees them.
type ticket struct {
	seq  uint64
	gate *gate
	at   time.Time // when the decoder read it
}

// stamp runs in the decoder, with d.mu held.
func (d *guardDecoder) stamp(p *parser.Packet) {
	p.Data = append(p.Data.([]any), ticket{seq: d.nextSeq, gate: d.gate, at: time.Now()})
	d.nextSeq++
}

// route is the socket's only middleware and its dispatcher: it takes the
// event's turn and hands it to the Handler. It never calls next, so the
// library's own dispatch (a further goroutine per event) is not used.
func (so *Socket) route(event []any, _ func(error)) {
	args := event
	var reply socket.Ack
	if n := len(args); n > 0 {
		if f, ok := args[n-1].(socket.Ack); ok {
			reply, args = f, args[:n-1]
		}
	}
	if n := len(args); n > 0 {
		if t, ok := args[n-1].(ticket); ok {
			args = args[:n-1]
			t.gate.enter(t.seq)
			defer t.gate.leave(t.seq)
			so.waited.Store(int64(time.Since(t.at)))
		}
	}
	name, ok := firstString(args)
	if !ok || so.ended.Load() {
		return
	}
	res := so.dispatch(name, args[1:])
	if d, ok := res.(*Deferred); ok { // deferred.go
		d.bind(reply)
		return
	}
	if reply != nil && res != nil {
		reply([]any{res}, nil)
	}
}

// Waited is how long the event being handled waited for its turn after
// its packet was read: a server behind on this socket's events sees it grow.
func (so *Socket) Waited() time.Duration { return time.Duration(so.waited.Load()) }

func (so *Socket) dispatch(name string, args []any) (res any) {
	defer func() {
		if p := recover(); p != nil {
			so.srv.logPanic(name, p)
			res = nil
		}
	}()
	so.srv.stats.events.Add(1)
	return so.srv.h.Event(so, name, args)
}

// gate lets a connection's events through one at a time, in ticket order.
type gate struct {
	timeout time.Duration
	mu      sync.Mutex
	next    uint64
	inside  int // handlers entered and not yet left
	waiting map[uint64]chan struct{}
}

func newGate(timeout time.Duration) *gate {
	return &gate{timeout: timeout, waiting: map[uint64]chan struct{}{}}
}

func (g *gate) enter(seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if seq > g.next && g.wait(seq) {
		return // leave counted it inside already
	}
	g.inside++
}

// wait holds seq until its turn (true: leave handed it over), or until the
// gate has been idle (nobody inside) for the timeout: then the tickets
// before it are taken as lost. Called and returns with g.mu held.
func (g *gate) wait(seq uint64) bool {
	ch := make(chan struct{})
	g.waiting[seq] = ch
	t := time.NewTimer(g.timeout)
	defer t.Stop()
	for {
		g.mu.Unlock()
		select {
		case <-ch:
			g.mu.Lock()
			return true
		case <-t.C:
		}
		g.mu.Lock()
		if g.inside == 0 {
			delete(g.waiting, seq)
			return false
		}
		t.Reset(g.timeout) // a handler is still running: not a lost ticket
	}
}

func (g *gate) leave(seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handOver(seq)
}

// handOver ends seq's turn and wakes the tickets now due. Called with g.mu held.
func (g *gate) handOver(seq uint64) {
	g.inside--
	if seq+1 > g.next {
		g.next = seq + 1
	}
	for seq, ch := range g.waiting {
		if seq <= g.next {
			delete(g.waiting, seq)
			g.inside++ // its turn: nobody may time out past it now
			close(ch)
		}
	}
}
