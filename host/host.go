// Package host runs a chat server on a listening socket: the desktop app
// when it hosts, the headless daemon and the tests all start and stop the
// server through it. It owns the listener, TLS, the http.Server and its
// timeouts, the LAN announcement and the order of the stop: joiners are
// told and their sockets closed, HTTP requests drained, the database
// closed.
package host

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"confab/discovery"
	"confab/internal/clientaddr"
	"confab/server"
	"confab/server/certs"
	"confab/wire"
)

// Limits of a host.
const (
	// ReadHeaderTimeout bounds the time a client may take to send a
	// request's headers.
	ReadHeaderTimeout = 10 * time.Second
	// StopTimeout bounds Stop: telling the sockets and draining HTTP.
	StopTimeout = 5 * time.Second
)

// ServerConfig is the chat server's own configuration.
type ServerConfig = server.Config

// Config configures Start.
type Config struct {
	Server ServerConfig
	Addr   string // where to listen, e.g. ":7878" or "127.0.0.1:0"
	// Listener, when set, is used instead of listening on Addr (the daemon
	// and tests that must know the port first).
	Listener net.Listener
	// Cert serves HTTPS with this certificate. Without it, CertDir serves
	// HTTPS with the certificate kept in that directory (generated the first
	// time); with neither, the host serves plain HTTP.
	Cert    *certs.Cert
	CertDir string
	// Announce lists the chat on the local network under this name (DNS-SD
	// over mDNS); empty: not announced. A host listening on loopback only
	// is never announced.
	Announce string
	// ErrorLog receives net/http's own errors (TLS handshake noise from
	// joiners seeing a new certificate, mostly); nil discards them.
	ErrorLog *log.Logger
	// Limits bound connections and requests.
	Limits Limits
}

// Host is a running chat server.
type Host struct {
	srv  *server.Server
	hs   *http.Server
	addr *net.TCPAddr
	cert *certs.Cert

	announced   *discovery.Announcement
	announceErr error

	served   chan struct{} // Serve has returned
	stopOnce sync.Once
	stopErr  error
}

// ErrPortInUse is returned (wrapped in a *PortInUseError) when the port is taken.
var ErrPortInUse = errors.New("port in use")

// PortInUseError says the port is taken, and which one near it is free.
type PortInUseError struct{ Port, Free int }

func (e *PortInUseError) Error() string {
	if e.Free > 0 {
		return fmt.Sprintf("port %d is in use by another program; try %d", e.Port, e.Free)
	}
	return fmt.Sprintf("port %d is in use by another program; try another one", e.Port)
}

func (e *PortInUseError) Unwrap() error { return ErrPortInUse }

// Start opens the server, listens and serves.
func Start(cfg Config) (*Host, error) {
	if cfg.Cert == nil && cfg.CertDir != "" {
		cert, err := certs.LoadOrCreate(cfg.CertDir)
		if err != nil {
			return nil, fmt.Errorf("cannot make the secure connection's certificate: %w", err)
		}
		cfg.Cert = cert
	}
	if cfg.Cert != nil {
		cfg.Server.TLSFingerprint = cfg.Cert.Fingerprint
	}
	lim := cfg.Limits.withDefaults()
	if cfg.Server.MaxSessionsPerAddr <= 0 { // a session is a connection too, if a polling one holds none
		cfg.Server.MaxSessionsPerAddr = lim.MaxConnsPerAddr
	}
	srv, err := server.New(cfg.Server) // first: a bad configuration says so, whatever the port
	if err != nil {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return nil, err
	}
	ln, err := listen(cfg)
	if err != nil {
		srv.Close()
		return nil, err
	}
	h := &Host{srv: srv, addr: ln.Addr().(*net.TCPAddr), cert: cfg.Cert, served: make(chan struct{})}
	logger := cfg.Server.Logger
	if logger == nil {
		logger = slog.Default()
	}
	refusals := newRefusalLog(logger)
	proxies, _ := clientaddr.Parse(cfg.Server.TrustedProxies) // server.New has refused bad ones
	ln = capListener(ln, lim, proxies, refusals.refused)
	if cfg.Cert != nil {
		ln = tls.NewListener(ln, cfg.Cert.Config())
	}
	errLog := cfg.ErrorLog
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	h.hs = &http.Server{Handler: srv, ErrorLog: errLog,
		ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: lim.ReadTimeout, WriteTimeout: lim.WriteTimeout,
		IdleTimeout: lim.IdleTimeout, MaxHeaderBytes: lim.MaxHeaderBytes}
	go func() {
		defer close(h.served)
		h.hs.Serve(ln) //nolint:errcheck // ends with Stop
	}()
	h.announce(cfg.Announce)
	return h, nil
}

