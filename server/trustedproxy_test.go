package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"confab/internal/clientaddr"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// sendAs posts to path with X-Forwarded-For set to xff (none when empty),
// as a client behind a proxy, or one forging the header, would.
func sendAs(t *testing.T, env *testserver.Env, path, xff, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+path, strings.NewReader(body))
	must(t, err)
	req.Header.Set("Content-Type", ctJSON)
	if xff != "" {
		req.Header.Set(clientaddr.Header, xff)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	res.Body.Close()
	return res.StatusCode
}

// failLogins makes n failed logins of different users (so that only the
// address limit counts them) from the client named by xff.
func failLogins(t *testing.T, env *testserver.Env, xff string, n int) {
	t.Helper()
	for i := range n {
		user := "nobody" + string(rune('a'+i))
		if code := sendAs(t, env, "/login", xff, testserver.JSON(user, "wrong-pass")); code != http.StatusUnauthorized {
			t.Fatalf("failure %d from %q: status %d", i+1, xff, code)
		}
	}
}

// Behind a load balancer every request comes from its address: before
// --trusted-proxy one client's failed logins locked every client out.
// With the balancer trusted, two clients behind it have limits of their own.
func TestTrustedProxySeparatesClients(t *testing.T) {
	t.Parallel()
	const perAddr = 4
	env := testserver.Start(t, server.Config{LoginFailuresPerUser: 100, LoginFailuresPerAddr: perAddr, LoginWindow: time.Hour,
		TrustedProxies: []string{"127.0.0.1/32", "::1/128"}})
	env.Register("alice", "password-a")
	ok := testserver.JSON("alice", "password-a")
	failLogins(t, env, "198.51.100.1", perAddr)
	if code := sendAs(t, env, "/login", "198.51.100.1", ok); code != http.StatusTooManyRequests {
		t.Fatalf("the hostile client after %d failures: %d, want 429", perAddr, code)
	}
	if code := sendAs(t, env, "/login", "198.51.100.2", ok); code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d, want 200 (limits lumped together)", code)
	}
	// The client address is the right-most the proxy appended: what the
	// client put left of it does not move it out of its own limit.
	if code := sendAs(t, env, "/login", "203.0.113.9, 198.51.100.1", ok); code != http.StatusTooManyRequests {
		t.Fatalf("the hostile client with a forged entry: %d, want 429", code)
	}
}

// Any client can send X-Forwarded-For: from a peer that is not a trusted
// proxy it changes nothing, so a client cannot dodge its limit by naming
// a new address with each request.
func TestForgedForwardedForIsIgnored(t *testing.T) {
	t.Parallel()
	const perAddr = 4
	for _, trusted := range [][]string{nil, {"10.0.0.0/8"}} {
		env := testserver.Start(t, server.Config{LoginFailuresPerUser: 100, LoginFailuresPerAddr: perAddr, LoginWindow: time.Hour, TrustedProxies: trusted})
		env.Register("alice", "password-a")
		for i := range perAddr {
			failLogins(t, env, "198.51.100."+string(rune('1'+i)), 1)
		}
		if code := sendAs(t, env, "/login", "198.51.100.200", testserver.JSON("alice", "password-a")); code != http.StatusTooManyRequests {
			t.Fatalf("trusted %v: after %d failures under forged addresses, a login with another forged one: %d, want 429", trusted, perAddr, code)
		}
	}
}

// The Socket.IO session cap (package sio) keys on the same address.
func TestTrustedProxySessionCapPerClient(t *testing.T) {
	t.Parallel()
	const max = 2
	env := testserver.Start(t, server.Config{MaxSessionsPerAddr: max, TrustedProxies: []string{"127.0.0.1/32", "::1/128"}})
	handshake := func(xff string) int {
		req, err := http.NewRequest(http.MethodGet, env.URL+"/socket.io/?EIO=4&transport=polling", nil)
		must(t, err)
		req.Header.Set(clientaddr.Header, xff)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	for i := range max {
		if code := handshake("198.51.100.1"); code != http.StatusOK {
			t.Fatalf("handshake %d: %d", i+1, code)
		}
	}
	if code := handshake("198.51.100.1"); code != http.StatusTooManyRequests {
		t.Fatalf("handshake over the cap: %d, want 429 %s", code, wire.ErrRateLimited)
	}
	if code := handshake("198.51.100.2"); code != http.StatusOK {
		t.Fatalf("another client behind the proxy: %d, want 200", code)
	}
}

func TestTrustedProxyRefusesGarbage(t *testing.T) {
	t.Parallel()
	if _, err := server.New(server.Config{DataDir: t.TempDir(), TrustedProxies: []string{"10.0.0.0/99"}}); err == nil {
		t.Fatal("a bad range was taken")
	}
}
