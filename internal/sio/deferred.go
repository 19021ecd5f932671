package sio

import (
	"sync"

	"github.com/zishang520/socket.io/v2/socket"
)

// Deferred is an event's acknowledgement sent after Handler.Event has
// returned: the handler returns it (made by Socket.Defer) and its socket's
// next event may run at once; Reply sends the answer later, from any
// goroutine. This lets a message's ack wait for its commit without holding
// its socket's turn (server: pipelining). The dispatcher binds the
// library's ack function when Event returns; a Reply that comes first is
// kept until then.
type Deferred struct {
	so      *Socket
	mu      sync.Mutex
	bound   bool
	ack     socket.Ack // nil: the client asked for no acknowledgement
	replied bool
	value   any
}

// Defer makes a Deferred for the event being handled; Event returns it.
func (so *Socket) Defer() *Deferred { return &Deferred{so: so} }

// Reply answers the event with v. Only the first call counts; after the
// socket is gone it sends nothing.
func (d *Deferred) Reply(v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.replied {
		return
	}
	d.replied, d.value = true, v
	if d.bound {
		d.send()
	}
}

// bind is called by the dispatcher once Event returned d.
func (d *Deferred) bind(ack socket.Ack) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.bound, d.ack = true, ack
	if d.replied {
		d.send()
	}
}

// send runs with d.mu held, once.
func (d *Deferred) send() {
	if d.ack == nil || d.value == nil || d.so.ended.Load() {
		return
	}
	d.ack([]any{d.value}, nil)
}
