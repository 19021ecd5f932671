package daemon

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/discovery"
	"confab/internal/netns"
	"confab/internal/testserver"
)

// sniff records every mDNS packet seen on ifname until the test ends.
type sniff struct {
	mu   sync.Mutex
	pkts [][]byte
}

func (s *sniff) saw(b string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.pkts {
		if bytes.Contains(p, []byte(b)) {
			return true
		}
	}
	return false
}

func startSniff(t *testing.T, ifname string) *sniff {
	t.Helper()
	ifc, err := net.InterfaceByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenMulticastUDP("udp4", ifc, &net.UDPAddr{IP: net.IPv4(224, 0, 0, 251), Port: 5353})
	if err != nil {
		t.Fatal(err)
	}
	s := &sniff{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 9000)
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			s.pkts = append(s.pkts, bytes.Clone(buf[:n]))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return s
}

// On a LAN of its own (a network namespace), a server announces itself and
// a joiner on the other end of the cable finds it and signs in with nothing
// but what the announcement says; a server told --no-announce, or listening
// on loopback only, sends nothing at all.
func TestAnnounceOnTheLAN(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	sn := startSniff(t, netns.Link1)
	shown := serve(t, "--addr", "0.0.0.0:7878", "--data-dir", t.TempDir(), "--name", "Team chat")
	hidden := serve(t, "--addr", "0.0.0.0:7879", "--data-dir", t.TempDir(), "--name", "Hidden chat", "--no-announce")
	local := serve(t, "--addr", "127.0.0.1:7880", "--data-dir", t.TempDir(), "--name", "Local chat")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s\n%s\n%s", shown, hidden, local)
		}
	})
	testserver.WaitFor(t, 10*time.Second, "servers up", func() bool {
		return strings.Contains(shown.String(), `msg="announcing on the local network" service=_confab._tcp name="Team chat"`) &&
			strings.Contains(hidden.String(), "not announcing on the local network (--no-announce)") &&
			strings.Contains(local.String(), "not announcing on the local network: listening on loopback only")
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ifc, err := net.InterfaceByName(netns.Link1)
	if err != nil {
		t.Fatal(err)
	}
	w := discovery.Watch(ctx, []net.Interface{*ifc})
	var found discovery.Host
	rounds := 0
	deadline := time.After(4 * discovery.RoundTime)
	for rounds < 3 { // three lists after the find: time for any other host to show up
		select {
		case l := <-w:
			for _, h := range l {
				switch h.Name {
				case "Team chat":
					found = h
				default:
					t.Fatalf("found %+v", h)
				}
			}
		case <-time.After(discovery.RoundTime):
		case <-deadline:
			t.Fatal("Team chat not found")
		}
		if found.Name != "" {
			rounds++
		}
	}
	if u := found.URL(); u != "https://"+netns.HostAddr+":7878" && u != "https://"+netns.JoinerAddr+":7878" || found.Fingerprint == "" || !strings.Contains(shown.String(), found.Fingerprint) {
		t.Fatalf("found %+v; logs:\n%s", found, shown)
	}
	// Joining by what was found pins the announced certificate with no question.
	sess, err := client.Register(ctx, found.URL(), "alice", "password-a",
		client.WithPins(client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))), client.WithFingerprint(found.Fingerprint))
	if err != nil {
		t.Fatalf("join the found host: %v", err)
	}
	if tok, _ := sess.Token(); tok == "" {
		t.Fatal("no token")
	}
	if !sn.saw("Team chat") {
		t.Fatal("the sniffer heard nothing: it would not have heard the others either")
	}
	if sn.saw("Hidden chat") || sn.saw("Local chat") {
		t.Fatal("a server that must not announce did")
	}
}
