package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"confab/internal/sio"
	"confab/server/auth"
	"confab/wire"
)

// conn is the server's view of one authenticated socket.
type conn struct {
	srv      *Server
	sock     *sio.Socket
	userID   int64
	userIDs  string // userID as the wire writes it
	username string
	limiter  *rate.Limiter // the socket's events
	limits   *userLimits   // the user's, shared by their sockets
	pipe     *pipeline     // its messages in flight (pipeline.go)

	mu     sync.Mutex // guards claims and expiry: `auth` replaces them
	claims auth.Claims
	expiry *time.Timer
}

// sockets is the chat behind the Socket.IO endpoint: it authenticates
// handshakes, checks and dispatches events, and keeps presence.
type sockets struct{ s *Server }

// tokenOf finds the handshake's token: auth.token (v4 clients), then the
// query (the seeds' clients), then an Authorization: Bearer header.
func tokenOf(h sio.Handshake) string {
	if t, ok := h.Auth["token"].(string); ok && t != "" {
		return t
	}
	if t := h.Query.Get("token"); t != "" {
		return t
	}
	if t, ok := strings.CutPrefix(h.Header.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// verify is the whole token check: signature, expiry, revocation, user.
func (s *Server) verify(token string) (auth.Claims, error) {
	c, err := s.signer.Verify(token)
	if err != nil {
		return auth.Claims{}, err
	}
	if err := s.checkClaims(c); err != nil { // cluster.go
		return auth.Claims{}, err
	}
	return c, nil
}

// Connect admits a handshake with a valid token; the socket starts in the
// default room, before the client learns it is connected.
func (h sockets) Connect(so *sio.Socket) error {
	s := h.s
	hs := so.Handshake()
	claims, err := s.verify(tokenOf(hs))
	if err != nil {
		s.limited.Warn("socket refused", "reason", err.Error(), "remote", hs.Address)
		return &sio.RefusedError{Message: wire.ErrUnauthorized, Reason: err.Error()}
	}
	// Checked again, atomically, when the socket is registered (Connected):
	// this refuses the usual case before the client thinks it is in.
	if s.hub.sockets(claims.UserID) >= s.cfg.SocketsPerUser {
		s.limited.Warn("socket refused", "reason", wire.ErrTooManySockets, "user_id", claims.UserID, "remote", hs.Address)
		return &sio.RefusedError{Message: wire.ErrTooManySockets, Reason: wire.ErrTooManySockets}
	}
	so.Join(wire.DefaultRoom)
	c := &conn{
		srv:      s,
		sock:     so,
		userID:   claims.UserID,
		userIDs:  strconv.FormatInt(claims.UserID, 10),
		username: claims.Username,
		claims:   claims,
		limiter:  rate.NewLimiter(s.cfg.EventRate, s.cfg.EventBurst),
		limits:   s.hub.limitsOf(claims.UserID),
	}
	c.pipe = newPipeline(s.cfg.MaxInFlight, &s.metrics.pipes, c.completeSend)
	so.SetValue(c)
	return nil
}

func (h sockets) Connected(so *sio.Socket) {
	s, c := h.s, so.Value().(*conn)
	c.mu.Lock()
	sid := c.claims.SID
	c.armExpiry()
	c.mu.Unlock()
	online, admitted := s.hub.add(c, sid, s.cfg.SocketsPerUser)
	if !admitted { // a concurrent handshake took the last place
		s.limited.Warn("socket refused", "reason", wire.ErrTooManySockets, "user_id", c.userID, "remote", so.Handshake().Address)
		so.Disconnect() // it comes back and is refused with the reason
		return
	}
	s.seen.mark(c.userID)
	s.limited.InfoBy(c.userIDs, "socket connected", "user_id", c.userID, "socket", so.ID(), "remote", so.Handshake().Address)
	if online {
		s.cameOnline(c) // cluster.go
	}
	// A session revoked, a password changed or a user deleted between the
	// handshake and here would have missed the hub; check once more now
	// that it is registered.
	if err := s.hub.check(c.currentClaims()); err != nil {
		c.kick(err.Error())
	}
}

// Event re-checks the token, then handles the event.
func (h sockets) Event(so *sio.Socket, name string, args []any) any {
	c := so.Value().(*conn)
	if err := c.check(); err != nil {
		c.kick(err.Error())
		return nil
	}
	if roomKey, ok := messageEvents[name]; ok {
		return c.message(roomKey, args) // pipeline.go
	}
	// After the socket's messages: what it asks next sees them stored.
	c.pipe.idle()
	return c.dispatch(name, args)
}

func (h sockets) Disconnected(so *sio.Socket, reason string) {
	s, c := h.s, so.Value().(*conn)
	c.mu.Lock()
	sid := c.claims.SID
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.mu.Unlock()
	s.hub.remove(c, sid, s.cfg.PresenceGrace, func() { s.wentOffline(c) }) // cluster.go
	s.seen.mark(c.userID)
	s.limited.InfoBy(c.userIDs, "socket disconnected", "user_id", c.userID, "socket", so.ID(), "reason", reason)
}

func (c *conn) currentClaims() auth.Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claims
}

// armExpiry schedules the disconnect at the token's expiry, or at the end
// of its session if that comes first. Call with c.mu held.
func (c *conn) armExpiry() {
	if c.expiry != nil {
		c.expiry.Stop()
	}
	jti := c.claims.ID
	at, reason := c.claims.Expires.Add(c.srv.signer.Leeway()), wire.ReasonTokenExpired
	if end, ok := c.srv.hub.sessionEnd(c.claims); ok && end.Before(at) {
		at, reason = end, wire.ReasonSessionExpired
	}
	c.expiry = time.AfterFunc(time.Until(at), func() {
		c.mu.Lock()
		still := c.claims.ID == jti // not refreshed in-band meanwhile
		c.mu.Unlock()
		if still {
			c.kick(reason)
		}
	})
}

// check re-verifies the socket's token before an event is handled.
func (c *conn) check() error {
	claims := c.currentClaims()
	if time.Now().After(claims.Expires.Add(c.srv.signer.Leeway())) {
		return auth.ErrExpired
	}
	return c.srv.hub.check(claims)
}

// kick tells the client why and disconnects it; no event of it is handled
// any more.
func (c *conn) kick(reason string) {
	if c.sock.Ended() {
		return
	}
	// One line per user per interval: a user who signs in, opens sockets
	// and signs out in a loop must not write the log without limit.
	c.srv.limited.InfoBy(c.userIDs, "socket unauthorized", "user_id", c.userID, "socket", c.sock.ID(), "reason", reason)
	c.sock.Kick(wire.EventUnauthorized, wire.Unauthorized{Reason: reason})
}

// reauth replaces the socket's token with a newer one of the same user.
func (c *conn) reauth(token string) (auth.Claims, error) {
	claims, err := c.srv.verify(token)
	if err != nil {
		if errors.Is(err, auth.ErrNoUser) || errors.Is(err, auth.ErrMissing) {
			return auth.Claims{}, auth.ErrInvalid
		}
		return auth.Claims{}, err
	}
	if claims.UserID != c.userID {
		return auth.Claims{}, auth.ErrInvalid
	}
	c.mu.Lock()
	old := c.claims.SID
	c.claims = claims
	c.armExpiry()
	c.mu.Unlock()
	c.srv.hub.retoken(c, old, claims.SID)
	// A logout of the new token's session while it moved may have missed it.
	if err := c.srv.hub.check(claims); err != nil {
		c.kick(err.Error())
		return auth.Claims{}, err
	}
	return claims, nil
}
