package sio

import (
	"errors"
	"net/http"
	"sync"
)

// Pitfall 35 (server): when a long-polling client goes away, the request's
// context ends and the library's handler returns at once, while a write it
// began on another goroutine (the handshake's open packet, a poll's answer)
// may still be setting headers and writing the body. net/http then reads the
// same header map as it finishes the request: a data race (seen under -race
// in TestDialCloseStress), and a concurrent map read and write is fatal.
//
// Each polling request's writer is guarded: headers go to a map of its own,
// copied to the real one when the status is written, and once ServeHTTP has
// returned every write is refused and touches nothing of net/http's.

// errRequestEnded is what a write after the request's end returns.
var errRequestEnded = errors.New("sio: the request has ended")

type lateWriteGuard struct {
	mu     sync.Mutex
	w      http.ResponseWriter
	header http.Header // the library's: the real one is written only under mu
	wrote  bool
	ended  bool
}

func guardLateWrites(w http.ResponseWriter) *lateWriteGuard {
	return &lateWriteGuard{w: w, header: w.Header().Clone()}
}

func (g *lateWriteGuard) Header() http.Header { return g.header }

func (g *lateWriteGuard) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.ended {
		g.writeHeader(code)
	}
}

// writeHeader sends the status with the library's headers, once; mu is held.
func (g *lateWriteGuard) writeHeader(code int) {
	if g.wrote {
		return
	}
	g.wrote = true
	h := g.w.Header()
	for k := range h {
		if _, ok := g.header[k]; !ok {
			delete(h, k)
		}
	}
	for k, v := range g.header {
		h[k] = append([]string(nil), v...)
	}
	g.w.WriteHeader(code)
}

func (g *lateWriteGuard) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ended {
		return 0, errRequestEnded
	}
	g.writeHeader(http.StatusOK)
	return g.w.Write(b)
}

func (g *lateWriteGuard) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.w.(http.Flusher); ok && !g.ended {
		g.writeHeader(http.StatusOK)
		f.Flush()
	}
}

// end is called as ServeHTTP returns: from then on nothing reaches w. A
// write in progress finishes first (it holds mu).
func (g *lateWriteGuard) end() {
	g.mu.Lock()
	g.ended = true
	g.mu.Unlock()
}
