package sio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// burstHandler emits what the client asks for: "push" n events "n" with
// 0..n-1, "spray" n events "s" from each of 8 goroutines at once, every
// other one a broadcast.
type burstHandler struct {
	admitAll
	pushed chan struct{} // closed once a push has emitted everything
	once   sync.Once
}

func (h *burstHandler) Event(s *Socket, name string, args []any) any {
	n := 0
	if len(args) > 0 {
		f, _ := args[0].(float64)
		n = int(f)
	}
	switch name {
	case "push":
		for i := range n {
			s.Emit("n", i)
		}
		h.once.Do(func() { close(h.pushed) })
	case "spray":
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n {
					if i%2 == 0 {
						s.Emit("s", []int{g, i})
					} else {
						s.srv.Broadcast("s", []int{g, i}) // pre-encoded, deflate (pitfall 1)
					}
				}
			}()
		}
		wg.Wait()
	}
	return true
}

// startBurstServer serves h over plain HTTP or TLS; the raw websocket
// client returned has passed the Socket.IO handshake.
func startBurstServer(t *testing.T, opts Options, h Handler, useTLS bool) (*Server, *websocket.Conn) {
	t.Helper()
	srv := NewServer(opts, h)
	var hs *httptest.Server
	if useTLS {
		hs = httptest.NewTLSServer(srv)
	} else {
		hs = httptest.NewServer(srv)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()); hs.Close() }) //nolint:errcheck
	d := websocket.Dialer{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, HandshakeTimeout: 10 * time.Second}
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"
	ws, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	expectPrefix(t, ws, "0{")
	if err := ws.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	expectPrefix(t, ws, "40")
	return srv, ws
}

func readFrame(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	_, f, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(f)
}

// pushAndRead asks the server for n events in one burst ("push"), and reads
// them in order and then the ack.
func pushAndRead(t *testing.T, ws *websocket.Conn, n int) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`421["push",%d]`, n))); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		expectPrefix(t, ws, fmt.Sprintf(`42["n",%d]`, i))
	}
	expectPrefix(t, ws, "431[")
}

func expectPrefix(t *testing.T, ws *websocket.Conn, prefix string) {
	t.Helper()
	for {
		f := readFrame(t, ws)
		if f == "2" { // a ping
			continue
		}
		if !strings.HasPrefix(f, prefix) {
			t.Fatalf("got %q, want %s…", f, prefix)
		}
		return
	}
}

// Pitfall 34: the frames of a burst go out in one write, over plain TCP
// (writev) and TLS. The first flush of the burst is held until the handler
// has emitted every event, so the others wait in the engine's buffer and
// reach the transport as one batch; without the coalescer each of them is
// a write of its own.
func TestBurstGoesOutInOneWrite(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			const n = 200
			h := &burstHandler{pushed: make(chan struct{})}
			var armed atomic.Bool
			var flushes, pieces atomic.Int64
			opts := Options{flushHook: func(p int, _ int64) {
				if !armed.Load() {
					return
				}
				if flushes.Add(1) == 1 {
					<-h.pushed
				}
				pieces.Add(int64(p))
			}}
			_, ws := startBurstServer(t, opts, h, useTLS)
			armed.Store(true)
			pushAndRead(t, ws, n)
			// The first event, the other n-1 together, and the ack (alone
			// or with them).
			if f := flushes.Load(); f > 3 {
				t.Fatalf("%d events and an ack took %d writes (%d pieces); want at most 3", n, f, pieces.Load())
			}
		})
	}
}

// Order is kept per socket with eight goroutines writing to it at once,
// directly and through a room (pre-encoded frames).
func TestCoalescedOrderUnderConcurrentWriters(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", useTLS), func(t *testing.T) {
			t.Parallel()
			const m = 300
			_, ws := startBurstServer(t, Options{}, &burstHandler{pushed: make(chan struct{})}, useTLS)
			if err := ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`421["spray",%d]`, m))); err != nil {
				t.Fatal(err)
			}
			next := make([]int, 8)
			for got := 0; got < 8*m; {
				f := readFrame(t, ws)
				var g, i int
				if _, err := fmt.Sscanf(f, `42["s",[%d,%d]]`, &g, &i); err != nil {
					continue // the ack, a ping
				}
				if g < 0 || g >= 8 || i != next[g] {
					t.Fatalf("writer %d: got %d, want %d", g, i, next[g])
				}
				next[g]++
				got++
			}
		})
	}
}

// tcpPair is a connected loopback pair.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// A close flushes what the batch had queued, then closes.
func TestCloseFlushesTheQueue(t *testing.T) {
	t.Parallel()
	server, client := tcpPair(t)
	c := newCoalescer(server, nil)
	if !c.vector {
		t.Fatal("a TCP connection is written with writev")
	}
	c.begin()
	want := strings.Repeat("frame.", 10000) // several chunks
	for i := 0; i < len(want); i += 6 {
		if _, err := c.write([]byte(want[i : i+6])); err != nil {
			t.Fatal(err)
		}
	}
	c.close()
	server.Close()
	client.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
	if _, err := c.write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a write after close: %v", err)
	}
}

// A flush the client does not take within the stall timeout closes the
// connection, and every later write fails at once with the reason.
func TestStalledFlushClosesTheConnection(t *testing.T) {
	t.Parallel()
	server, client := tcpPair(t)
	c := newCoalescer(server, nil)
	c.stall = 200 * time.Millisecond
	c.begin()
	big := make([]byte, 1<<20)
	for range 64 { // far more than the kernel buffers
		if _, err := c.write(big); err != nil {
			t.Fatal(err)
		}
	}
	c.end()
	c.wait() //nolint:errcheck // the write below says it
	if _, err := c.write([]byte("x")); !errors.Is(err, errFlushStalled) {
		t.Fatalf("a write after a stalled flush: %v", err)
	}
	// The connection is closed: the client reads what was sent, then EOF
	// or a reset, never a timeout.
	client.SetReadDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	_, err := io.Copy(io.Discard, client)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the connection of a stalled flush is still open")
	}
}

// Canary for pitfall 34: the library's own websocket transport writes each
// frame of a batch on its own. Fails once it batches by itself; coalesce.go
// may then go.
func TestCanaryOneWritePerFrame(t *testing.T) {
	undo := WithLibraryWebSocket()
	defer undo()
	const n = 50
	h := &burstHandler{pushed: make(chan struct{})}
	var armed atomic.Bool
	var flushes atomic.Int64
	opts := Options{noCoalesce: true, flushHook: func(int, int64) {
		if armed.Load() && flushes.Add(1) == 1 {
			<-h.pushed
		}
	}}
	_, ws := startBurstServer(t, opts, h, false)
	armed.Store(true)
	pushAndRead(t, ws, n)
	if f := flushes.Load(); f <= n {
		t.Fatalf("%d events and an ack took %d writes: the library batches its writes now (pitfall 34); re-check coalesce.go", n, f)
	}
}
