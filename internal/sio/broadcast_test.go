package sio

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
)

// roomHandler puts every socket in room "r" and keeps them in order.
type roomHandler struct {
	admitAll
	mu      sync.Mutex
	sockets []*Socket
}

func (h *roomHandler) Connect(s *Socket) error { s.Join("r"); return nil }

func (h *roomHandler) Connected(s *Socket) {
	h.mu.Lock()
	h.sockets = append(h.sockets, s)
	h.mu.Unlock()
}

// broadcastSeen starts a server with n raw websocket clients; send runs a
// broadcast, and the data of each broadcast packet the server's send
// writes comes back, once every client has the event.
func broadcastSeen(t *testing.T, n, want int, opts Options, send func(*Server, []*Socket)) (seen []io.Reader, queued int64) {
	t.Helper()
	var mu sync.Mutex
	opts.sendHook = func(p *packet.Packet) {
		if p.Options != nil && p.Options.WsPreEncodedFrame != nil {
			mu.Lock()
			seen = append(seen, p.Data)
			mu.Unlock()
		}
	}
	h := &roomHandler{}
	srv := NewServer(opts, h)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Shutdown(context.Background()); hs.Close() }) //nolint:errcheck
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"
	got := make(chan struct{}, n)
	for range n {
		ws, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		ws.ReadMessage()                                     //nolint:errcheck // open
		ws.WriteMessage(websocket.TextMessage, []byte("40")) //nolint:errcheck
		ws.ReadMessage()                                     //nolint:errcheck // connect
		go func() {
			for {
				_, f, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if string(f) == `42["b","x"]` {
					got <- struct{}{}
				}
			}
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		h.mu.Lock()
		k := len(h.sockets)
		h.mu.Unlock()
		if k == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d sockets connected", k, n)
		}
	}
	before := srv.Stats().Packets
	send(srv, h.sockets)
	for i := range want {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d clients got the broadcast", i, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return seen, srv.Stats().Packets - before
}

func distinct(rs []io.Reader) int {
	m := map[io.Reader]bool{}
	for _, r := range rs {
		m[r] = true
	}
	return len(m)
}

// Pitfall 38: a broadcast is encoded once and the same bytes are queued
// for every websocket; the sender of a room broadcast is left out, and a
// socket being dropped as a slow reader gets nothing queued.
func TestBroadcastIsSharedNotCopied(t *testing.T) {
	t.Parallel()
	// Through the engine (directwrite.go's fallback).
	seen, _ := broadcastSeen(t, 5, 5, Options{noDirectWrite: true}, func(s *Server, _ []*Socket) { s.Broadcast("b", "x") })
	if len(seen) != 5 || distinct(seen) != 1 {
		t.Fatalf("%d packets written, %d different copies of the broadcast (want 5, 1)", len(seen), distinct(seen))
	}
	seen, queued := broadcastSeen(t, 5, 3, Options{noDirectWrite: true}, func(s *Server, socks []*Socket) {
		socks[1].out.cut.Store(true) // as outbound.go does before it closes the socket
		socks[0].ToRoom("r", "b", "x")
	})
	if len(seen) != 3 || distinct(seen) != 1 || queued != 3 {
		t.Fatalf("room: %d packets queued, %d written, %d different copies (want 3, 3, 1)", queued, len(seen), distinct(seen))
	}
}

// Pitfall 38 canary: the library's broadcast copies its encoded packet for
// every socket. If this fails, the library stopped: broadcast.go may go.
func TestCanaryBroadcastCopiedPerSocket(t *testing.T) {
	t.Parallel()
	seen, _ := broadcastSeen(t, 5, 5, Options{libraryBroadcast: true}, func(s *Server, _ []*Socket) { s.Broadcast("b", "x") })
	if len(seen) != 5 || distinct(seen) != 5 {
		t.Fatalf("library: %d packets written, %d different copies (want 5, 5)", len(seen), distinct(seen))
	}
}

// Pitfall 39: a broadcast's frame is queued straight into each websocket's
// coalescer: no packet goes through the engine, every socket still gets it
// and it counts as sent; a socket being dropped gets nothing. Without the
// workaround every delivery is an engine packet.
func TestBroadcastSkipsTheEngine(t *testing.T) {
	t.Parallel()
	seen, queued := broadcastSeen(t, 5, 5, Options{}, func(s *Server, _ []*Socket) { s.Broadcast("b", "x") })
	if len(seen) != 0 || queued != 5 {
		t.Fatalf("%d of 5 deliveries went through the engine, %d counted (want 0, 5)", len(seen), queued)
	}
	seen, queued = broadcastSeen(t, 5, 3, Options{}, func(s *Server, socks []*Socket) {
		socks[1].out.cut.Store(true)
		socks[0].ToRoom("r", "b", "x")
	})
	if len(seen) != 0 || queued != 3 {
		t.Fatalf("room: %d deliveries through the engine, %d counted (want 0, 3)", len(seen), queued)
	}
}
