package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"confab/wire"
)

// HTTPTimeout bounds each account request.
const HTTPTimeout = 15 * time.Second

// idleConnTimeout closes a session's idle HTTP connections: it calls the
// server only to refresh its token, every few minutes at most.
const idleConnTimeout = 30 * time.Second

// maxResponse bounds what is read of an account response.
const maxResponse = 1 << 20

// Session is a signed-in user: the server, the user and the current token.
// It is safe for concurrent use.
type Session struct {
	URL  string // the server's base URL, e.g. http://192.168.1.5:7878
	User wire.Author

	http     *http.Client
	tls      *tls.Config // nil for plain HTTP
	mu       sync.Mutex
	tok      string
	exp      time.Time
	changing chan struct{} // closed when the password change under way ends; nil: none
}

// Token returns the current token and its expiry.
func (s *Session) Token() (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok, s.exp
}

func (s *Session) setToken(tok string, exp time.Time) {
	s.mu.Lock()
	s.tok, s.exp = tok, exp
	s.mu.Unlock()
}

// replaceToken sets the token only if it still is old: a refresh that
// raced a password change must not bring back a token of the ended session.
func (s *Session) replaceToken(old, tok string, exp time.Time) {
	s.mu.Lock()
	if s.tok == old {
		s.tok, s.exp = tok, exp
	}
	s.mu.Unlock()
}

// replaced waits for a password change under way (until ctx ends), then
// reports whether the session holds another token than tok: the server
// refused tok because the change ended its session, and the new one works.
func (s *Session) replaced(ctx context.Context, tok string) bool {
	s.mu.Lock()
	ch := s.changing
	s.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	cur, _ := s.Token()
	return cur != "" && cur != tok
}

// Register creates an account and signs in.
func Register(ctx context.Context, serverURL, username, password string, opts ...Option) (*Session, error) {
	return signIn(ctx, serverURL, "/register", username, password, opts)
}

// Login signs in. Over HTTPS the server's certificate must be trusted by
// the system or pinned (see trust.go); nothing secret is sent before the
// server has been checked.
func Login(ctx context.Context, serverURL, username, password string, opts ...Option) (*Session, error) {
	return signIn(ctx, serverURL, "/login", username, password, opts)
}

// NormalizeURL accepts "host:port" (HTTPS, Confab's default) or a full URL
// and returns the base URL.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", &Error{Kind: ErrNotConfab, Detail: "not an http(s) address: " + raw}
	}
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/"), nil
}

func signIn(ctx context.Context, serverURL, path, username, password string, opts []Option) (*Session, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	base, err := NormalizeURL(serverURL)
	if err != nil {
		return nil, err
	}
	if !wire.ValidUsername(username) {
		return nil, &Error{Kind: ErrInvalidUsername}
	}
	if path == "/register" && len([]rune(password)) < wire.MinPasswordLen {
		return nil, &Error{Kind: ErrWeakPassword}
	}
	s := newSession(base, &o)
	err = s.checkServer(ctx)
	if errors.Is(err, errHTTPSPort) {
		// http:// typed for an HTTPS server: the probe carried no secret; go secure.
		s.http.CloseIdleConnections()
		s = newSession("https"+strings.TrimPrefix(base, "http"), &o)
		err = s.checkServer(ctx)
	}
	if err == nil && s.tls == nil {
		err = o.checkPlain(ServerKey(s.URL)) // before anything secret
	}
	if err != nil {
		s.http.CloseIdleConnections()
		return nil, err
	}
	fields := map[string]string{"username": username, "password": password}
	if o.invite != "" && path == wire.PathRegister {
		fields[wire.InviteParam] = o.invite
	}
	body, _ := json.Marshal(fields)
	var sess wire.Session
	if err := s.do(ctx, path, "", string(body), &sess); err != nil {
		s.http.CloseIdleConnections()
		return nil, err
	}
	s.User = sess.User
	s.setToken(sess.Token, sess.ExpiresAt)
	return s, nil
}

func newSession(base string, o *options) *Session {
	s := &Session{URL: base}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.IdleConnTimeout = idleConnTimeout
	tr.Proxy = nil // the server is reached directly, as the socket does (internal/sio)
	if strings.HasPrefix(base, "https://") {
		s.tls = o.tlsConfig(ServerKey(base))
		tr.TLSClientConfig = s.tls
	}
	s.http = &http.Client{Timeout: HTTPTimeout, Transport: tr}
	return s
}

// errHTTPSPort: a plain HTTP request reached an HTTPS server.
var errHTTPSPort = errors.New("plain HTTP to an HTTPS server")

