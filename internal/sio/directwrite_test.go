package sio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
)

// upgradeHandler keeps its sockets and runs onUpgrade inside the engine's
// "upgrade" event, after outbound.go's listener and before the engine
// flushes what waited for the new transport (engine/socket.go's
// MaybeUpgrade): the window in which the engine holds packets while the
// socket's websocket is already its transport.
type upgradeHandler struct {
	admitAll
	onUpgrade func(s *Socket)
	sockets   chan *Socket
	gone      chan string
}

func (h *upgradeHandler) Connected(s *Socket) {
	if h.onUpgrade != nil {
		s.sock.Conn().On("upgrade", func(...any) { h.onUpgrade(s) })
	}
	h.sockets <- s
}

func (h *upgradeHandler) Disconnected(_ *Socket, reason string) { h.gone <- reason }

// pollingClient is a raw Engine.IO client that connects over long-polling,
// then upgrades to a websocket when told.
type pollingClient struct {
	t    *testing.T
	base string // the server's URL, http
	sid  string
}

func startUpgradeServer(t *testing.T, opts Options, h *upgradeHandler) (*Server, *pollingClient) {
	t.Helper()
	srv := NewServer(opts, h)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Shutdown(context.Background()); hs.Close() }) //nolint:errcheck
	c := &pollingClient{t: t, base: hs.URL + DefaultPath + "?EIO=4"}
	open := c.get("&transport=polling")
	_, after, _ := strings.Cut(open, `"sid":"`)
	c.sid, _, _ = strings.Cut(after, `"`)
	c.post("40")
	if got := c.get("&transport=polling&sid=" + c.sid); !strings.HasPrefix(got, "40") {
		t.Fatalf("connect: %q", got)
	}
	return srv, c
}

func (c *pollingClient) get(query string) string {
	c.t.Helper()
	resp, err := http.Get(c.base + query)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

func (c *pollingClient) post(body string) {
	c.t.Helper()
	resp, err := http.Post(c.base+"&transport=polling&sid="+c.sid, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("post %q: %s", body, resp.Status)
	}
}

// upgrade opens the websocket, probes it and sends the upgrade packet; the
// polling transport is not polled meanwhile, so what the socket is sent
// waits in the engine until the upgrade.
func (c *pollingClient) upgrade() *websocket.Conn {
	c.t.Helper()
	u := "ws" + strings.TrimPrefix(c.base, "http") + "&transport=websocket&sid=" + c.sid
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { ws.Close() })
	must := func(err error) {
		if err != nil {
			c.t.Fatal(err)
		}
	}
	must(ws.WriteMessage(websocket.TextMessage, []byte("2probe")))
	ws.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	_, f, err := ws.ReadMessage()
	must(err)
	if string(f) != "3probe" {
		c.t.Fatalf("probe answered %q", f)
	}
	ws.SetReadDeadline(time.Time{}) //nolint:errcheck
	must(ws.WriteMessage(websocket.TextMessage, []byte("5")))
	return ws
}

// Pitfall 39: per-socket order holds between the engine's path (emits)
// and the direct one (broadcasts) across an upgrade from polling. Eight
// goroutines each emit and broadcast in turn, numbered; their first writes
// wait in the engine (the client does not poll). Once the socket has
// upgraded, each writer broadcasts once while the engine still holds its
// earlier writes, then they go on side by side; the client must see every
// writer's numbers in order. The engine is held in its "upgrade" event,
// before it sends what waited (buffered), or in the send of that batch, at
// its first packet (sending); until every writer has broadcast, or for
// holdFor if they cannot (a broadcast that rightly goes the engine's way
// waits for the send). Without directwrite.go's checks (the engine's
// buffer is empty; no batch is being handed to the transport) a writer's
// broadcast overtook its writes in the engine.
func TestOrderAcrossTheUpgrade(t *testing.T) {
	for _, held := range []string{"buffered", "sending"} {
		t.Run(held, func(t *testing.T) {
			t.Parallel()
			orderAcrossTheUpgrade(t, held == "sending")
		})
	}
}

