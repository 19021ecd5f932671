package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
	"golang.org/x/time/rate"

	"confab/server/auth"
	"confab/wire"
)

// conn is the server's view of one authenticated socket.
type conn struct {
	srv      *Server
	sock     *socket.Socket
	userID   int64
	userIDs  string // userID as the wire writes it
	username string
	limiter  *rate.Limiter
	ended    atomic.Bool

	mu     sync.Mutex // guards claims and expiry: `auth` replaces them
	claims auth.Claims
	expiry *time.Timer
}

// tokenOf finds the handshake's token: auth.token (v4 clients), then the
// query (the seeds' clients), then an Authorization: Bearer header.
func tokenOf(h *socket.Handshake) string {
	if m, ok := h.Auth.(map[string]any); ok {
		if t, ok := m["token"].(string); ok && t != "" {
			return t
		}
	}
	if v := h.Query["token"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := h.Headers["Authorization"]; len(v) > 0 {
		if t, ok := strings.CutPrefix(v[0], "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// verify is the whole token check: signature, expiry, revocation, user.
func (s *Server) verify(token string) (auth.Claims, error) {
	c, err := s.signer.Verify(token)
	if err != nil {
		return auth.Claims{}, err
	}
	if err := s.hub.check(c); err != nil {
		return auth.Claims{}, err
	}
	return c, nil
}

// handshake is the namespace middleware: no valid token, no socket.
func (s *Server) handshake(sock *socket.Socket, next func(*socket.ExtendedError)) {
	h := sock.Handshake()
	claims, err := s.verify(tokenOf(h))
	if err != nil {
		releaseConnectHold(h.Auth) // refused: nothing to wait for
		s.log.Warn("socket refused", "reason", err.Error(), "remote", h.Address)
		// Pitfall 7: the Go client needs a data object.
		next(socket.NewExtendedError(wire.ErrUnauthorized, map[string]any{"reason": err.Error()}))
		return
	}
	c := &conn{
		srv:      s,
		sock:     sock,
		userID:   claims.UserID,
		userIDs:  strconv.FormatInt(claims.UserID, 10),
		username: claims.Username,
		claims:   claims,
		limiter:  rate.NewLimiter(s.cfg.EventRate, s.cfg.EventBurst),
	}
	// Registered before the client learns it is connected, so its first
	// event is already routed and checked, and it is already in general.
	sock.Use(c.route)
	sock.Join(socket.Room(wire.DefaultRoom))
	sock.SetData(c)
	next(nil)
}

func (s *Server) onConnection(args ...any) {
	sock, ok := args[0].(*socket.Socket)
	if !ok {
		return
	}
	// The socket is registered with its Client by now: let the connection's
	// next packets through (pitfall 21).
	releaseConnectHold(sock.Handshake().Auth)
	c, ok := sock.Data().(*conn)
	if !ok {
		sock.Disconnect(true)
		return
	}
	c.mu.Lock()
	jti := c.claims.ID
	c.armExpiry()
	c.mu.Unlock()
	first := s.hub.add(c, jti)
	sock.On("disconnect", func(reason ...any) { s.onDisconnect(c, reason) })
	s.log.Info("socket connected", "user_id", c.userID, "socket", string(sock.Id()), "remote", sock.Handshake().Address)
	if first {
		s.io.Emit(wire.EventPresence, wire.Presence{User: wire.Author{ID: c.userIDs, Username: c.username}, Online: true})
	}
	// A token revoked or a user deleted between the handshake and here would
	// have missed the hub; check once more now that it is registered.
	if err := s.hub.check(c.currentClaims()); err != nil {
		c.kick(err.Error())
	}
}

func (s *Server) onDisconnect(c *conn, reason []any) {
	c.ended.Store(true)
	c.mu.Lock()
	jti := c.claims.ID
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.mu.Unlock()
	last := s.hub.remove(c, jti)
	why := ""
	if len(reason) > 0 {
		why, _ = reason[0].(string)
	}
	s.log.Info("socket disconnected", "user_id", c.userID, "socket", string(c.sock.Id()), "reason", why)
	if last && !s.closing.Load() {
		s.io.Emit(wire.EventPresence, wire.Presence{User: wire.Author{ID: c.userIDs, Username: c.username}, Online: false})
	}
}

func (c *conn) currentClaims() auth.Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.claims
}

// armExpiry schedules the disconnect at the token's expiry. Call with c.mu held.
func (c *conn) armExpiry() {
	if c.expiry != nil {
		c.expiry.Stop()
	}
	jti := c.claims.ID
	wait := time.Until(c.claims.Expires.Add(c.srv.signer.Leeway()))
	c.expiry = time.AfterFunc(wait, func() {
		c.mu.Lock()
		still := c.claims.ID == jti // not refreshed in-band meanwhile
		c.mu.Unlock()
		if still {
			c.kick(wire.ReasonTokenExpired)
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

// kick tells the client why and disconnects it (pitfall 9: a middleware
// error alone would not). The disconnect waits kickGrace: clients handle each
// packet in its own goroutine (pitfall 15), and a DISCONNECT right behind the
// event can overtake it and lose the reason. Meanwhile no event is handled.
func (c *conn) kick(reason string) {
	if c.ended.Swap(true) {
		return
	}
	c.srv.log.Info("socket unauthorized", "user_id", c.userID, "socket", string(c.sock.Id()), "reason", reason)
	c.sock.Emit(wire.EventUnauthorized, wire.Unauthorized{Reason: reason})
	// Disconnect(true) would close the connection while the DISCONNECT frame
	// may still be in flight (the engine does not wait for a running write),
	// and the client would take it for a network drop and retry a dead token.
	// So: DISCONNECT alone, then close the connection a grace period later.
	time.AfterFunc(kickGrace, func() {
		c.sock.Disconnect(false)
		time.AfterFunc(kickGrace, func() { c.sock.Conn().Close(false) })
	})
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
	old := c.claims.ID
	c.claims = claims
	c.armExpiry()
	c.mu.Unlock()
	c.srv.hub.retoken(c, old, claims.ID)
	return claims, nil
}
