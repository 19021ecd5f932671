package host_test

import (
	"testing"
	"time"

	"confab/host"
	"confab/internal/testserver"
)

// A trusted proxy carries every client's connections: the per-address
// cap would let it hold only as many as one client, so only the total
// bounds it (its clients are capped per Socket.IO session by their
// forwarded addresses). Anyone else is capped as before.
func TestTrustedProxyIsNotCappedPerAddress(t *testing.T) {
	h, err := host.Start(host.Config{Server: host.ServerConfig{DataDir: t.TempDir(), Secret: testserver.Secret,
		TrustedProxies: []string{"127.0.0.2/32"}}, Addr: "127.0.0.1:0", Limits: host.Limits{MaxConnsPerAddr: 2, MaxConns: 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Stop() }) //nolint:errcheck
	for range 4 {
		dialFrom(t, h, "127.0.0.2")
	}
	healthy(t, h, "127.0.0.2") // the 5th from the proxy is served
	dialFrom(t, h, "127.0.0.3")
	dialFrom(t, h, "127.0.0.3")
	if !closedSoon(dialFrom(t, h, "127.0.0.3"), time.Second) {
		t.Fatal("a 3rd connection from an untrusted address was kept")
	}
}
