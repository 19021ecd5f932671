package sio_test

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/sio"
)

// testHandler admits every socket but those presenting the token "bad",
// puts them in room "all", and knows a few events:
// echo (acks its arguments), say (to everyone else in "all"), push (emits
// n events "n" with 0..n-1 to the caller).
type testHandler struct {
	mu           sync.Mutex
	connected    int
	disconnected []string
}

func (h *testHandler) Connect(s *sio.Socket) error {
	if s.Handshake().Auth["token"] == "bad" {
		return &sio.RefusedError{Message: "unauthorized", Reason: "bad_token"}
	}
	s.Join("all")
	return nil
}

func (h *testHandler) Connected(*sio.Socket) {
	h.mu.Lock()
	h.connected++
	h.mu.Unlock()
}

func (h *testHandler) Event(s *sio.Socket, name string, args []any) any {
	switch name {
	case "echo":
		return map[string]any{"ok": true, "args": args}
	case "say":
		s.Emit("noop", nil) // a write to the sender racing the broadcast, as acks do
		if len(args) > 0 {
			s.ToRoom("all", "said", args[0])
		}
		return map[string]any{"ok": true}
	case "push":
		n, _ := args[0].(float64)
		for i := 0; i < int(n); i++ {
			s.Emit("n", i)
		}
		return map[string]any{"ok": true}
	}
	return map[string]any{"ok": false}
}

func (h *testHandler) Disconnected(_ *sio.Socket, reason string) {
	h.mu.Lock()
	h.disconnected = append(h.disconnected, reason)
	h.mu.Unlock()
}

// testServer is a sio.Server on loopback behind a plain http.Server.
type testServer struct {
	t    testing.TB
	URL  string
	addr string
	opts sio.Options
	h    *testHandler
	srv  *sio.Server
	hs   *http.Server
	done chan struct{}
}

func startServer(t testing.TB, opts sio.Options) *testServer {
	t.Helper()
	ts := &testServer{t: t, addr: "127.0.0.1:0", opts: opts, h: &testHandler{}}
	if ts.opts.Logger == nil {
		ts.opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) start() {
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ { // a restart waits for the old port to free
		if ln, err = net.Listen("tcp", ts.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.addr = ln.Addr().String()
	ts.URL = "http://" + ts.addr
	ts.srv = sio.NewServer(ts.opts, ts.h)
	mux := http.NewServeMux()
	mux.Handle(sio.DefaultPath, ts.srv)
	ts.hs = &http.Server{Handler: mux}
	ts.done = make(chan struct{})
	go func() {
		defer close(ts.done)
		ts.hs.Serve(ln) //nolint:errcheck
	}()
}

func (ts *testServer) stop() {
	if ts.hs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts.srv.Shutdown(ctx) //nolint:errcheck
	ts.hs.Close()
	<-ts.done
	ts.hs = nil
}

func (ts *testServer) restart() {
	ts.stop()
	ts.start()
}

func dial(t testing.TB, url string, o sio.DialOptions) *sio.Conn {
	t.Helper()
	c, err := sio.Dial(context.Background(), url, o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// loadCPU keeps n goroutines spinning until the test ends or stop is
// called, so that the races under test meet a scheduler that is late, as
// on a busy machine.
func loadCPU(t testing.TB, n int) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := 0; ; x++ {
				if x%1_000_000 == 0 {
					select {
					case <-quit:
						return
					default:
					}
				}
			}
		}()
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(quit); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// settleGoroutines waits until at most want goroutines remain.
func settleGoroutines(t testing.TB, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines after %s, want at most %d:\n%s", runtime.NumGoroutine(), what, want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawServer is an Engine.IO server written by hand on TCP, for what a real
// server would not do. It sends the 101 response and the open packet in one
// write (the widest the client's open race can be), answers a CONNECT with
// a sid, then hands the connection to script (nil: read until the end).
type rawServer struct {
	URL      string
	script   func(c *rawConn)
	open     string // the open packet
	extra101 string // header lines added to the 101 response
	mu       sync.Mutex
	ended    []bool // per connection: did the client close its side (EOF)?
	conns    int
	offered  string // the last handshake's Sec-WebSocket-Extensions
}

func startRawServer(t testing.TB, script func(c *rawConn)) *rawServer {
	return startRawServerWith(t, openPacket, "", script)
}

func startRawServerWith(t testing.TB, open, extra101 string, script func(c *rawConn)) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	rs := &rawServer{URL: "http://" + ln.Addr().String(), script: script, open: open, extra101: extra101}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go rs.serve(c)
		}
	}()
	return rs
}

const openPacket = `0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":100000}`

func (rs *rawServer) serve(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	rs.mu.Lock()
	rs.conns++
	rs.offered = req.Header.Get("Sec-WebSocket-Extensions")
	rs.mu.Unlock()
	h := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(h[:]) + "\r\n" + rs.extra101 + "\r\n"
	if _, err := nc.Write(append([]byte(resp), frame(0x1, rs.open)...)); err != nil {
		return
	}
	c := &rawConn{nc: nc, br: br}
	for {
		f, err := c.Read()
		if err != nil {
			return
		}
		if strings.HasPrefix(f, "40") {
			break
		}
	}
	if c.Send(`40{"sid":"x"}`) != nil {
		return
	}
	if rs.script != nil {
		rs.script(c)
	}
	eof := c.readUntilEnd(3 * time.Second)
	rs.mu.Lock()
	rs.ended = append(rs.ended, eof)
	rs.mu.Unlock()
}

// endings reports, per finished connection, whether the client closed it.
func (rs *rawServer) endings() []bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]bool(nil), rs.ended...)
}

