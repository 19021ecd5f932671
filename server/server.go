// Package server is Confab's chat server: HTTP accounts issuing JWTs and a
// token-protected Socket.IO endpoint, as one http.Handler that can be mounted
// anywhere (the headless daemon, or the desktop app when it hosts).
package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"

	"confab/server/auth"
	"confab/server/store"
	"confab/wire"
)

// Server is the chat server. Create it with New, serve it with any
// http.Server, and stop it with Shutdown.
type Server struct {
	cfg    Config
	log    *slog.Logger
	store  *store.Store
	signer *auth.Signer
	hub    *hub

	io     *socket.Server
	engine http.Handler
	mux    *http.ServeMux

	loginPerUser *throttle
	loginPerAddr *throttle
	registerAddr *throttle

	closing   atomic.Bool
	closeOnce sync.Once
}

// New opens the data directory and builds the server.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.DataDir == "" {
		return nil, errors.New("server: a data directory is required")
	}
	secret, source := cfg.Secret, "configuration"
	if secret == nil {
		var err error
		if secret, source, err = auth.LoadSecret(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	signer, err := auth.NewSigner(secret, cfg.TokenTTL, cfg.TokenLeeway)
	if err != nil {
		return nil, fmt.Errorf("%w (from %s)", err, source)
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	revoked, err := st.Revoked(ctx, time.Now())
	if err != nil {
		st.Close()
		return nil, err
	}
	ids, err := st.UserIDs(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		store:        st,
		signer:       signer,
		hub:          newHub(revoked, ids),
		loginPerUser: newThrottle(cfg.LoginFailuresPerUser, cfg.LoginWindow, MaxThrottleKeys),
		loginPerAddr: newThrottle(cfg.LoginFailuresPerAddr, cfg.LoginWindow, MaxThrottleKeys),
		registerAddr: newThrottle(cfg.RegistrationsPerAddr, registerPerAddrEvery, MaxThrottleKeys),
	}
	s.setupSocketIO()
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /register", s.handleRegister)
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.HandleFunc("POST /refresh", s.handleRefresh)
	s.mux.HandleFunc("POST /logout", s.handleLogout)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.Handle(wire.SocketIOPath, s.guardSocketPath(s.engine))
	s.log.Info("server ready", "data_dir", cfg.DataDir, "secret_from", source, "token_ttl", signer.TTL(),
		"signup", !cfg.NoSignup, "max_payload", cfg.MaxPayload)
	return s, nil
}

// ServeHTTP routes the account endpoints and the Socket.IO path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

func (s *Server) setupSocketIO() {
	opts := socket.DefaultServerOptions()
	opts.SetPath(strings.TrimSuffix(wire.SocketIOPath, "/"))
	opts.SetServeClient(false)
	opts.SetParser(guardParser{inner: parser.NewParser()})
	opts.SetMaxHttpBufferSize(s.cfg.MaxPayload)
	opts.SetPingInterval(s.cfg.PingInterval)
	opts.SetPingTimeout(s.cfg.PingTimeout)
	// Pitfall 1: without per-message deflate, a websocket write batch drops every
	// packet queued behind a broadcast frame. Frames under the threshold stay plain.
	if !s.cfg.noDeflate {
		opts.SetPerMessageDeflate(&types.PerMessageDeflate{Threshold: DeflateThreshold})
	}
	opts.SetCors(&types.Cors{Origin: s.corsOrigins(), Credentials: true})
	s.io = socket.NewServer(nil, opts)
	s.engine = s.io.ServeHandler(nil)
	s.io.Use(s.handshake)
	s.io.On("connection", s.onConnection)
	s.io.Engine().On("connection", openReadGate) // after Socket.IO's listener: see readgate.go
}

// corsOrigins answers browser preflights for the allowed origins only; the
// origin itself is enforced in guardSocketPath.
func (s *Server) corsOrigins() any {
	list := make([]any, 0, len(s.cfg.AllowedOrigins))
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" {
			return true
		}
		list = append(list, o)
	}
	if len(list) == 0 {
		return false
	}
	return list
}

// guardSocketPath enforces on every request of the Socket.IO path what the
// library does not (pitfalls 5 and 6): the allowed origins, on polling and
// websocket alike, and a cap on request bodies, chunked or not.
func (s *Server) guardSocketPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.closing.Load() {
			http.Error(w, "server shutting down", http.StatusServiceUnavailable)
			return
		}
		if !s.originAllowed(r) {
			s.log.Warn("socket refused", "reason", "origin_not_allowed", "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
			writeError(w, http.StatusForbidden, "origin_not_allowed", "this origin may not connect to this server")
			return
		}
		if r.Method == http.MethodPost && r.Body != nil {
			// The library reads polling bodies ignoring errors, so a capped
			// reader alone would hand it a truncated payload: read it here.
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxPayload))
			if err != nil {
				s.log.Warn("socket request refused", "reason", "payload_too_large", "remote", r.RemoteAddr)
				writeError(w, http.StatusRequestEntityTooLarge, "payload_too_large",
					fmt.Sprintf("a request body may have at most %d bytes", s.cfg.MaxPayload))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		w, r = gateUpgrade(w, r)
		next.ServeHTTP(w, r)
	})
}

// originAllowed: no Origin (native and Node clients), the server's own
// origin, or one of the configured ones.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && (u.Scheme == "http" || u.Scheme == "https") &&
		strings.EqualFold(u.Host, r.Host) && u.Path == "" {
		return true
	}
	for _, o := range s.cfg.AllowedOrigins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// Shutdown refuses new sockets and closes the live ones: clients see their
// transport close and reconnect when the server is back. Then shut down the
// http.Server serving s (open polling requests have been answered), and
// Close s.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	done := make(chan struct{})
	go func() {
		s.io.Close(nil)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the database once every queued message is committed.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		err = s.store.Close()
		s.log.Info("server stopped")
	})
	return err
}

// DeleteUser removes an account: its sockets are refused at once with
// unknown_user and its tokens stop working.
func (s *Server) DeleteUser(ctx context.Context, username string) error {
	u, err := s.store.DeleteUser(ctx, username)
	if err != nil {
		return err
	}
	s.hub.removeUser(u.ID)
	for _, c := range s.hub.connsOfUser(u.ID) {
		c.kick(wire.ReasonUnknownUser)
	}
	s.log.Info("user deleted", "user_id", u.ID)
	return nil
}
