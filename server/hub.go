package server

import (
	"sync"
	"time"

	"confab/server/auth"
)

// hub owns the server's shared in-memory state: which sockets are live (by
// session and by user, for revocation and presence), which sessions are
// revoked and which users exist, with their session generation. The
// per-event token check reads only from here, so it costs no database query.
type hub struct {
	mu     sync.Mutex
	bySID  map[string]map[*conn]struct{}
	byUser map[int64]map[*conn]struct{}

	maxAge time.Duration // of a session, from its sign-in; 0: none

	authMu  sync.RWMutex
	revoked map[string]time.Time // session id -> when none of its tokens can be valid anyway
	users   map[int64]int64      // user id -> session generation
}

func newHub(revoked map[string]time.Time, gens map[int64]int64, maxAge time.Duration) *hub {
	return &hub{
		bySID:   map[string]map[*conn]struct{}{},
		byUser:  map[int64]map[*conn]struct{}{},
		maxAge:  max(maxAge, 0),
		revoked: revoked,
		users:   gens,
	}
}

// check applies what a signature cannot tell: revocation of the session,
// the user's existence, a password changed since the sign-in, and the
// session's age.
func (h *hub) check(c auth.Claims) error {
	h.authMu.RLock()
	_, revoked := h.revoked[c.SID]
	gen, exists := h.users[c.UserID]
	h.authMu.RUnlock()
	switch {
	case revoked:
		return auth.ErrRevoked
	case !exists:
		return auth.ErrNoUser
	case c.Gen < gen:
		return auth.ErrPasswordChanged
	}
	if end, ok := h.sessionEnd(c); ok && !time.Now().Before(end) {
		return auth.ErrSessionExpired
	}
	return nil
}

// sessionEnd is when the token's session reaches its maximum age.
func (h *hub) sessionEnd(c auth.Claims) (time.Time, bool) {
	if h.maxAge <= 0 {
		return time.Time{}, false
	}
	return c.AuthTime.Add(h.maxAge), true
}

// revoke ends a session; until is when none of its tokens can be valid anyway.
func (h *hub) revoke(sid string, until time.Time) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	h.revoked[sid] = until
	now := time.Now()
	for k, u := range h.revoked {
		if u.Before(now) { // dead weight: every token of it is expired
			delete(h.revoked, k)
		}
	}
}

func (h *hub) addUser(id int64) {
	h.authMu.Lock()
	h.users[id] = 0
	h.authMu.Unlock()
}

func (h *hub) removeUser(id int64) {
	h.authMu.Lock()
	delete(h.users, id)
	h.authMu.Unlock()
}

// endSessions records a user's new session generation: sessions signed in
// before it are refused.
func (h *hub) endSessions(id, gen int64) {
	h.authMu.Lock()
	defer h.authMu.Unlock()
	if old, ok := h.users[id]; ok && gen > old {
		h.users[id] = gen
	}
}

// add registers a connected socket; first reports whether it is its user's first.
func (h *hub) add(c *conn, sid string) (first bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	addTo(h.bySID, sid, c)
	first = len(h.byUser[c.userID]) == 0
	addTo(h.byUser, c.userID, c)
	return first
}

// remove unregisters a socket; last reports whether its user has no socket left.
func (h *hub) remove(c *conn, sid string) (last bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	removeFrom(h.bySID, sid, c)
	if _, ok := h.byUser[c.userID][c]; !ok {
		return false
	}
	removeFrom(h.byUser, c.userID, c)
	return len(h.byUser[c.userID]) == 0
}

// retoken moves a socket to the session of its new token (the same one
// after a refresh, another after a new sign-in).
func (h *hub) retoken(c *conn, oldSID, newSID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.bySID[oldSID][c]; !ok {
		return // not registered (yet, or any more)
	}
	removeFrom(h.bySID, oldSID, c)
	addTo(h.bySID, newSID, c)
}

// connsOfSession returns the live sockets of every token of a session.
func (h *hub) connsOfSession(sid string) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return snapshotOf(h.bySID, sid)
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
