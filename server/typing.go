package server

import (
	"sync"
	"time"

	"confab/wire"
)

// typingGate relays a user's typing at most once per
// wire.TypingRelayInterval per room, all their sockets together: counted
// per socket, fourteen sockets of one user had each of the room's members
// sent 29 notices in 4 s instead of 2.
type typingGate struct {
	mu   sync.Mutex
	last map[string]time.Time // room -> last typing relayed
}

// relay reports whether a typing notice in room may go out now, and if so
// counts it.
func (g *typingGate) relay(room string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if last, ok := g.last[room]; ok && now.Sub(last) < wire.TypingRelayInterval {
		return false
	}
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	for r, last := range g.last { // forget rooms long quiet: the map stays small
		if now.Sub(last) >= wire.TypingRelayInterval {
			delete(g.last, r)
		}
	}
	g.last[room] = now
	return true
}

// reset makes the next notice in room news at once (a message ended typing).
func (g *typingGate) reset(room string) {
	g.mu.Lock()
	delete(g.last, room)
	g.mu.Unlock()
}
