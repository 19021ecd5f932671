package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

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
	// leaving holds the users whose last socket went less than the
	// presence grace ago: still online for others, in case they are back.
	leaving map[int64]*time.Timer
	// limits are the users' own limiters, shared by all their sockets and
	// kept while the user exists (accounts are few and throttled).
	limits    map[int64]*userLimits
	newLimits func() *userLimits

	authMu  sync.RWMutex
	revoked map[string]time.Time // jti -> when the token expires anyway
	users   map[int64]struct{}
}

// userLimits are what one user may do, all sockets together.
type userLimits struct {
	messages *rate.Limiter // messages sent
	reads    *rate.Limiter // bytes of history read: in debt once overdrawn
}

func newHub(revoked map[string]time.Time, userIDs []int64, newLimits func() *userLimits) *hub {
	h := &hub{
		byJTI:     map[string]map[*conn]struct{}{},
		byUser:    map[int64]map[*conn]struct{}{},
		leaving:   map[int64]*time.Timer{},
		limits:    map[int64]*userLimits{},
		newLimits: newLimits,
		revoked:   revoked,
		users:     make(map[int64]struct{}, len(userIDs)),
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
	h.mu.Lock()
	delete(h.limits, id)
	h.mu.Unlock()
}

// limitsOf are a user's limiters.
func (h *hub) limitsOf(id int64) *userLimits {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limits[id]
	if !ok {
		l = h.newLimits()
		h.limits[id] = l
	}
	return l
}

// mayRead reports whether the user's read budget is not in debt.
func (l *userLimits) mayRead() bool { return l.reads.Tokens() > 0 }

// charge takes n bytes from the read budget, into debt if need be: the
// reply is already made, and the next reads wait for the debt to be paid.
func (l *userLimits) charge(n int) {
	l.reads.ReserveN(time.Now(), min(n, l.reads.Burst()))
}

// sockets is how many sockets a user holds.
func (h *hub) sockets(id int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.byUser[id])
}

// add registers a connected socket unless its user already holds max:
// online reports whether others must now be told the user is online (not
// when the user is back within the presence grace).
func (h *hub) add(c *conn, jti string, max int) (online, admitted bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.byUser[c.userID]) >= max {
		return false, false
	}
	addTo(h.byJTI, jti, c)
	online = len(h.byUser[c.userID]) == 0
	addTo(h.byUser, c.userID, c)
	if t, back := h.leaving[c.userID]; back {
		t.Stop()
		delete(h.leaving, c.userID)
		online = false
	}
	return online, true
}

// remove unregisters a socket. When it was its user's last, offline runs
// after grace unless the user is back by then.
func (h *hub) remove(c *conn, jti string, grace time.Duration, offline func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	removeFrom(h.byJTI, jti, c)
	if _, ok := h.byUser[c.userID][c]; !ok {
		return
	}
	removeFrom(h.byUser, c.userID, c)
	if len(h.byUser[c.userID]) > 0 {
		return
	}
	id := c.userID
	var t *time.Timer
	t = time.AfterFunc(grace, func() {
		h.mu.Lock()
		current := h.leaving[id] == t
		if current {
			delete(h.leaving, id)
		}
		h.mu.Unlock()
		if current {
			offline()
		}
	})
	h.leaving[id] = t
}

// stopLeaving forgets the pending offline notices (the server is stopping).
func (h *hub) stopLeaving() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, t := range h.leaving {
		t.Stop()
		delete(h.leaving, id)
	}
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

// online reports whether others see the user online: connected, or gone
// less than the presence grace ago.
func (h *hub) online(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, leaving := h.leaving[id]
	return len(h.byUser[id]) > 0 || leaving
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
