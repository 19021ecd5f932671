// Package server is Confab's chat server: HTTP accounts issuing JWTs and a
// token-protected Socket.IO endpoint, as one http.Handler that can be mounted
// anywhere (the headless daemon, or the desktop app when it hosts).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"confab/internal/clientaddr"
	"confab/internal/loglimit"
	"confab/internal/sio"
	"confab/server/auth"
	"confab/server/cluster"
	"confab/server/store"
	"confab/server/web"
	"confab/wire"
)

// Server is the chat server. Create it with New, serve it with any
// http.Server, and stop it with Shutdown.
type Server struct {
	cfg     Config
	cl      *clusterNode // cluster.go: nil outside a cluster
	log     *slog.Logger
	limited *loglimit.Logger // lines a client can cause: one per kind per 10 s
	store   *store.Store
	signer  *auth.Signer
	hub     *hub

	sockets *sio.Server
	mux     *http.ServeMux
	metrics *metrics // metrics.go
	files   *files   // files.go

	loginPerUser *throttle
	loginPerAddr *throttle
	registerAddr *throttle
	proxies      clientaddr.Proxies // clientaddr.go: whose X-Forwarded-For is believed
	seen         *seenTracker       // lastseen.go

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
	proxies, err := clientaddr.Parse(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	storeOpts := cfg.storeOptions()
	storeOpts.OnCommit = m.committed
	st, err := store.OpenWith(cfg.DataDir, storeOpts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	revoked, err := st.RevokedSessions(ctx, time.Now())
	if err != nil {
		st.Close()
		return nil, err
	}
	gens, err := st.SessionGens(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		metrics: m,
		log:     cfg.Logger,
		limited: loglimit.New(cfg.Logger, 0),
		store:   st,
		signer:  signer,
		hub: newHub(revoked, gens, cfg.MaxSessionAge, func() *userLimits {
			return &userLimits{
				messages: rate.NewLimiter(cfg.UserMessageRate, cfg.UserMessageBurst),
				reads:    rate.NewLimiter(cfg.UserReadRate, cfg.UserReadBurst),
			}
		}),
		loginPerUser: newThrottle(cfg.LoginFailuresPerUser, cfg.LoginWindow, MaxThrottleKeys),
		loginPerAddr: newThrottle(cfg.LoginFailuresPerAddr, cfg.LoginWindow, MaxThrottleKeys),
		registerAddr: newThrottle(cfg.RegistrationsPerAddr, registerPerAddrEvery, MaxThrottleKeys),
		proxies:      proxies,
	}
	s.sockets = sio.NewServer(cfg.socketOptions(proxies), sockets{s})
	s.sockets.ObserveFlushes(m.flushed)
	m.reg.MustRegister(socketCollector{s.sockets})
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /register", s.handleRegister)
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.HandleFunc("POST /refresh", s.handleRefresh)
	s.mux.HandleFunc("POST /logout", s.handleLogout)
	s.mux.HandleFunc("POST "+wire.PathPassword, s.handlePassword)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.adminRoutes() // admin.go
	s.mux.Handle(wire.SocketIOPath, s.sockets)
	web.Routes(s.mux) // the browser client at /, and the socket.io-client bundle
	if err := s.openFiles(); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.startCluster(); err != nil { // cluster.go: on PostgreSQL
		st.Close()
		return nil, err
	}
	s.log.Info("server ready", "data_dir", cfg.DataDir, "database", databaseName(st), "secret_from", source, "token_ttl", signer.TTL(),
		"max_session_age", max(cfg.MaxSessionAge, 0), "signup", !cfg.NoSignup, "max_payload", cfg.MaxPayload)
	return s, nil
}

// ServeHTTP routes the account endpoints and the Socket.IO path.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Shutdown tells every connected client the server is stopping and closes
// their sockets (they reconnect when it is back); new sockets are refused.
// The HTTP server serving s is shut down after it, and Close last: package
// host keeps that order.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.sockets.Shutdown(ctx)
	s.hub.stopLeaving() // nobody is left to tell
	return err
}

// Close closes the database once every queued message is committed.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if !s.sockets.Closing() { // no socket may outlive the database
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			s.sockets.Shutdown(ctx) //nolint:errcheck // best effort: the store closes next
			cancel()
		}
		s.files.uploads.closeAll()
		if ferr := s.files.close(); ferr != nil {
			s.log.Warn("close files", "err", ferr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		s.seen.flush(ctx, s.store, s.log)
		cancel()
		s.stopCluster() // cluster.go
		err = s.store.Close()
		s.log.Info("server stopped")
	})
	return err
}

// DeleteUser removes an account: its tokens stop working, and every live
// socket of it is sent unauthorized (unknown_user) and disconnected at once.
func (s *Server) DeleteUser(ctx context.Context, username string) error {
	u, err := s.store.DeleteUser(ctx, username)
	if err != nil {
		return err
	}
	s.hub.removeUser(u.ID)
	s.publish(cluster.Event{Kind: cluster.KindRemoved, User: u.ID})
	for _, c := range s.hub.connsOfUser(u.ID) {
		c.kick(wire.ReasonUnknownUser)
	}
	s.log.Info("user deleted", "user_id", u.ID)
	return nil
}
