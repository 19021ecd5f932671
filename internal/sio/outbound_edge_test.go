package sio

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fillHandler emits one event "f" carrying n bytes of x for each "fill" n,
// then says so on filled.
type fillHandler struct {
	admitAll
	filled chan int

	mu     sync.Mutex
	reason string
	gone   chan struct{}
}

func (h *fillHandler) Event(s *Socket, name string, args []any) any {
	if name == "fill" && len(args) > 0 {
		n, _ := args[0].(float64)
		s.Emit("f", strings.Repeat("x", int(n)))
		h.filled <- int(n)
	}
	return true
}

func (h *fillHandler) Disconnected(_ *Socket, reason string) {
	h.mu.Lock()
	h.reason = reason
	h.mu.Unlock()
	close(h.gone)
}

// syncBuffer is a log sink the server writes from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Pitfall 31 at the edge: what waits in the coalescer (a batch being
// written) and in the engine's buffer counts together. A backlog of exactly
// MaxOutbound stays; one byte more drops the socket, once logged as
// slow_reader and counted, and what was queued behind the cap is never
// encoded for it.
func TestBacklogCapAtTheEdge(t *testing.T) {
	for _, over := range []int{0, 1} {
		t.Run(fmt.Sprintf("over=%d", over), func(t *testing.T) {
			t.Parallel()
			const limit = 64 << 10
			h := &fillHandler{filled: make(chan int, 2), gone: make(chan struct{})}
			held := make(chan int64, 1)
			release := make(chan struct{})
			var once sync.Once
			armed := make(chan struct{})
			logs := &syncBuffer{}
			opts := Options{
				MaxOutbound: limit,
				// No ping may join the backlog meanwhile.
				PingInterval: time.Minute, PingTimeout: time.Minute,
				Logger: slog.New(slog.NewTextHandler(logs, nil)),
				flushHook: func(_ int, queued int64) {
					select {
					case <-armed:
					default:
						return
					}
					once.Do(func() { held <- queued; <-release })
				},
			}
			srv, ws := startBurstServer(t, opts, h, false)
			close(armed)
			send := func(f string) {
				t.Helper()
				if err := ws.WriteMessage(websocket.TextMessage, []byte(f)); err != nil {
					t.Fatal(err)
				}
			}
			// A first event, its write held: it waits in the coalescer.
			send(`42["fill",10]`)
			<-h.filled
			q := <-held
			// A second one fills the engine's buffer to the cap (or one
			// byte over): its packet is `2["f","x…"]`, counted with the
			// engine's type byte.
			n := limit - int(q) - 10 + over
			send(fmt.Sprintf(`42["fill",%d]`, n))
			<-h.filled
			drops := srv.Stats().Drops[DropSlowReader]
			close(release)
			expectPrefix(t, ws, `42["f","xxxxxxxxxx"]`)
			if over == 0 {
				if drops != 0 {
					t.Fatalf("a backlog of exactly %d bytes dropped the socket", limit)
				}
				expectPrefix(t, ws, `42["f","`+strings.Repeat("x", n)+`"]`)
				// Still served, once the big batch has left (it counts until
				// its write returns).
				for srv.Stats().QueuedBytes != 0 {
					time.Sleep(time.Millisecond)
				}
				send(`421["fill",0]`)
				expectPrefix(t, ws, `42["f",""]`)
				expectPrefix(t, ws, "431[true]")
				return
			}
			if drops != 1 {
				t.Fatalf("a backlog one byte over the cap: %d drops counted, want 1", drops)
			}
			// Nothing more arrives: the second event was never encoded.
			ws.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
			if _, f, err := ws.ReadMessage(); err == nil {
				t.Fatalf("a dropped socket was sent %.40q", f)
			}
			<-h.gone
			h.mu.Lock()
			reason := h.reason
			h.mu.Unlock()
			if reason != ReasonOutboundFull {
				t.Fatalf("disconnect reason %q", reason)
			}
			if c := strings.Count(logs.String(), "reason="+DropSlowReader); c != 1 {
				t.Fatalf("%d slow_reader log lines, want 1:\n%s", c, logs)
			}
		})
	}
}
