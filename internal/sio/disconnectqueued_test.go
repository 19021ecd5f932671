package sio

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// goneHandler keeps its sockets and counts their ends.
type goneHandler struct {
	admitAll
	mu      sync.Mutex
	sockets []*Socket
	gone    int
}

func (h *goneHandler) Connected(s *Socket) {
	h.mu.Lock()
	h.sockets = append(h.sockets, s)
	h.mu.Unlock()
}

func (h *goneHandler) Disconnected(*Socket, string) {
	h.mu.Lock()
	h.gone++
	h.mu.Unlock()
}

func (h *goneHandler) counts() (connected, gone int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sockets), h.gone
}

// waitFor polls cond for up to 30 s (a generous bound: it only says how
// long a broken run takes to fail).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%s: not within 30 s\n%s", what, buf[:runtime.Stack(buf, true)])
		}
	}
}

// Pitfalls 34 and 39: sockets that end while broadcasts are queued
// straight into their coalescers, and keep coming: half are kicked by the
// server while their clients, still connected, read nothing (the flush is
// blocked in a write), half are closed by their clients. Every socket
// ends, no write after the end panics or is queued, every coalescer's
// goroutine ends and its queue is freed, and once the server is shut
// down no goroutine is left. The flush stall timeout is an hour here, so
// only Close's own deadline (CloseFlushTimeout) can end a blocked flush:
// without it the kicked sockets' writers stayed for good.
// Not parallel: it counts the process's goroutines.
func TestSocketsEndWithDirectWritesQueued(t *testing.T) {
	const n, size = 8, 16 << 10
	base := settledGoroutines()
	h := &goneHandler{}
	srv := NewServer(Options{MaxOutbound: 1 << 30, PingInterval: time.Minute, PingTimeout: time.Minute}, h)
	hs := httptest.NewServer(srv)
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"
	clients := map[string]*websocket.Conn{} // by socket id
	for range n {
		ws, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws.ReadMessage()                                     //nolint:errcheck // open
		ws.WriteMessage(websocket.TextMessage, []byte("40")) //nolint:errcheck
		_, f, err := ws.ReadMessage()                        // connect; nothing is read after it
		if err != nil {
			t.Fatal(err)
		}
		_, after, _ := strings.Cut(string(f), `"sid":"`)
		id, _, _ := strings.Cut(after, `"`)
		clients[id] = ws
	}
	waitFor(t, "sockets connected", func() bool { c, _ := h.counts(); return c == n })
	cos := make([]*coalescer, n)
	for i, s := range h.sockets {
		co := s.sock.Conn().Transport().(*coalescingTransport).co
		co.mu.Lock()
		for co.flushing { // the flusher reads stall outside the lock
			co.idle.Wait()
		}
		co.stall = time.Hour
		co.mu.Unlock()
		cos[i] = co
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	text := strings.Repeat("x", size)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					srv.Broadcast("b", text)
				}
			}
		}()
	}
	// Kernel buffers full: each flush is blocked in a write.
	waitFor(t, "queues filled", func() bool {
		for _, co := range cos {
			if co.queued.Load() < 512<<10 {
				return false
			}
		}
		return true
	})
	for i, s := range h.sockets {
		if i%2 == 0 {
			s.Kick("bye", nil)
		} else {
			clients[s.ID()].Close()
		}
	}
	waitFor(t, "every socket gone", func() bool { _, g := h.counts(); return g == n })
	for i, co := range cos {
		waitFor(t, fmt.Sprintf("socket %d's writer ended", i), func() bool {
			co.mu.Lock()
			defer co.mu.Unlock()
			return !co.flushing && co.err != nil
		})
		if q := co.queued.Load(); q != 0 {
			t.Errorf("socket %d: %d bytes still queued after its end", i, q)
		}
	}
	close(stop)
	wg.Wait()
	srv.Shutdown(context.Background()) //nolint:errcheck
	hs.Close()
	for _, ws := range clients {
		ws.Close()
	}
	waitFor(t, fmt.Sprintf("goroutines back to %d", base), func() bool { return runtime.NumGoroutine() <= base })
}

// settledGoroutines is the number of goroutines once it stops falling
// (what earlier tests left is still ending).
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m >= n {
			return m
		}
		n = m
	}
	return n
}
