package server

import (
	"sync"
	"time"

	"confab/server/auth"
)

// hub owns the server's shared in-memory state: which sockets are live (by
// token and by user, for revocation and presence), which tokens are revoked
// and which users exist. The per-event token check reads only from here, so
// it costs no database query.
type hub struct {
	mu     sync.Mutex
	byJTI  map[string]map[*conn]struct{}
	byUser map[int64]map[*conn]struct{}

	authMu  sync.RWMutex
	revoked map[string]time.Time // jti -> when the token expires anyway
	users   map[int64]struct{}
}

func newHub(revoked map[string]time.Time, userIDs []int64) *hub {
	h := &hub{
		byJTI:   map[string]map[*conn]struct{}{},
		byUser:  map[int64]map[*conn]struct{}{},
		revoked: revoked,
		users:   make(map[int64]struct{}, len(userIDs)),
	}
	for _, id := range userIDs {
		h.users[id] = struct{}{}
	}
	return h
}

// check applies what a signature cannot tell: revocation and the user's existence.
func (h *hub) check(c auth.Claims) error {
	h.authMu.RLock()
	defer h.authMu.RUnlock()
	if _, ok := h.revoked[c.ID]; ok {
		return auth.ErrRevoked
	}
	if _, ok := h.users[c.UserID]; !ok {
		return auth.ErrNoUser
	}
	return nil
}

func (h *hub) revoke(jti string, exp time.Time) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	h.revoked[jti] = exp
	// Expired entries are dead weight: a token past exp is refused anyway.
	now := time.Now()
	for k, e := range h.revoked {
		if e.Before(now.Add(-time.Hour)) {
			delete(h.revoked, k)
		}
	}
}

func (h *hub) addUser(id int64) {
	h.authMu.Lock()
	h.users[id] = struct{}{}
	h.authMu.Unlock()
}

func (h *hub) removeUser(id int64) {
	h.authMu.Lock()
	delete(h.users, id)
	h.authMu.Unlock()
}

// add registers a connected socket; first reports whether it is its user's first.
func (h *hub) add(c *conn, jti string) (first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	addTo(h.byJTI, jti, c)
	first = len(h.byUser[c.userID]) == 0
	addTo(h.byUser, c.userID, c)
	return first
}

// remove unregisters a socket; last reports whether its user has no socket left.
func (h *hub) remove(c *conn, jti string) (last bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	removeFrom(h.byJTI, jti, c)
	if _, ok := h.byUser[c.userID][c]; !ok {
		return false
	}
	removeFrom(h.byUser, c.userID, c)
	return len(h.byUser[c.userID]) == 0
}

// retoken moves a socket to its refreshed token.
func (h *hub) retoken(c *conn, oldJTI, newJTI string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.byJTI[oldJTI][c]; !ok {
		return // not registered (yet, or any more)
	}
	removeFrom(h.byJTI, oldJTI, c)
	addTo(h.byJTI, newJTI, c)
}

func (h *hub) connsOfToken(jti string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return snapshotOf(h.byJTI, jti)
}

func (h *hub) connsOfUser(id int64) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return snapshotOf(h.byUser, id)
}

func (h *hub) online(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byUser[id]) > 0
}

func snapshotOf[K comparable](m map[K]map[*conn]struct{}, k K) []*conn {
	out := make([]*conn, 0, len(m[k]))
	for c := range m[k] {
		out = append(out, c)
	}
	return out
}

func addTo[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	set, ok := m[k]
	if !ok {
		set = map[*conn]struct{}{}
		m[k] = set
	}
	set[c] = struct{}{}
}

func removeFrom[K comparable](m map[K]map[*conn]struct{}, k K, c *conn) {
	delete(m[k], c)
	if len(m[k]) == 0 {
		delete(m, k)
	}
}
