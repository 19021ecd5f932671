package sio_test

// Regression tests and canaries of the client-side defects (doc.go lists
// them). A regression test fails if the workaround is removed; a canary
// fails if an upgrade of the library fixes the defect, so the workaround
// can go.

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zishang520/engine.io-client-go/engine"
	"github.com/zishang520/engine.io/v2/types"
	csock "github.com/zishang520/socket.io-client-go/socket"

	"confab/internal/sio"
)

// Pitfall 17: a server that sends its open packet with the 101 response is
// the widest the library's open race gets. Every dial connects, under load.
func TestOpenIsNeverLost(t *testing.T) {
	rs := startRawServer(t, nil)
	loadCPU(t, 2)
	const workers, each = 8, 50
	var failed atomic.Int32
	var first atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c, err := sio.Dial(context.Background(), rs.URL, sio.DialOptions{Timeout: 5 * time.Second})
				if err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				c.Close()
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d dials failed; first: %v", n, workers*each, first.Load())
	}
}

// quickOpen is the library's websocket transport, except that its Open
// returns only once the server's open packet has been handled, as happens
// by chance when the open is read fast.
type quickOpen struct {
	engine.WebSocketBuilder
	opened atomic.Bool // the engine was open when the transport's Open returned
}

func (b *quickOpen) New(s engine.Socket, opts engine.SocketOptionsInterface) engine.Transport {
	return &quickOpenTransport{Transport: b.WebSocketBuilder.New(s, opts), sock: s, b: b}
}

type quickOpenTransport struct {
	engine.Transport
	sock engine.Socket
	b    *quickOpen
}

func (t *quickOpenTransport) Open() engine.Transport {
	t.Transport.Open()
	for deadline := time.Now().Add(2 * time.Second); t.sock.ReadyState() != engine.SocketStateOpen && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	t.b.opened.Store(t.sock.ReadyState() == engine.SocketStateOpen)
	return t
}

// Pitfall 17 canary: the bare library's manager subscribes to the engine's
// open only after the dial returns; an open handled before that is lost
// and the attempt times out although the engine is open.
func TestCanaryEarlyOpenIsLost(t *testing.T) {
	rs := startRawServer(t, nil)
	opts := csock.DefaultManagerOptions()
	quick := &quickOpen{}
	opts.SetTransports(types.NewSet[engine.TransportCtor](quick))
	opts.SetReconnection(false)
	opts.SetAutoConnect(false)
	opts.SetTimeout(500 * time.Millisecond)
	m := csock.NewManager(rs.URL, opts)
	result := make(chan error, 2)
	m.Open(func(err error) { result <- err })
	defer func() {
		e := m.Engine()
		e.RemoveAllListeners("close") // the manager's handler panics on the nil error (pitfall 16)
		e.Close()
	}()
	err := <-result
	if err == nil || !quick.opened.Load() {
		t.Fatalf("open reported as %v, engine opened: %v: the library may have fixed pitfall 17; re-check opengate.go and connecttimer.go",
			err, quick.opened.Load())
	}
}

// libraryDial connects a bare socket of the library to url. Bare, it may
// lose its open (pitfall 17): an attempt that does not connect is retried.
func libraryDial(t testing.TB, url string) *csock.Socket {
	for attempt := 0; attempt < 5; attempt++ {
		opts := csock.DefaultOptions()
		opts.SetTransports(types.NewSet(csock.WebSocket))
		opts.SetForceNew(true)
		opts.SetReconnection(false)
		s, err := csock.Connect(url, opts)
		must(t, err)
		connected := make(chan struct{}, 1)
		s.On("connect", func(...any) { connected <- struct{}{} })
		select {
		case <-connected:
			return s
		case <-time.After(2 * time.Second):
			s.Io().Engine().RemoveAllListeners("close") // pitfall 16
			s.Io().Engine().Close()
		}
	}
	t.Fatal("the library did not connect")
	return nil
}

// The children of the canaries below: each makes the bare library meet one
// defect and must crash.
func TestCanaryChild(t *testing.T) {
	switch {
	case childIs("engine-nil-close"):
		// Pitfall 16: the engine's forced close reports a nil error, which
		// the manager's handler asserts while subscribed.
		s := libraryDial(t, startRawServer(t, nil).URL)
		s.Io().Engine().Emit("close", "forced close", nil)
	case childIs("event-without-data"):
		// Pitfall 23: an EVENT without a data array, from the server.
		libraryDial(t, startRawServer(t, func(c *rawConn) { c.Send("421") }).URL)
	case childIs(""):
		t.Skip("runs as a child of the canaries")
	}
	time.Sleep(time.Second) // a crash on a library goroutine comes meanwhile
}

