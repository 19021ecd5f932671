package sio

import (
	"context"
	"crypto/tls"
	"net"
	"reflect"
	"time"
	"unsafe"

	"github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-client-go/engine"
)

// Dial without end (client, docs/pitfalls.md 26): the websocket transport
// dials with a gorilla Dialer that has no handshake timeout and a
// connection nobody else can reach. A server that accepts and never
// answers (or a host that vanished mid-handshake) holds the dial, its
// goroutine and its socket forever, and nothing can abort it: a Close
// during the dial had to wait for it.
//
// The Dialer is a private field of the library's transport; hookDial finds
// it (reflect, then unsafe to read the unexported pointer) and sets what
// it lacks: HandshakeTimeout (TCP, TLS and the upgrade together) and a
// NetDialContext that hands the connection to the transport, which closes
// it on Close, aborting a dial in progress. If the library's layout
// changes, hookDial finds nothing and TestDialerIsReachable fails.

// dialBackstop: Dial's own timer ends an attempt (ErrTimeout); the
// handshake timeout only stops the dial for good shortly after.
const dialBackstop = time.Second

// dialerOf returns the gorilla Dialer inside the library's websocket
// transport, or nil.
func dialerOf(tr engine.Transport) *websocket.Dialer {
	v := reflect.ValueOf(tr)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("dialer")
	if !f.IsValid() || f.Type() != reflect.TypeFor[*websocket.Dialer]() || !f.CanAddr() {
		return nil
	}
	return *(**websocket.Dialer)(unsafe.Pointer(f.UnsafeAddr()))
}

// hookDial bounds the dial by timeout, makes it abortable by Close, and
// reads the connection through the message limit (readlimit.go). Over
// HTTPS it does the TLS handshake itself, so that the limit sees the
// plaintext; the connection goes direct (no HTTP proxy), as on a LAN.
func (t *clientTransport) hookDial(timeout time.Duration, tlsCfg *tls.Config) bool {
	d := dialerOf(t.Transport)
	if d == nil {
		return false
	}
	d.HandshakeTimeout = timeout + dialBackstop
	d.EnableCompression = false // readlimit.go
	d.Proxy = nil
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := t.dialRaw(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &limitedConn{Conn: c, limit: newFrameLimit(MaxMessageBytes)}, nil
	}
	d.NetDialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := t.dialRaw(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc, err := tlsHandshake(ctx, c, addr, tlsCfg)
		if err != nil {
			c.Close()
			return nil, err
		}
		return &limitedConn{Conn: tc, limit: newFrameLimit(MaxMessageBytes)}, nil
	}
	return true
}

// dialRaw connects, unless the transport is closed first: Close cancels a
// connect in progress (a host that drops packets holds it otherwise).
func (t *clientTransport) dialRaw(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-t.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if !t.setRaw(c) {
		c.Close()
		return nil, net.ErrClosed
	}
	return c, nil
}

// tlsHandshake is what the dialer would do: the handshake, then the host
// name unless verification is the config's own (Confab's pins).
func tlsHandshake(ctx context.Context, c net.Conn, addr string, cfg *tls.Config) (*tls.Conn, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName, _, _ = net.SplitHostPort(addr)
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	if !cfg.InsecureSkipVerify {
		if err := tc.VerifyHostname(cfg.ServerName); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// setRaw keeps the dialled connection, unless the transport is closed.
func (t *clientTransport) setRaw(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.raw = c
	return true
}

// closeRaw closes the connection, dialled or being dialled.
func (t *clientTransport) closeRaw() {
	t.mu.Lock()
	c := t.raw
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}
