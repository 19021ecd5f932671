package sio

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/zishang520/engine.io/v2/engine"

	"confab/wire"
)

// Sessions per address (server). An Engine.IO session outlives the request
// that opened it: a polling handshake is one short GET, and its session
// (about 12 KB and a goroutine) stays until the client's CONNECT or the
// connect timeout, 45 s later. The host's connection caps do not see it.
// One client without a token opened 6,000 sessions in 8 s over keep-alive
// (72 MB of heap, 12,000 goroutines), bounded only by its own speed.
//
// A handshake (a request without a sid) reserves a place of its address
// before the engine sees it; the session keeps the place until it closes,
// and a handshake that made no session gives it back. A session closed
// before its place was claimed gives it back at the claim. An address holding
// Options.MaxSessionsPerAddr is answered 429 rate_limited.

// DefaultMaxSessionsPerAddr is how many sessions one address may hold.
const DefaultMaxSessionsPerAddr = 256

type sessionCount struct {
	mu     sync.Mutex
	byAddr map[string]int
}

// place is one handshake's reservation: released once, by whichever of the
// handshake's end (no session made) or its session's close comes to it.
type place struct {
	c        *sessionCount
	addr     string
	claimed  atomic.Bool
	released atomic.Bool
}

type placeKey struct{}

func (c *sessionCount) reserve(addr string, max int) (*place, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byAddr[addr] >= max {
		return nil, false
	}
	if c.byAddr == nil {
		c.byAddr = map[string]int{}
	}
	c.byAddr[addr]++
	return &place{c: c, addr: addr}, true
}

func (p *place) release() {
	if p.released.Swap(true) {
		return
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if p.c.byAddr[p.addr]--; p.c.byAddr[p.addr] <= 0 {
		delete(p.c.byAddr, p.addr)
	}
}

// admitSession reserves a place for a handshake request; it answers 429
// and returns false when the address holds its maximum. done must be
// called once the engine has served the request.
func (s *Server) admitSession(w http.ResponseWriter, r *http.Request) (_ *http.Request, done func(), ok bool) {
	if r.URL.Query().Has("sid") {
		return r, func() {}, true
	}
	addr := s.opts.ClientAddr(r)
	p, ok := s.sessions.reserve(addr, s.opts.MaxSessionsPerAddr)
	if !ok {
		s.limited.Warn("socket refused", "reason", "too many sessions from one address", "remote", addr)
		writeError(w, http.StatusTooManyRequests, wire.ErrRateLimited,
			fmt.Sprintf("this address already holds %d connections to the chat", s.opts.MaxSessionsPerAddr))
		return r, nil, false
	}
	r = r.WithContext(context.WithValue(r.Context(), placeKey{}, p))
	return r, func() {
		if !p.claimed.Load() {
			p.release()
		}
	}, true
}

// claimSession runs on the engine's "connection": the new session keeps
// its handshake's place until it closes.
func (s *Server) claimSession(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(engine.Socket)
	if !ok || sock.Request() == nil || sock.Request().Request() == nil {
		return
	}
	p, _ := sock.Request().Request().Context().Value(placeKey{}).(*place)
	if p == nil {
		return
	}
	if hook := s.opts.claimHook; hook != nil {
		hook(sock)
	}
	p.claimed.Store(true)
	sock.Once("close", func(...any) { p.release() })
	// The engine emits "close" once, to the listeners it has then, and a
	// session can be closed before it gets here: its open packet failed to
	// be written, or its websocket's reads, let go by readgate.go (or its
	// timeout) just before this listener runs, found the client gone. Its
	// close then reached no listener and the place was held for good (the
	// connect timeout does nothing to a closed session): about 1 run in 10
	// of TestSessionPlacesComeBack under load. The state is "closed" before
	// "close" is emitted, so one of the two gives the place back.
	if sock.ReadyState() == "closed" {
		p.release()
	}
}
