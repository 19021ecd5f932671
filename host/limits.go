package host

import (
	"net"
	"sync"
	"time"

	"confab/internal/clientaddr"
)

// Limits bound what clients may hold of the host; the zero value of a
// field means its default.
type Limits struct {
	// MaxConns is how many connections may be open at once, all clients
	// together; more are closed as soon as they are accepted.
	MaxConns int
	// MaxConnsPerAddr is how many one address may hold open.
	MaxConnsPerAddr int
	// ReadTimeout bounds reading one request, headers and body.
	ReadTimeout time.Duration
	// WriteTimeout bounds answering one request. Both must exceed the ping
	// interval: a long poll is held that long. Websockets are not
	// requests: neither applies to them.
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes int
}

// Defaults of Limits.
const (
	DefaultMaxConns        = 10_000
	DefaultMaxConnsPerAddr = 256
	DefaultReadTimeout     = 20 * time.Second
	DefaultWriteTimeout    = 30 * time.Second
	DefaultIdleTimeout     = 60 * time.Second
	DefaultMaxHeaderBytes  = 16 << 10
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxConns, DefaultMaxConns)
	def(&l.MaxConnsPerAddr, DefaultMaxConnsPerAddr)
	def(&l.MaxHeaderBytes, DefaultMaxHeaderBytes)
	defDur(&l.ReadTimeout, DefaultReadTimeout)
	defDur(&l.WriteTimeout, DefaultWriteTimeout)
	defDur(&l.IdleTimeout, DefaultIdleTimeout)
	return l
}

// capped is a listener that closes connections over the limits at once,
// so the excess costs a file descriptor for a moment instead of stalling
// everyone.
type capped struct {
	net.Listener
	max, perAddr int
	onRefuse     func(addr string)
	// proxies are the trusted load balancers: all their clients' connections
	// come from their address, so only max bounds them (the clients' own
	// addresses are capped per Socket.IO session, server.Config.TrustedProxies).
	proxies clientaddr.Proxies

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

func capListener(ln net.Listener, l Limits, proxies clientaddr.Proxies, onRefuse func(addr string)) *capped {
	return &capped{Listener: ln, max: l.MaxConns, perAddr: l.MaxConnsPerAddr, proxies: proxies, onRefuse: onRefuse, byAddr: map[string]int{}}
}

func (c *capped) Accept() (net.Conn, error) {
	for {
		conn, err := c.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(conn.RemoteAddr())
		if c.admit(addr) {
			return &countedConn{Conn: conn, l: c, addr: addr}, nil
		}
		conn.Close()
		c.onRefuse(addr)
	}
}

func (c *capped) admit(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open >= c.max || (c.byAddr[addr] >= c.perAddr && !c.proxies.Trusts(addr)) {
		return false
	}
	c.open++
	c.byAddr[addr]++
	return true
}

func (c *capped) release(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open--
	if c.byAddr[addr]--; c.byAddr[addr] <= 0 {
		delete(c.byAddr, addr)
	}
}

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// countedConn gives its place back when closed (once).
type countedConn struct {
	net.Conn
	l    *capped
	addr string
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.release(c.addr) })
	return c.Conn.Close()
}

// NetConn is the connection under the count, for writers that batch
// (internal/sio's coalescer writes with writev on it).
func (c *countedConn) NetConn() net.Conn { return c.Conn }
