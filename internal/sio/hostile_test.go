package sio_test

// What a hostile or broken server found (docs/pitfalls.md 26-30), each
// with its canary where the bare library can show it.

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"confab/internal/sio"
)

// openWith is an open packet with the given ping settings and upgrades.
func openWith(interval, timeout, upgrades string) string {
	return `0{"sid":"s","upgrades":[` + upgrades + `],"pingInterval":` + interval + `,"pingTimeout":` + timeout + `,"maxPayload":100000}`
}

// Pitfall 27: an emit between a missed ping's deadline and the timer that
// closes the connection panicked inside the library. Here the server never
// pings and allows 30 ms: the emits race the timer.
func TestEmitAtPingTimeoutDoesNotPanic(t *testing.T) {
	rs := startRawServerWith(t, openWith("30", "1", ""), "", nil)
	for i := 0; i < 30; i++ {
		c, err := sio.Dial(context.Background(), rs.URL, sio.DialOptions{})
		if err != nil {
			continue // the ping timeout came first
		}
		for c.Emit("x", 1) == nil {
			time.Sleep(20 * time.Microsecond)
		}
		c.Close()
	}
	// Settings that make it certain are refused outright.
	for _, open := range []string{openWith("-9223372036855", "0", ""), openWith("0", "5000", ""), openWith("25000", "1e300", ""), `0{"sid":"s"}`} {
		if c, err := sio.Dial(context.Background(), startRawServerWith(t, open, "", nil).URL, sio.DialOptions{}); err == nil {
			c.Close()
			t.Errorf("%s: accepted", open)
		}
	}
}

func TestCanaryPingExpiryPanicsChild(t *testing.T) {
	if !childIs("ping-overflow") {
		t.Skip("runs as a child of TestCanaryPingExpiryPanics")
	}
	s := libraryDial(t, startRawServerWith(t, openWith("-9223372036855", "0", ""), "", nil).URL)
	s.Emit("x", 1) //nolint:errcheck
}

