package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

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
	// leaving holds the users whose last socket went less than the
	// presence grace ago: still online for others, in case they are back.
	leaving map[int64]*time.Timer
	// limits are the users' own limiters, shared by all their sockets and
	// kept while the user exists (accounts are few and throttled).
	limits    map[int64]*userLimits
	newLimits func() *userLimits

	maxAge time.Duration // of a session, from its sign-in; 0: none
	// elsewhere reports whether a user is online on another node of the
	// cluster (cluster.go); nil outside a cluster.
	elsewhere func(id int64) bool
	// sharedLimits adds the cluster's bucket to a user's message limit.
	sharedLimits func(id int64, local allower) allower

	authMu  sync.RWMutex
	revoked map[string]time.Time // session id -> when none of its tokens can be valid anyway
	users   map[int64]int64      // user id -> session generation
}

// userLimits are what one user may do, all sockets together.
type userLimits struct {
	messages allower       // messages sent: a rate.Limiter, in a cluster the cluster's bucket too (cluster.go)
	reads    *rate.Limiter // bytes of history read: in debt once overdrawn
	typing   typingGate    // typing notices relayed (typing.go)
}

func newHub(revoked map[string]time.Time, gens map[int64]int64, maxAge time.Duration, newLimits func() *userLimits) *hub {
	return &hub{
		bySID:     map[string]map[*conn]struct{}{},
		byUser:    map[int64]map[*conn]struct{}{},
		leaving:   map[int64]*time.Timer{},
		limits:    map[int64]*userLimits{},
		newLimits: newLimits,
		maxAge:    max(maxAge, 0),
		revoked:   revoked,
		users:     gens,
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
	h.mu.Lock()
	delete(h.limits, id)
	h.mu.Unlock()
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

// limitsOf are a user's limiters.
func (h *hub) limitsOf(id int64) *userLimits {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limits[id]
	if !ok {
		l = h.newLimits()
		if h.sharedLimits != nil {
			l.messages = h.sharedLimits(id, l.messages)
		}
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
func (h *hub) add(c *conn, sid string, max int) (online, admitted bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.byUser[c.userID]) >= max {
		return false, false
	}
	addTo(h.bySID, sid, c)
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
func (h *hub) remove(c *conn, sid string, grace time.Duration, offline func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	removeFrom(h.bySID, sid, c)
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

// online reports whether others see the user online: connected, or gone
// less than the presence grace ago.
func (h *hub) online(id int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, leaving := h.leaving[id]
	return len(h.byUser[id]) > 0 || leaving || h.elsewhere != nil && h.elsewhere(id)
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
