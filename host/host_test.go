package host_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"confab/host"
	"confab/internal/sio"
	"confab/internal/testserver"
)

func start(t *testing.T, l host.Limits) *host.Host {
	t.Helper()
	h, err := host.Start(host.Config{Server: host.ServerConfig{DataDir: t.TempDir(), Secret: testserver.Secret},
		Addr: "127.0.0.1:0", Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Stop() }) //nolint:errcheck
	return h
}

// dialFrom opens a TCP connection to h from ip.
func dialFrom(t *testing.T, h *host.Host, ip string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
	c, err := d.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedSoon reports whether the server closes c within d.
// closedSoon reports whether the server closes c within d; an error
// response before the close (a request body that timed out) is fine.
func closedSoon(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d)) //nolint:errcheck
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func healthy(t *testing.T, h *host.Host, ip string) {
	t.Helper()
	c := dialFrom(t, h, ip)
	io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
	c.SetReadDeadline(time.Now().Add(2 * time.Second))            //nolint:errcheck
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz from %s: %v %v", ip, err, resp)
	}
}

// At the limits: one address holds at most MaxConnsPerAddr connections,
// everyone together MaxConns; the excess is closed at once and the others
// are served.
func TestConnectionCaps(t *testing.T) {
	h := start(t, host.Limits{MaxConnsPerAddr: 3, MaxConns: 6})
	for i := 0; i < 3; i++ {
		dialFrom(t, h, "127.0.0.2")
	}
	if !closedSoon(dialFrom(t, h, "127.0.0.2"), time.Second) {
		t.Fatal("a 4th connection from one address was kept")
	}
	healthy(t, h, "127.0.0.3") // within the total: 5 of 6 with this one
	held := dialFrom(t, h, "127.0.0.4")
	dialFrom(t, h, "127.0.0.5")
	if !closedSoon(dialFrom(t, h, "127.0.0.6"), time.Second) {
		t.Fatal("a connection over the total was kept")
	}
	held.Close()
	time.Sleep(50 * time.Millisecond)
	healthy(t, h, "127.0.0.7") // a place freed is a place again
}

// Requests that trickle, idle keep-alive connections and huge headers are
// cut; a websocket is not a request and outlives those timeouts.
func TestRequestLimits(t *testing.T) {
	// The write timeout stays long: a sign-up below hashes a password,
	// which a loaded machine under -race can take seconds to do.
	h := start(t, host.Limits{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 10 * time.Second,
		IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10})
	slow := dialFrom(t, h, "127.0.0.2")
	io.WriteString(slow, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{") //nolint:errcheck
	go func() {
		for i := 0; i < 20; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := io.WriteString(slow, " "); err != nil {
				return
			}
		}
	}()
	if !closedSoon(slow, 3*time.Second) {
		t.Fatal("a trickling body held its connection")
	}
	idle := dialFrom(t, h, "127.0.0.3")
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") //nolint:errcheck
	br := bufio.NewReader(idle)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	} else {
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
	}
	idle.SetReadDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
	if _, err := br.ReadByte(); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("an idle keep-alive connection was kept: %v", err)
	}
	big := dialFrom(t, h, "127.0.0.4")
	io.WriteString(big, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: "+strings.Repeat("a", 8<<10)+"\r\n\r\n") //nolint:errcheck
	big.SetReadDeadline(time.Now().Add(2 * time.Second))                                                     //nolint:errcheck
	if resp, err := http.ReadResponse(bufio.NewReader(big), nil); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("huge header: %v %v", err, resp)
	}
	// A websocket, signed in, lives past every timeout above.
	tok := register(t, h)
	c, err := sio.Dial(context.Background(), "http://"+h.Addr().String(), sio.DialOptions{Auth: map[string]any{"token": tok}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.Call(ctx, "users", map[string]any{}); err != nil {
		t.Fatalf("the websocket did not outlive the request timeouts: %v", err)
	}
}

func register(t *testing.T, h *host.Host) string {
	resp, err := http.Post("http://"+h.Addr().String()+"/register", "application/json", strings.NewReader(testserver.JSON("alice", "password-a")))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("register: %v %v", err, resp)
	}
	defer resp.Body.Close()
	var b struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Token
}