// Pitfall 27 canary: the bare library panics on the first emit.
func TestCanaryPingExpiryPanics(t *testing.T) {
	out, failed := runChild(t, "TestCanaryPingExpiryPanicsChild", "ping-overflow")
	if !failed || !strings.Contains(out, "inconsistently typed value") {
		t.Fatalf("the bare library did not panic: pitfall 27 may be fixed; re-check pingexpiry.go\n%s", out)
	}
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// Pitfall 28: a message declared larger than MaxMessageBytes ends the
// connection before its payload is read; a compressed frame too.
func TestServerMessagesAreBounded(t *testing.T) {
	h0 := heapMB()
	huge := startRawServer(t, func(c *rawConn) {
		later()
		hdr := binary.BigEndian.AppendUint64([]byte{0x81, 127}, 4<<30)
		c.nc.Write(hdr) //nolint:errcheck
		chunk := bytes.Repeat([]byte("a"), 1<<20)
		for i := 0; i < 64; i++ {
			if _, err := c.nc.Write(chunk); err != nil {
				return
			}
		}
	})
	waitEnd(t, dial(t, huge.URL, sio.DialOptions{}), "a 4 GiB frame")
	if grown := heapMB() - h0; grown > 32 {
		t.Errorf("the heap grew by %.0f MB", grown)
	}
	// Fragments add up: two of MaxMessageBytes/2 + 1.
	half := strings.Repeat("a", sio.MaxMessageBytes/2+1)
	fragments := startRawServer(t, func(c *rawConn) {
		later()
		c.nc.Write(rawFrame(0x01, `42["n","`+half)) //nolint:errcheck
		c.nc.Write(rawFrame(0x80, half+`"]`))       //nolint:errcheck
	})
	waitEnd(t, dial(t, fragments.URL, sio.DialOptions{}), "fragments over the limit")
	// A deflated frame (RSV1) although the client offered no compression.
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write([]byte(`42["n","` + strings.Repeat("a", 64<<20) + `"]`)) //nolint:errcheck
	fw.Flush()
	bomb := startRawServer(t, func(c *rawConn) {
		later()
		c.nc.Write(rawFrame(0xC1, z.String()[:z.Len()-4])) //nolint:errcheck
	})
	waitEnd(t, dial(t, bomb.URL, sio.DialOptions{}), "a deflate bomb")
	if _, offered := bomb.stats(); offered != "" {
		t.Errorf("the client offered %q", offered)
	}
	imposed := startRawServerWith(t, openPacket, "Sec-WebSocket-Extensions: permessage-deflate\r\n", nil)
	if c, err := sio.Dial(context.Background(), imposed.URL, sio.DialOptions{}); err == nil {
		c.Close()
		t.Error("a server imposed compression")
	}
	// Just under the limit is fine.
	big := strings.Repeat("b", sio.MaxMessageBytes-100)
	fine := startRawServer(t, func(c *rawConn) { later(); c.Send(`42["n","` + big + `"]`) }) //nolint:errcheck
	c := dial(t, fine.URL, sio.DialOptions{})
	select {
	case e := <-c.Events():
		if len(e.Args) != 1 || len(e.Args[0].(string)) != len(big) {
			t.Fatal("the big message was altered")
		}
	case <-c.Done():
		t.Fatalf("a message under the limit ended the connection: %v", c.Err())
	case <-time.After(60 * time.Second): // a MiB through the race detector, on a loaded machine
		t.Fatal("a message under the limit did not arrive")
	}
}

// Pitfall 28 canary: the bare library offers compression.
func TestCanaryLibraryOffersCompression(t *testing.T) {
	rs := startRawServer(t, nil)
	libraryDial(t, rs.URL).Close()
	if _, offered := rs.stats(); !strings.Contains(offered, "permessage-deflate") {
		t.Fatalf("the library offered %q: re-check readlimit.go", offered)
	}
}

// Pitfall 29: a server announcing upgrades gets no second connection.
func TestNoUpgradeProbe(t *testing.T) {
	rs := startRawServerWith(t, openWith("25000", "20000", `"websocket"`), "", nil)
	c := dial(t, rs.URL, sio.DialOptions{})
	time.Sleep(300 * time.Millisecond)
	if n, _ := rs.stats(); n != 1 || c.Err() != nil {
		t.Fatalf("%d connections, err %v", n, c.Err())
	}
}

// Pitfall 29 canary: the bare library probes.
func TestCanaryLibraryProbesUpgrades(t *testing.T) {
	rs := startRawServerWith(t, openWith("25000", "20000", `"websocket"`), "", nil)
	s := libraryDial(t, rs.URL)
	defer s.Close()
	time.Sleep(300 * time.Millisecond)
	if n, _ := rs.stats(); n < 2 {
		t.Fatalf("no probe (%d connection): pitfall 29 may be fixed; re-check dial.go's SetUpgrade", n)
	}
}

// Pitfall 30: a server that stops reading and floods pings is dropped
// once the client's writes pile up.
func TestServerThatDoesNotReadIsDropped(t *testing.T) {
	rs := startRawServer(t, func(c *rawConn) {
		later() // then never read again
		ping := bytes.Repeat(frame(0x1, "2"), 1000)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			if _, err := c.nc.Write(ping); err != nil {
				return
			}
		}
	})
	c := dial(t, rs.URL, sio.DialOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	c.Call(ctx, "big", strings.Repeat("x", 16<<20)) //nolint:errcheck // fills the pipes
	cancel()
	select {
	case <-c.Done():
		t.Logf("dropped: %v", c.Err())
	case <-time.After(20 * time.Second):
		t.Fatalf("still connected; heap %.0f MB", heapMB())
	}
}

// silentListener accepts no connection and lets no more wait: connects to
// it hang (their SYNs are dropped), as to a host that is gone.
func silentListener(t *testing.T) string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	must(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	must(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	must(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	must(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for i := 0; i < 4; i++ { // fill the accept queue
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return addr
}

// Pitfall 26: a connect that hangs is given up with the dial's context.
func TestCancelAbortsAHangingConnect(t *testing.T) {
	addr := silentListener(t)
	d := net.Dialer{Timeout: 300 * time.Millisecond}
	if c, err := d.Dial("tcp", addr); err == nil { // the hang is real, or the test proves nothing
		c.Close()
		t.Skip("this kernel accepts connects beyond the backlog")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sio.Dial(ctx, "http://"+addr, sio.DialOptions{Timeout: 10 * time.Second})
	if el := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || el > time.Second {
		t.Fatalf("got %v after %v, want the context's end after 300ms", err, el)
	}
}
