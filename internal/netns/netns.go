// Package netns runs a test inside a fresh network namespace that holds a
// small LAN of its own, so tests of multicast (mDNS) never send a packet to
// the machine's real network. It needs root and iproute2's ip: as a normal
// user the test is skipped (see package need), and fails under CI.
package netns

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"confab/internal/need"
)

// The LAN inside: a veth pair, as two network cards joined by a cable.
const (
	HostAddr   = "10.213.0.1" // on Link0
	JoinerAddr = "10.213.0.2" // on Link1
	Link0      = "cf0"
	Link1      = "cf1"
	prefixLen  = "/24"
	envChild   = "CONFAB_NETNS_TEST"
	childLimit = "5m"
)

// Enter re-runs the calling top-level test in a new network namespace. In
// that child it sets the LAN up and returns true: the test goes on there.
// In the parent it waits for the child, reports its output and result, and
// returns false: the test must return.
func Enter(t *testing.T) bool {
	t.Helper()
	if os.Getenv(envChild) == t.Name() {
		setup(t)
		return true
	}
	need.Root(t, "to create a network namespace")
	if _, err := exec.LookPath("ip"); err != nil {
		need.Tool(t, "iproute2's ip is missing (make test installs it)")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^"+regexp.QuoteMeta(t.Name())+"$",
		"-test.count=1", "-test.v", "-test.timeout="+childLimit)
	cmd.Env = append(os.Environ(), envChild+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	t.Logf("inside a network namespace:\n%s", out)
	if err != nil {
		t.Fatalf("test in the network namespace failed: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("test did not run in the network namespace")
	}
	return false
}

func setup(t *testing.T) {
	t.Helper()
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", Link0, "type", "veth", "peer", "name", Link1},
		{"addr", "add", HostAddr + prefixLen, "dev", Link0},
		{"addr", "add", JoinerAddr + prefixLen, "dev", Link1},
		{"link", "set", Link0, "up", "multicast", "on"},
		{"link", "set", Link1, "up", "multicast", "on"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