func listen(cfg Config) (net.Listener, error) {
	if cfg.Listener != nil {
		return cfg.Listener, nil
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		if _, p, perr := net.SplitHostPort(cfg.Addr); perr == nil {
			port, _ := strconv.Atoi(p)
			return nil, &PortInUseError{Port: port, Free: freePortAfter(port)}
		}
	}
	return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
}

// portSearch is how many ports after a busy one are tried, to suggest one.
const portSearch = 20

func freePortAfter(port int) int {
	for p := port + 1; p <= port+portSearch && p < 65536; p++ {
		if ln, err := net.Listen("tcp", ":"+strconv.Itoa(p)); err == nil {
			ln.Close()
			return p
		}
	}
	return 0
}

// ErrLoopbackOnly says why a host on loopback is not announced.
var ErrLoopbackOnly = errors.New("listening on loopback only")

func (h *Host) announce(name string) {
	switch {
	case name == "":
		return
	case h.addr.IP.IsLoopback():
		h.announceErr = ErrLoopbackOnly
		return
	}
	h.announced, h.announceErr = discovery.Announce(discovery.Info{
		Name: name, Port: h.addr.Port, Fingerprint: h.Fingerprint(),
	})
}

// Server is the chat server (for administration: DeleteUser).
func (h *Host) Server() *server.Server { return h.srv }

// Addr is the address the host listens on.
func (h *Host) Addr() *net.TCPAddr { return h.addr }

// Port is the port the host listens on.
func (h *Host) Port() int { return h.addr.Port }

// Fingerprint is the TLS certificate's fingerprint; empty over plain HTTP.
func (h *Host) Fingerprint() string {
	if h.cert == nil {
		return ""
	}
	return h.cert.Fingerprint
}

// Cert is the certificate served, nil over plain HTTP.
func (h *Host) Cert() *certs.Cert { return h.cert }

// scheme is how clients reach the host.
func (h *Host) scheme() string {
	if h.cert == nil {
		return "http"
	}
	return "https"
}

// LocalURL is how a client on this computer reaches the host.
func (h *Host) LocalURL() string {
	ip := "127.0.0.1"
	if h.addr.IP.To4() == nil && !h.addr.IP.IsUnspecified() {
		ip = "[::1]"
	}
	return h.scheme() + "://" + ip + ":" + strconv.Itoa(h.addr.Port)
}

// Addresses are the URLs others on the LAN can type: every IPv4 address of
// every interface that is up, loopback excepted.
func (h *Host) Addresses() []string {
	var out []string
	for _, hp := range h.lanHostPorts() {
		out = append(out, h.scheme()+"://"+hp)
	}
	return out
}

func (h *Host) lanHostPorts() []string {
	if !h.addr.IP.IsUnspecified() {
		if h.addr.IP.IsLoopback() {
			return nil
		}
		return []string{h.addr.String()}
	}
	var out []string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				out = append(out, net.JoinHostPort(ipn.IP.String(), strconv.Itoa(h.addr.Port)))
			}
		}
	}
	return out
}

// SafetyCode is the chat's key as people compare it; "" over plain HTTP.
func (h *Host) SafetyCode() string { return wire.SafetyCode(h.Fingerprint()) }

// Invitations are links that join the chat with no question about its key,
// one per address others can reach (this computer's own when there is no
// network). None over plain HTTP: an invitation carries a key.
func (h *Host) Invitations() []wire.Invitation {
	if h.cert == nil {
		return nil
	}
	name, _ := h.Announced()
	hps := h.lanHostPorts()
	if len(hps) == 0 {
		hps = []string{strings.TrimPrefix(h.LocalURL(), "https://")}
	}
	out := make([]wire.Invitation, len(hps))
	for i, hp := range hps {
		out[i] = wire.Invitation{Addr: hp, Fingerprint: h.Fingerprint(), Name: name}
	}
	return out
}

// Announced is the name the chat is listed under on the LAN, or why it is
// not listed (nil, nil: it was not asked to be).
func (h *Host) Announced() (string, error) {
	if h.announced != nil {
		return h.announced.Name(), nil
	}
	return "", h.announceErr
}

// Stop stops the host in order and returns once everything is closed:
// the announcement goes first (nobody picks a chat that is going away),
// then every socket is told and closed, then open HTTP requests are
// answered, then the database is closed. Calling it again returns the same.
func (h *Host) Stop() error {
	h.stopOnce.Do(func() {
		if h.announced != nil {
			h.announced.Close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
		defer cancel()
		h.srv.Shutdown(ctx) //nolint:errcheck // a socket that will not close is cut by Close below
		if err := h.hs.Shutdown(ctx); err != nil {
			h.hs.Close()
		}
		<-h.served
		h.stopErr = h.srv.Close()
	})
	return h.stopErr
}