func TestCanaryLibraryPanics(t *testing.T) {
	for _, child := range []string{"engine-nil-close", "event-without-data"} {
		out, failed := runChild(t, "TestCanaryChild", child)
		if !failed || !strings.Contains(out, "panic:") {
			t.Errorf("%s: the bare library did not panic: it may be fixed; re-check closepanic.go and inbound.go\n%s", child, out)
		}
	}
}

// Pitfall 23: what a hostile or broken server sends ends the connection,
// never the process; well-formed events get through.
func TestHostileServerCannotCrashTheClient(t *testing.T) {
	frames := []string{
		"42", "421", "42[]", "42[1]", "42{}", `42"x"`, "43", "431", `431"x"`, "431{}", "44", "44[]",
		`451-["n",{"_placeholder":true,"num":0}]`, "461-[]", "4/other,2[\"n\"]", "49", "4",
		openPacket, "1", "9", "",
	}
	for _, f := range frames {
		rs := startRawServer(t, func(c *rawConn) { later(); c.Send(f) }) //nolint:errcheck
		c := dial(t, rs.URL, sio.DialOptions{})
		select {
		case <-c.Done():
			t.Logf("%q: %v", f, c.Err())
		case <-time.After(2 * time.Second):
			t.Errorf("%q: the connection lives on", f)
		}
		c.Close()
	}
	rs := startRawServer(t, func(c *rawConn) { later(); c.SendBinary("\x04abc") }) //nolint:errcheck
	waitEnd(t, dial(t, rs.URL, sio.DialOptions{}), "a binary frame")
	// A well-formed event and an unknown ack are no reason to end it.
	rs = startRawServer(t, func(c *rawConn) { c.Send(`42["n",1]`); c.Send(`4399[{}]`) }) //nolint:errcheck
	c := dial(t, rs.URL, sio.DialOptions{})
	select {
	case e := <-c.Events():
		if e.Name != "n" || len(e.Args) != 1 || e.Args[0] != 1.0 {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("event not delivered: %v", c.Err())
	}
	time.Sleep(200 * time.Millisecond)
	if err := c.Err(); err != nil {
		t.Fatalf("a valid event ended the connection: %v", err)
	}
}

func waitEnd(t *testing.T, c *sio.Conn, what string) {
	t.Helper()
	select {
	case <-c.Done():
	// A connection that is not ended lives on for good, so the wait only
	// has to outlast the work before the end: reading 8 MiB of fragments
	// under the race detector took over 2 s on a loaded CI machine
	// (TestServerMessagesAreBounded).
	case <-time.After(30 * time.Second):
		t.Errorf("%s: the connection lives on", what)
	}
	c.Close()
}

// Pitfall 15: the server's events arrive in the order it sent them.
func TestEventsArriveInOrder(t *testing.T) {
	ts := startServer(t, sio.Options{})
	c := dial(t, ts.URL, sio.DialOptions{})
	const n = 2000
	if _, err := c.Call(context.Background(), "push", n); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		select {
		case e := <-c.Events():
			if e.Name != "n" || e.Args[0] != float64(i) {
				t.Fatalf("event %d: got %s %v", i, e.Name, e.Args)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d never came: %v", i, c.Err())
		}
	}
}

// Pitfall 15 canary: the bare library hands each event to its own
// goroutine; in bursts of 2000 some arrive out of order.
func TestCanaryEventsReordered(t *testing.T) {
	ts := startServer(t, sio.Options{})
	s := libraryDial(t, ts.URL)
	defer s.Close()
	var mu sync.Mutex
	var got []float64
	s.On("n", func(args ...any) {
		mu.Lock()
		got = append(got, args[0].(float64))
		mu.Unlock()
	})
	inversions := 0
	for round := 0; round < 5 && inversions == 0; round++ {
		mu.Lock()
		got = nil
		mu.Unlock()
		done := make(chan struct{})
		s.Emit("push", 2000, func([]any, error) { close(done) })
		<-done
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n == 2000 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		for i := 1; i < len(got); i++ {
			if got[i] < got[i-1] {
				inversions++
			}
		}
		mu.Unlock()
	}
	t.Logf("inversions: %d", inversions)
	if inversions == 0 {
		t.Fatal("no event out of order: the library may now keep order (pitfall 15); re-check inbound.go")
	}
}

// Pitfall 24: a server that closes its side (a FIN, or a Close frame) is
// noticed at once, and the client closes its own side too.
func TestServerCloseIsNoticedAndClosedHere(t *testing.T) {
	for name, script := range map[string]func(c *rawConn){
		"fin":         func(c *rawConn) { later(); c.nc.(*net.TCPConn).CloseWrite() },             //nolint:errcheck
		"close frame": func(c *rawConn) { later(); c.nc.Write(frame(0x8, "\x03\xe9going away")) }, //nolint:errcheck
	} {
		rs := startRawServer(t, script)
		c := dial(t, rs.URL, sio.DialOptions{})
		start := time.Now()
		select {
		case <-c.Done():
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: not noticed", name)
		}
		t.Logf("%s: noticed after %v: %v", name, time.Since(start), c.Err())
		c.Close()
		waitEndings(t, rs, name, true)
	}
}

// later leaves the client time to finish its dial.
func later() { time.Sleep(50 * time.Millisecond) }

func waitEndings(t *testing.T, rs *rawServer, what string, want bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(rs.endings()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	e := rs.endings()
	if len(e) != 1 || e[0] != want {
		t.Fatalf("%s: client closed its side: %v, want %v", what, e, want)
	}
}

// Pitfall 24 canary: the bare library notices the FIN but keeps its side
// of the connection open.
func TestCanaryHalfClosedConnectionKept(t *testing.T) {
	rs := startRawServer(t, func(c *rawConn) { later(); c.nc.(*net.TCPConn).CloseWrite() }) //nolint:errcheck
	s := libraryDial(t, rs.URL)
	defer s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(rs.endings()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if e := rs.endings(); len(e) == 1 && e[0] {
		t.Fatal("the library closed a half-closed connection: pitfall 24 may be fixed; re-check halfclose.go")
	}
}

// The library's connect timer is never relied upon (connecttimer.go): a
// server that accepts and never answers is given up after Dial's timeout.
func TestDialTimesOutByItself(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	_, err = sio.Dial(context.Background(), "http://"+ln.Addr().String(), sio.DialOptions{Timeout: 300 * time.Millisecond})
	if el := time.Since(start); !errors.Is(err, sio.ErrTimeout) || el > 2*time.Second {
		t.Fatalf("got %v after %v, want ErrTimeout after 300ms", err, el)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := sio.Dial(ctx, "http://"+ln.Addr().String(), sio.DialOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a cancelled dial: %v", err)
	}
}

// Pitfall 26 canary: the bare library's dial to a server that accepts and
// never answers does not end by itself.
func TestCanaryDialHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	held := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			held <- c
		}
	}()
	opts := csock.DefaultManagerOptions()
	opts.SetTransports(types.NewSet(csock.WebSocket))
	opts.SetReconnection(false)
	opts.SetAutoConnect(false)
	opts.SetTimeout(time.Hour)
	m := csock.NewManager("http://"+ln.Addr().String(), opts)
	opened := make(chan struct{})
	go func() {
		defer close(opened)
		m.Open(nil) // dials before it returns (pitfall 17)
	}()
	select {
	case <-opened:
		t.Fatal("the library's dial ended by itself: pitfall 26 may be fixed; re-check dialhooks.go")
	case <-time.After(2 * time.Second):
	}
	(<-held).Close() // ends the dial
	<-opened
	if e := m.Engine(); e != nil {
		e.Close()
	}
}

// A refused handshake is a *RefusedError with the server's reason.
func TestRefusedDial(t *testing.T) {
	ts := startServer(t, sio.Options{})
	_, err := sio.Dial(context.Background(), ts.URL, sio.DialOptions{Auth: map[string]any{"token": "bad"}})
	var r *sio.RefusedError
	if !errors.As(err, &r) || r.Message != "unauthorized" || r.Reason != "bad_token" {
		t.Fatalf("got %v", err)
	}
	c := dial(t, ts.URL, sio.DialOptions{Auth: map[string]any{"token": "good"}})
	args, err := c.Call(context.Background(), "echo", "x")
	if err != nil || args[0].(map[string]any)["args"].([]any)[0] != "x" {
		t.Fatalf("echo: %v %v", args, err)
	}
}

// Pitfall 12: the library's init takes SIGINT; a program importing it must
// still end on Ctrl+C. The child is this test binary, waiting.
func TestCtrlCEndsProgram(t *testing.T) {
	if childIs("wait-for-signal") {
		time.Sleep(time.Minute)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCtrlCEndsProgram$")
	cmd.Env = append(os.Environ(), "SIO_CHILD=wait-for-signal")
	must(t, cmd.Start())
	time.Sleep(500 * time.Millisecond) // let it reach the wait
	cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
			t.Fatalf("child ended with %v, want killed by SIGINT", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatal("Ctrl+C did not end a program using the library")
	}
}