func orderAcrossTheUpgrade(t *testing.T, holdSend bool) {
	// Write 21 (odd: a broadcast) is each writer's after the upgrade.
	const writers, before, total = 8, 21, 320
	const holdFor = 500 * time.Millisecond
	window := make(chan struct{}) // closed in the upgrade's event
	wrote := make(chan struct{})  // closed once every writer broadcast in the window
	var inWindow sync.WaitGroup
	inWindow.Add(writers)
	go func() { inWindow.Wait(); close(wrote) }()
	holdOn := func() {
		select {
		case <-wrote:
		case <-time.After(holdFor):
		}
	}
	var hold sync.Once
	opts := Options{PingInterval: time.Minute, PingTimeout: time.Minute,
		sendHook: func(*packet.Packet) {
			select {
			case <-window:
				if holdSend {
					hold.Do(holdOn)
				}
			default:
			}
		}}
	h := &upgradeHandler{sockets: make(chan *Socket, 1), gone: make(chan string, 1)}
	h.onUpgrade = func(*Socket) {
		close(window)
		if !holdSend {
			holdOn()
		}
	}
	srv, c := startUpgradeServer(t, opts, h)
	s := <-h.sockets
	write := func(g, i int) {
		if i%2 == 0 {
			s.Emit("s", []int{g, i})
		} else {
			srv.Broadcast("s", []int{g, i})
		}
	}
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range before {
				write(g, i)
			}
			<-window
			write(g, before)
			inWindow.Done()
			for i := before + 1; i < total; i++ {
				write(g, i)
			}
		}()
	}
	ws := c.upgrade()
	wg.Wait()
	next := make([]int, writers)
	for got := 0; got < writers*total; {
		ws.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
		_, f, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("after %d events: %v", got, err)
		}
		var g, i int
		if _, err := fmt.Sscanf(string(f), `42["s",[%d,%d]]`, &g, &i); err != nil {
			continue // a noop, a ping
		}
		if g < 0 || g >= writers || i != next[g] {
			t.Fatalf("writer %d: got %d, want %d", g, i, next[g])
		}
		next[g]++
		got++
	}
}

// Pitfall 31 after an upgrade: a socket that connected over polling,
// upgraded, then stopped reading is dropped as a slow reader once what
// waits for it passes MaxOutbound, broadcasts queued straight into its
// websocket's coalescer (39) included. Without outbound.go's "upgrade"
// listener its counter never saw the websocket's queue: the queue grew
// past the cap and the socket stayed, and its transport, not told of the
// cut, went on encoding for it.
func TestUpgradedSocketThatDoesNotReadIsCutOff(t *testing.T) {
	t.Parallel()
	const limit, size = 128 << 10, 16 << 10
	h := &upgradeHandler{sockets: make(chan *Socket, 1), gone: make(chan string, 1)}
	opts := Options{MaxOutbound: limit, PingInterval: time.Minute, PingTimeout: time.Minute,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, c := startUpgradeServer(t, opts, h)
	s := <-h.sockets
	c.upgrade() // and never read
	for s.sock.Conn().Transport().Name() != "websocket" {
		time.Sleep(time.Millisecond) // the upgrade packet is on its way
	}
	ct := s.sock.Conn().Transport().(*coalescingTransport)
	co := ct.co
	text := strings.Repeat("x", size)
	for i := 0; ; i++ {
		select {
		case reason := <-h.gone:
			if reason != ReasonOutboundFull || srv.Stats().Drops[DropSlowReader] != 1 {
				t.Fatalf("dropped with %q, %d slow_reader drops (want %q, 1)", reason, srv.Stats().Drops[DropSlowReader], ReasonOutboundFull)
			}
			// The websocket that came by upgrade knows of the cut too, so
			// it encodes nothing more while the close is on its way.
			if !ct.h.out.Load().dropped() {
				t.Fatal("the upgraded transport does not see that its socket is being dropped")
			}
			return
		default:
		}
		// A frame more than the cap may be queued before the drop.
		if q := co.queued.Load(); q > limit+size+64 {
			t.Fatalf("%d bytes queued for a socket that does not read, after %d broadcasts; the cap is %d", q, i, limit)
		}
		srv.Broadcast("b", text)
	}
}
