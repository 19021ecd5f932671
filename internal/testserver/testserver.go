// Package testserver starts the real Confab server on loopback with real
// SQLite in a temporary directory (or PostgreSQL: engines.go), for the
// tests of every package.
package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/host"
	"confab/server"
	"confab/server/certs"
	"confab/wire"
)

// Secret is the tests' JWT secret (tests that need another one set Config.Secret).
var Secret = []byte("confab-test-secret-0123456789-abcdef")

// Env is a running server.
type Env struct {
	URL  string
	Addr string
	Cfg  server.Config
	Srv  *server.Server

	// Cert is set by StartTLS: the server's generated certificate.
	Cert *certs.Cert
	// HTTP trusts Cert (when set); Post uses it.
	HTTP *http.Client

	t    testing.TB
	h    *host.Host
	logs *syncBuffer
}

// Start serves a new server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB, cfg server.Config) *Env {
	t.Helper()
	return launch(t, cfg, false)
}

// StartTLS is Start over HTTPS, with a certificate generated as confabd
// generates it (in the data directory).
func StartTLS(t testing.TB, cfg server.Config) *Env {
	t.Helper()
	return launch(t, cfg, true)
}

// StartOn is Start on the given address (in a network namespace's LAN, say).
func StartOn(t testing.TB, addr string, cfg server.Config) *Env {
	t.Helper()
	return launchOn(t, addr, cfg, false)
}

func launch(t testing.TB, cfg server.Config, withTLS bool) *Env {
	t.Helper()
	return launchOn(t, "127.0.0.1:0", cfg, withTLS)
}

func launchOn(t testing.TB, addr string, cfg server.Config, withTLS bool) *Env {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Secret == nil {
		cfg.Secret = Secret
	}
	e := &Env{t: t, Cfg: cfg, logs: &syncBuffer{}, HTTP: http.DefaultClient}
	if withTLS {
		c, err := certs.LoadOrCreate(cfg.DataDir)
		if err != nil {
			t.Fatalf("certificate: %v", err)
		}
		e.Cert, e.Cfg.TLSFingerprint = c, c.Fingerprint
		pool := x509.NewCertPool()
		pool.AddCert(c.TLS.Leaf)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
		e.HTTP = &http.Client{Transport: tr}
	}
	e.start(addr)
	t.Cleanup(e.Stop)
	return e
}

func (e *Env) start(addr string) {
	e.t.Helper()
	cfg := e.Cfg
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var h *host.Host
	var err error
	for i := 0; ; i++ { // the old listener's port can take a moment to free
		h, err = host.Start(host.Config{Server: cfg, Addr: addr, Cert: e.Cert,
			ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)})
		if !errors.Is(err, host.ErrPortInUse) || i == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("start server: %v", err)
	}
	e.h, e.Srv = h, h.Server()
	e.Addr = h.Addr().String()
	e.URL = "http://" + e.Addr
	if e.Cert != nil {
		e.URL = "https://" + e.Addr
	}
}

// Stop shuts the server down as the daemon does; calling it twice is fine.
func (e *Env) Stop() {
	if e.h == nil {
		return
	}
	if err := e.h.Stop(); err != nil {
		e.t.Errorf("stop server: %v", err)
	}
	e.h = nil
}

// Restart stops the server and starts a new one on the same address and data.
func (e *Env) Restart() {
	e.t.Helper()
	addr := e.Addr
	e.Stop()
	// Kept-alive connections died with the old server; a POST on one would
	// fail with EOF (net/http retries only idempotent requests).
	e.HTTP.CloseIdleConnections()
	e.start(addr)
}

// Logs returns everything the server logged so far.
func (e *Env) Logs() string { return e.logs.String() }

// Post sends a body to an account endpoint and decodes the JSON answer.
func (e *Env) Post(path, contentType, body, bearer string) (int, http.Header, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.HTTP.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			e.t.Fatalf("POST %s: status %d, body not JSON: %v", path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// JSON encodes credentials as a JSON body.
func JSON(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

// Form encodes credentials as a form body.
func Form(username, password string) string {
	return url.Values{"username": {username}, "password": {password}}.Encode()
}

// Register creates an account and returns its session.
func (e *Env) Register(username, password string) wire.Session {
	e.t.Helper()
	return e.session("/register", username, password, http.StatusCreated)
}

// Login signs in and returns the session.
func (e *Env) Login(username, password string) wire.Session {
	e.t.Helper()
	return e.session("/login", username, password, http.StatusOK)
}

func (e *Env) session(path, username, password string, want int) wire.Session {
	e.t.Helper()
	code, _, body := e.Post(path, "application/json", JSON(username, password), "")
	if code != want {
		e.t.Fatalf("POST %s %s: status %d %v", path, username, code, body)
	}
	b, _ := json.Marshal(body)
	var s wire.Session
	if err := json.Unmarshal(b, &s); err != nil || s.Token == "" {
		e.t.Fatalf("POST %s: bad session %v", path, body)
	}
	return s
}

// WaitFor polls cond until it holds or the timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitForUser waits until an account of this username exists. It asks the
// server directly: polling /login instead fails until the account exists,
// and 5 failures throttle the username for a minute (the smoke tests
// failed so when the app's sign-up took longer than 5 hashes, under load).
func (e *Env) WaitForUser(t testing.TB, timeout time.Duration, username string) {
	t.Helper()
	WaitFor(t, timeout, username+"'s account", func() bool {
		ok, err := e.Srv.HasUser(context.Background(), username)
		return ok && err == nil
	})
}

// ErrTimeout is returned by helpers that waited too long.
var ErrTimeout = errors.New("timed out")

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