// checkServer asks /healthz whether this is a Confab server we can talk to.
func (s *Session) checkServer(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/healthz", nil)
	if err != nil {
		return &Error{Kind: ErrNotConfab, Err: err}
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusBadRequest && s.tls == nil {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		if strings.Contains(string(body), "HTTPS server") { // Go's answer to plain HTTP on a TLS port
			return errHTTPSPort
		}
	}
	var h wire.Health
	confab := (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable) &&
		json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&h) == nil &&
		// A degraded server (503: it cannot store anything) is Confab too:
		// it signs in and shows history, and refuses what it cannot store.
		(resp.StatusCode == http.StatusOK && h.Status == wire.HealthOK ||
			resp.StatusCode == http.StatusServiceUnavailable && h.Status == wire.HealthDegraded)
	if !confab {
		return &Error{Kind: ErrNotConfab, Detail: s.URL + " answered " + resp.Status}
	}
	proto := h.Protocol
	if proto == 0 {
		proto = 1
	}
	switch {
	case proto > wire.ProtocolVersion:
		return &Error{Kind: ErrServerTooNew, Detail: "server " + h.Version}
	case proto < wire.ProtocolVersion:
		return &Error{Kind: ErrServerTooOld, Detail: "server " + h.Version}
	}
	return nil
}

// Refresh trades the current token for a fresh one of the same sign-in.
// It fails with ErrSignedOut once the sign-in has ended (logged out, older
// than the server's maximum session age, password changed elsewhere).
func (s *Session) Refresh(ctx context.Context) error {
	tok, _ := s.Token()
	var sess wire.Session
	if err := s.do(ctx, wire.PathRefresh, tok, "", &sess); err != nil {
		if errors.Is(err, ErrSignedOut) && s.replaced(ctx, tok) {
			return nil // ChangePassword gave the session a new sign-in meanwhile
		}
		return err
	}
	s.replaceToken(tok, sess.Token, sess.ExpiresAt)
	return nil
}

// ChangePassword changes the user's password. The server ends every
// session of the user, this one's too, and this session continues with
// a new sign-in; a Chat of it reconnects with it at once. A wrong current
// password is ErrWrongPassword, and counts as a failed login of the account
// (ErrTooManyAttempts after a few).
func (s *Session) ChangePassword(ctx context.Context, current, newPassword string) error {
	if len([]rune(newPassword)) < wire.MinPasswordLen {
		return &Error{Kind: ErrWeakPassword}
	}
	done := make(chan struct{})
	s.mu.Lock()
	tok, prev := s.tok, s.changing
	s.changing = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.changing == done {
			s.changing = prev
		}
		s.mu.Unlock()
		close(done)
	}()
	body, _ := json.Marshal(wire.PasswordChange{Current: current, Password: newPassword})
	var sess wire.Session
	if err := s.do(ctx, wire.PathPassword, tok, string(body), &sess); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrWrongCredentials {
			e.Kind = ErrWrongPassword
		}
		return err
	}
	s.replaceToken(tok, sess.Token, sess.ExpiresAt)
	return nil
}

// logout revokes the token on the server.
func (s *Session) logout(ctx context.Context) error {
	tok, _ := s.Token()
	return s.do(ctx, wire.PathLogout, tok, "", nil)
}

// do POSTs to an account endpoint and decodes the answer into out.
func (s *Session) do(ctx context.Context, path, bearer, body string, out any) error {
	return request(ctx, s.http, http.MethodPost, s.URL, path, bearer, body, out)
}

// request makes one HTTP call to the server at base and decodes the answer
// into out.
func request(ctx context.Context, hc *http.Client, method, base, path, bearer, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
	if err != nil {
		return &Error{Kind: ErrNotConfab, Err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return netError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return &Error{Kind: ErrUnreachable, Err: err}
	}
	if resp.StatusCode >= 300 {
		var e wire.Error
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			return &Error{Kind: ErrNotConfab, Detail: path + " answered " + resp.Status}
		}
		out := &Error{Kind: kindOfCode(e.Error), Code: e.Error, Detail: e.Message}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			out.RetryAfter = time.Duration(secs) * time.Second
		}
		return out
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Kind: ErrNotConfab, Detail: path + " answered something else than JSON"}
	}
	return nil
}

// netError classifies a transport failure.
func netError(err error) error {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var certErr2 *CertError
	switch {
	case errors.As(err, &certErr2):
		return &Error{Kind: certErr2.Kind(), Err: certErr2, Detail: certErr2.detail()}
	case errors.As(err, &recordErr) && recordErr.Conn != nil,
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// The server answered in plain HTTP: it was started with --insecure-http.
		return &Error{Kind: ErrPlainHTTP, Err: err, Detail: "type http:// before the address to connect without encryption"}
	case errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &certErr),
		errors.As(err, &verifyErr), errors.As(err, &recordErr):
		return &Error{Kind: ErrTLS, Err: err, Detail: err.Error()}
	case errors.Is(err, context.Canceled):
		return err
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: ErrUnreachable, Err: err, Detail: shortCause(err)}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Timeout() {
		return &Error{Kind: ErrUnreachable, Err: err, Detail: "timed out"}
	}
	return &Error{Kind: ErrNotConfab, Err: err, Detail: shortCause(err)}
}

// shortCause is the innermost message, without the URL (it may hold secrets
// in a query string, and it is long).
func shortCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
