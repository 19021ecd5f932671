package discovery

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"confab/internal/netns"
	"confab/wire"
)

const fp = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

func iface(t *testing.T, name string) []net.Interface {
	t.Helper()
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return []net.Interface{*ifc}
}

// waitList reads lists from w until ok accepts one.
func waitList(t *testing.T, w <-chan []Host, limit time.Duration, what string, ok func([]Host) bool) []Host {
	t.Helper()
	deadline := time.After(limit)
	var last []Host
	for {
		select {
		case l, open := <-w:
			if !open {
				t.Fatalf("%s: watch ended; last list %+v", what, last)
			}
			last = l
			if ok(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("%s: not within %v; last list %+v", what, limit, last)
		}
	}
}

func find(l []Host, name string) (Host, bool) {
	for _, h := range l {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// A host announcing on one end of the cable is found from the other end,
// with everything a joiner needs, and leaves the list when it stops.
func TestAnnouncedHostIsFoundAndLeaves(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	a, err := Announce(Info{Name: "Alice's chat. Bring snacks", Port: 7878, Fingerprint: fp, Interfaces: iface(t, netns.Link0)})
	if err != nil {
		t.Fatal(err)
	}
	name := "Alice's chat Bring snacks" // the dot would split the DNS label
	if a.Name() != name {
		t.Fatalf("announced as %q", a.Name())
	}
	plain, err := Announce(Info{Name: "Plain", Port: 8080, Interfaces: iface(t, netns.Link0)})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := Watch(ctx, iface(t, netns.Link1))
	start := time.Now()
	l := waitList(t, w, 4*RoundTime, "both hosts found", func(l []Host) bool {
		_, ok1 := find(l, name)
		_, ok2 := find(l, "Plain")
		return ok1 && ok2
	})
	t.Logf("found in %v", time.Since(start))
	h, _ := find(l, name)
	want := netip.MustParseAddr(netns.HostAddr)
	if h.Machine != Machine() || h.Version != wire.ProtocolVersion || h.Fingerprint != fp || !h.Secure ||
		h.Port != 7878 || h.Addr() != want || h.URL() != "https://"+netns.HostAddr+":7878" {
		t.Fatalf("found %+v", h)
	}
	p, _ := find(l, "Plain")
	if p.Secure || p.Fingerprint != "" || p.URL() != "http://"+netns.HostAddr+":8080" {
		t.Fatalf("plain host found as %+v", p)
	}

	a.Close()
	start = time.Now()
	waitList(t, w, 4*RoundTime, "closed host gone", func(l []Host) bool {
		_, gone := find(l, name)
		_, still := find(l, "Plain")
		return !gone && still
	})
	t.Logf("gone in %v", time.Since(start))
	cancel()
	for range w { // closes when ctx ends
	}
}

func TestCleanName(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	for in, want := range map[string]string{
		"a.b\\c":     "a b c",
		"  x\n\ty  ": "xy",
		"":           "Confab",
		"...":        "Confab",
		long:         strings.Repeat("é", 31),
		"Alice's 💬":  "Alice's 💬",
	} {
		if got := cleanName(in); got != want || len(got) > MaxNameBytes {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`Alice\032chat`: "Alice chat",
		`a\.b`:          "a.b",
		`x\\y`:          `x\y`,
		`plain`:         "plain",
		`end\`:          `end\`,
	} {
		if got := unescape(in); got != want {
			t.Errorf("unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnnounceRefusesBadPort(t *testing.T) {
	for _, p := range []int{0, -1, 65536} {
		if _, err := Announce(Info{Port: p}); err == nil || !strings.Contains(err.Error(), "port") {
			t.Errorf("port %d: %v", p, err)
		}
	}
}

// Anyone can announce anything: what is shown has no control or format
// characters (escapes, carriage returns, bidi overrides) and is short.
func TestCleanText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"\x1b[31mEvil\r\n chat":      "[31mEvil chat",
		"\u202eflow\u202c txet":      "flow txet",
		"a\u2028b\u2029c\u200bd":     "abcd",
		"  many   spaces  ":          "many spaces",
		strings.Repeat("x", 100):     strings.Repeat("x", MaxNameBytes),
		"ok \xff bytes":              "ok bytes",
		"\u2066isolate\u2069 \u061c": "isolate",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}

// A flood of announcements costs at most MaxHosts entries per round, and
// two keys under one name are two entries.
func TestListIsCapped(t *testing.T) {
	t.Parallel()
	round := map[string]Host{}
	for i := 0; i < 5000; i++ {
		add(round, Host{Name: fmt.Sprint("flood ", i), Port: 1})
	}
	if len(round) != MaxHosts {
		t.Fatalf("%d entries", len(round))
	}
	if l := merge(round, round); len(l) != MaxHosts {
		t.Fatalf("merged %d", len(l))
	}
	two := map[string]Host{}
	add(two, Host{Name: "Team chat", Port: 7878, Fingerprint: fp})
	add(two, Host{Name: "Team chat", Port: 7878, Fingerprint: strings.Repeat("00:", 31) + "00"})
	if len(two) != 2 {
		t.Fatal("two keys under one name were merged")
	}
}
