package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/engine"
)

// Pitfall 18: the engine sends a new socket its "open" packet before it
// emits "connection", where Socket.IO's Client starts listening for data. A
// client that answers "open" at once (they all send CONNECT right away) can
// have its CONNECT emitted to no listener and lost: the client then hangs
// until its connect timeout. Under a connect storm about 1 handshake in 100
// was lost this way.
//
// The fix holds the reads of a new websocket connection until the Client is
// set up. Nothing is lost meanwhile: the bytes wait in the kernel.

// readGateTimeout opens a gate that was never opened (a connection that
// failed its handshake), so a read can only be delayed, never stuck.
const readGateTimeout = 2 * time.Second

type readGate struct {
	ch   chan struct{}
	once sync.Once
}

func (g *readGate) open() { g.once.Do(func() { close(g.ch) }) }

type readGateKey struct{}

// gateUpgrade prepares a websocket upgrade request so that the connection's
// reads wait for openReadGate.
func gateUpgrade(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return w, r
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return w, r
	}
	g := &readGate{ch: make(chan struct{})}
	time.AfterFunc(readGateTimeout, g.open)
	r = r.WithContext(context.WithValue(r.Context(), readGateKey{}, g))
	return &gatedWriter{ResponseWriter: w, hj: hj, gate: g}, r
}

// openReadGate runs on the engine's "connection" event, registered after
// Socket.IO's own listener, so the Client is listening by now.
func openReadGate(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(engine.Socket)
	if !ok || sock.Request() == nil || sock.Request().Request() == nil {
		return
	}
	if g, ok := sock.Request().Request().Context().Value(readGateKey{}).(*readGate); ok {
		g.open()
	}
}

type gatedWriter struct {
	http.ResponseWriter
	hj   http.Hijacker
	gate *readGate
}

// hijackReaderSize is the size of the reader handed to the websocket
// library, which only checks that nothing is buffered in it and reads
// through a buffer of its own.
const hijackReaderSize = 16

func (w *gatedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The engine keeps this writer for the socket's whole life. Let go of
	// net/http's response and connection behind it: they hold about 10 KiB
	// of buffers that a hijacked connection never uses again.
	w.ResponseWriter, w.hj = hijacked{}, nil
	if brw != nil && brw.Reader.Buffered() > 0 {
		conn.Close()
		return nil, nil, errors.New("client sent data before the handshake completed")
	}
	gc := &gatedConn{Conn: conn, gate: w.gate}
	return gc, bufio.NewReadWriter(bufio.NewReaderSize(gc, hijackReaderSize), brw.Writer), nil
}

// hijacked answers like net/http's response does once hijacked.
type hijacked struct{}

func (hijacked) Header() http.Header         { return http.Header{} }
func (hijacked) Write([]byte) (int, error)   { return 0, http.ErrHijacked }
func (hijacked) WriteHeader(int)             {}
func (hijacked) Flush()                      {}
func (hijacked) Unwrap() http.ResponseWriter { return nil }

type gatedConn struct {
	net.Conn
	gate *readGate
}

func (c *gatedConn) Read(p []byte) (int, error) {
	<-c.gate.ch
	return c.Conn.Read(p)
}
