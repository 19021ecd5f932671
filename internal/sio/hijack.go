package sio

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// hijacked is one websocket connection as the server took it over from
// net/http. Three workarounds act on it: readgate.go holds its reads until
// Socket.IO listens, closeframe.go closes it when the library forgets to,
// shutdown.go says goodbye on it.
type hijacked struct {
	srv  *Server
	gate *readGate

	mu   sync.Mutex
	conn *hijackedConn   // once hijacked
	ws   *websocket.Conn // once the library made its websocket of it

	out atomic.Pointer[outbound] // the engine socket's backlog (outbound.go)
}

type hijackedKey struct{}

func hijackedOf(r *http.Request) *hijacked {
	if r == nil {
		return nil
	}
	h, _ := r.Context().Value(hijackedKey{}).(*hijacked)
	return h
}

// hijackable prepares a websocket upgrade so that its connection is ours.
func (s *Server) hijackable(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return w, r
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		return w, r
	}
	h := &hijacked{srv: s, gate: newReadGate()}
	r = r.WithContext(context.WithValue(r.Context(), hijackedKey{}, h))
	return &hijackWriter{ResponseWriter: w, hj: hj, h: h}, r
}

type hijackWriter struct {
	http.ResponseWriter
	hj http.Hijacker
	h  *hijacked
}

// hijackReaderSize is the size of the reader handed to the websocket
// library, which only checks that nothing is buffered in it and reads
// through a buffer of its own.
const hijackReaderSize = 16

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http's read and write timeouts are for requests; a websocket
	// lives on (pings tell when it is dead).
	conn.SetDeadline(time.Time{}) //nolint:errcheck
	// The engine keeps this writer for the socket's whole life. Let go of
	// net/http's response and connection behind it: they hold about 10 KiB
	// of buffers that a hijacked connection never uses again.
	w.ResponseWriter, w.hj = gone{}, nil
	if brw != nil && brw.Reader.Buffered() > 0 {
		conn.Close()
		return nil, nil, errors.New("client sent data before the handshake completed")
	}
	c := &hijackedConn{Conn: conn, h: w.h}
	if !w.h.srv.opts.noCoalesce {
		c.co = newCoalescer(conn, w.h.srv.flushes) // coalesce.go
		c.co.hook = w.h.srv.opts.flushHook
		c.co.onStall = w.h.srv.writeStalled
	}
	w.h.attach(c)
	return c, bufio.NewReadWriter(bufio.NewReaderSize(c, hijackReaderSize), brw.Writer), nil
}

// gone answers like net/http's response does once hijacked.
type gone struct{}

func (gone) Header() http.Header         { return http.Header{} }
func (gone) Write([]byte) (int, error)   { return 0, http.ErrHijacked }
func (gone) WriteHeader(int)             {}
func (gone) Flush()                      {}
func (gone) Unwrap() http.ResponseWriter { return nil }

type hijackedConn struct {
	net.Conn
	h  *hijacked
	co *coalescer // nil: writes go straight out
}

func (c *hijackedConn) Write(p []byte) (int, error) {
	if c.co == nil {
		if hook := c.h.srv.opts.flushHook; hook != nil {
			hook(1, int64(len(p))) // tests only: every write is a flush
		}
		return c.Conn.Write(p)
	}
	return c.co.write(p)
}

func (c *hijackedConn) SetWriteDeadline(t time.Time) error {
	if c.co == nil {
		return c.Conn.SetWriteDeadline(t)
	}
	c.co.setWriteDeadline(t) // applied to each flush
	return nil
}

func (c *hijackedConn) SetDeadline(t time.Time) error {
	if err := c.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *hijackedConn) Read(p []byte) (int, error) {
	<-c.h.gate.ch
	return c.Conn.Read(p)
}

func (c *hijackedConn) Close() error {
	c.h.srv.untrack(c.h)
	if c.co != nil {
		c.co.close()
	}
	return c.Conn.Close()
}

func (h *hijacked) attach(c *hijackedConn) {
	h.mu.Lock()
	h.conn = c
	h.mu.Unlock()
	h.srv.track(h)
}

func (h *hijacked) setWebSocket(ws *websocket.Conn) {
	h.mu.Lock()
	h.ws = ws
	h.mu.Unlock()
}

func (h *hijacked) parts() (*hijackedConn, *websocket.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conn, h.ws
}

func (s *Server) track(h *hijacked) {
	s.mu.Lock()
	s.conns[h] = struct{}{}
	s.mu.Unlock()
}

func (s *Server) untrack(h *hijacked) {
	s.mu.Lock()
	delete(s.conns, h)
	s.mu.Unlock()
}

func (s *Server) tracked() []*hijacked {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*hijacked, 0, len(s.conns))
	for h := range s.conns {
		out = append(out, h)
	}
	return out
}
