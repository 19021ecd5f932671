package sio

import (
	"errors"
	"fmt"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
)

// Pitfall 16 (client): the library's close handlers assert their arguments
// unchecked: the manager's handler of the engine's "close" does
// args[1].(error) (manager.go:357) and the engine's handler of the
// transport's "close" does reason[0].(error). A nil error panics, on a
// goroutine of the library where no recover of the caller reaches. Two
// paths led there:
//
//   - The engine's forced close emits "close" with a nil error. The manager
//     unsubscribes before forcing it, but an "open" handled at the same
//     moment re-subscribes it (onopen), and the nil reaches the assertion.
//     Seen as a crash of `make test` when a dial was closed as its open
//     arrived; a stale connect timer reached the same handler.
//   - The transport's own Close emits "close" with a nil error.
//
// What makes both unreachable:
//
//   - block: before the library's socket is closed, no packet may reach the
//     engine any more, and every packet already in it has been handled.
//     So no "open" can re-subscribe the manager once it unsubscribed.
//   - guardFailure: the transport's "close" and "error" always carry a
//     non-nil error.
//   - every listener the engine registers on the transport runs under a
//     recover: a panic left in the library on a hostile input costs the
//     connection, never the process.
//
// The connect timer is the third way in: see connecttimer.go.

// block stops every later packet from reaching the library and waits for
// those being handled. Never call it from a library callback.
func (t *clientTransport) block() {
	t.deliverMu.Lock()
	t.blocked = true
	t.deliverMu.Unlock()
}

// guardPacket is the engine's packet listener behind inbound.go's checks.
func (t *clientTransport) guardPacket(l types.Listener) types.Listener {
	return func(args ...any) {
		var p *packet.Packet
		if len(args) > 0 {
			p, _ = args[0].(*packet.Packet)
		}
		if p == nil {
			return
		}
		t.deliverMu.RLock()
		defer t.deliverMu.RUnlock()
		if t.blocked {
			return
		}
		if !t.inbound.admit(p) {
			return
		}
		if t.backlogged() { // backlog.go
			t.conn.fail(&LostError{Reason: "the server is not reading"})
			return
		}
		defer t.recoverLibrary()
		l(p)
	}
}

// guardFailure gives the engine's "close" and "error" listeners the error
// they assert.
func (t *clientTransport) guardFailure(l types.Listener) types.Listener {
	return func(args ...any) {
		var err error
		if len(args) > 0 {
			err, _ = args[0].(error)
		}
		if err == nil {
			err = errors.New("transport closed")
		}
		defer t.recoverLibrary()
		l(err)
	}
}

func (t *clientTransport) guardPanic(l types.Listener) types.Listener {
	return func(args ...any) {
		defer t.recoverLibrary()
		l(args...)
	}
}

// recoverLibrary turns a panic inside the library into the end of this
// connection.
func (t *clientTransport) recoverLibrary() {
	if p := recover(); p != nil {
		t.conn.fail(&LostError{Reason: "library panic", Err: fmt.Errorf("%v", p)})
	}
}
