package app

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
	"os"
	"strconv"
	"syscall"
	"time"

	"confab/discovery"
	"confab/server"
	"confab/server/certs"
)

// Hosting limits.
const (
	DefaultPort       = 7878
	portSearch        = 20 // ports tried after a busy one, to suggest a free one
	hostStopTimeout   = 5 * time.Second
	readHeaderTimeout = 10 * time.Second
)

// host is the chat server embedded in the app when it hosts. It holds no widgets.
type host struct {
	port int
	cert *certs.Cert // the TLS certificate joiners pin
	srv  *server.Server
	// announced is the LAN announcement, nil when off or failed (then announceErr says why).
	announced   *discovery.Announcement
	announceErr error
	hs          *http.Server
	done        chan struct{}
}

// errPortInUse says the port is taken, and which one is free.
type errPortInUse struct{ port, free int }

func (e errPortInUse) Error() string {
	if e.free > 0 {
		return fmt.Sprintf("port %d is in use by another program; try %d", e.port, e.free)
	}
	return fmt.Sprintf("port %d is in use by another program; try another one", e.port)
}

// startHost serves the chat on every interface. With allowOthers false only
// this computer can create accounts. With announceAs set, the chat is
// announced on the LAN under that name.
func startHost(dataDir string, port int, allowOthers bool, announceAs string) (*host, error) {
	ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, errPortInUse{port: port, free: freePortAfter(port)}
		}
		return nil, fmt.Errorf("cannot listen on port %d: %w", port, err)
	}
	cert, err := certs.LoadOrCreate(dataDir)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("cannot make the secure connection's certificate: %w", err)
	}
	srv, err := server.New(server.Config{
		DataDir:         dataDir,
		LocalSignupOnly: !allowOthers,
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		TLSFingerprint:  cert.Fingerprint,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	h := &host{port: ln.Addr().(*net.TCPAddr).Port, cert: cert, srv: srv, done: make(chan struct{})}
	ln = tls.NewListener(ln, cert.Config())
	h.hs = &http.Server{Handler: srv, ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog: log.New(io.Discard, "", 0)} // TLS handshake noise from first-time joiners
	go func() {
		defer close(h.done)
		h.hs.Serve(ln) //nolint:errcheck // ends with Shutdown
	}()
	if announceAs != "" {
		h.announced, h.announceErr = discovery.Announce(discovery.Info{Name: announceAs, Port: h.port, Fingerprint: cert.Fingerprint})
	}
	return h, nil
}

func freePortAfter(port int) int {
	for p := port + 1; p <= port+portSearch && p < 65536; p++ {
		if ln, err := net.Listen("tcp", ":"+strconv.Itoa(p)); err == nil {
			ln.Close()
			return p
		}
	}
	return 0
}

// localURL is how the host's own app reaches it.
func (h *host) localURL() string { return "https://127.0.0.1:" + strconv.Itoa(h.port) }

// addresses are the URLs others on the LAN can type: every IPv4 address of
// every interface that is up, loopback excepted.
func (h *host) addresses() []string {
	var out []string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
				out = append(out, "https://"+net.JoinHostPort(ipn.IP.String(), strconv.Itoa(h.port)))
			}
		}
	}
	return out
}

// stop closes the sockets, then HTTP, then the database.
func (h *host) stop() {
	if h.announced != nil {
		h.announced.Close() // first, so nobody picks a chat that is going away
	}
	ctx, cancel := context.WithTimeout(context.Background(), hostStopTimeout)
	defer cancel()
	h.srv.Shutdown(ctx) //nolint:errcheck
	if err := h.hs.Shutdown(ctx); err != nil {
		h.hs.Close()
	}
	<-h.done
	h.srv.Close() //nolint:errcheck
}
