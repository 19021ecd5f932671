package clustertest_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"confab/internal/clientaddr"
	"confab/internal/clustertest"
	"confab/internal/testserver"
)

// clientFrom is an HTTP client whose connections come from ip (any
// 127.x address is loopback on Linux): one "machine" among several.
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func register(t *testing.T, c *http.Client, url, user, forged string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/register", strings.NewReader(testserver.JSON(user, "password-"+user)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if forged != "" {
		req.Header.Set(clientaddr.Header, forged)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Through the real HAProxy (option forwardfor) to nodes started with
// --trusted-proxy: two clients have per-address limits of their own, and
// neither a header a client forges nor a node reached past HAProxy lets a
// client out of its own.
func TestClientsBehindHAProxyHaveTheirOwnLimits(t *testing.T) {
	t.Parallel()
	const burst = 2
	c := clustertest.Start(t, clustertest.Options{Nodes: 2, Args: []string{"--signup-burst", "2"}})
	hostile, other := clientFrom(t, "127.0.0.3"), clientFrom(t, "127.0.0.4")
	for i := range burst {
		if code := register(t, hostile, c.URL(), "hostile"+string(rune('a'+i)), ""); code != http.StatusCreated {
			t.Fatalf("registration %d: %d", i+1, code)
		}
	}
	if code := register(t, hostile, c.URL(), "hostilez", ""); code != http.StatusTooManyRequests {
		t.Fatalf("registration over the burst: %d, want 429", code)
	}
	if code := register(t, hostile, c.URL(), "hostiley", "198.51.100.7"); code != http.StatusTooManyRequests {
		t.Fatalf("registration with a forged X-Forwarded-For through HAProxy: %d, want 429", code)
	}
	if code := register(t, hostile, c.NodeURL(0), "hostilex", "198.51.100.8"); code != http.StatusTooManyRequests {
		t.Fatalf("registration with a forged X-Forwarded-For straight to a node: %d, want 429", code)
	}
	if code := register(t, other, c.URL(), "bystander", ""); code != http.StatusCreated {
		t.Fatalf("another client behind HAProxy: %d, want 201 (limits lumped together)", code)
	}
}