type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

// frame is an unmasked, final server frame.
func frame(opcode byte, payload string) []byte { return rawFrame(0x80|opcode, payload) }

// rawFrame is a server frame whose first byte (FIN, RSV, opcode) is b0.
func rawFrame(b0 byte, payload string) []byte {
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n < 1<<16:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
	return append(b, payload...)
}

// stats are the server's connection count and the last offered extensions.
func (rs *rawServer) stats() (int, string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.conns, rs.offered
}

func (c *rawConn) Send(text string) error { _, err := c.nc.Write(frame(0x1, text)); return err }

func (c *rawConn) SendBinary(data string) error { _, err := c.nc.Write(frame(0x2, data)); return err }

// Read returns the next client text frame (masked, unfragmented).
func (c *rawConn) Read() (string, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return "", err
	}
	n := int(hdr[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return "", err
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	case 127:
		return "", errors.New("frame too large for this test server")
	}
	var mask [4]byte
	if _, err := io.ReadFull(c.br, mask[:]); err != nil {
		return "", err
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.br, p); err != nil {
		return "", err
	}
	for i := range p {
		p[i] ^= mask[i%4]
	}
	if hdr[0]&0x0f == 0x8 {
		return "", io.EOF // a close frame
	}
	return string(p), nil
}

// readUntilEnd reads until the client closes the connection (true) or the
// timeout passes (false).
func (c *rawConn) readUntilEnd(timeout time.Duration) bool {
	c.nc.SetReadDeadline(time.Now().Add(timeout)) //nolint:errcheck
	_, err := io.Copy(io.Discard, c.br)
	var ne net.Error
	return err == nil || !(errors.As(err, &ne) && ne.Timeout())
}

// runChild runs this test binary again with only the named test, which
// sees SIO_CHILD set, and returns its output and whether it failed.
func runChild(t *testing.T, test, child string) (string, bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), "SIO_CHILD="+child)
	out, err := cmd.CombinedOutput()
	return string(out), err != nil
}

func childIs(name string) bool { return os.Getenv("SIO_CHILD") == name }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = fmt.Sprint
