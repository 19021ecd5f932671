package daemon

import (
	"os"
	"strings"
	"testing"
)

func TestNodeID(t *testing.T) {
	host, _ := os.Hostname()
	for _, c := range []struct{ flag, db, addr, want string }{
		{"", "", ":7878", ""}, // no cluster, no name
		{"n1", "postgres://x/y", ":7878", "n1"},
		{"", "postgres://x/y", "0.0.0.0:7879", host + ":7879"},
	} {
		if got := nodeID(c.flag, c.db, c.addr); got != c.want {
			t.Errorf("nodeID(%q, %q, %q) = %q, want %q", c.flag, c.db, c.addr, got, c.want)
		}
	}
	if got := nodeID("", "postgres://x/y", "127.0.0.1:0"); !strings.HasPrefix(got, host+"-") {
		t.Errorf("on a port chosen at start: %q", got)
	}
}
