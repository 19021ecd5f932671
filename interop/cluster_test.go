package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"confab/internal/clustertest"
	"confab/internal/need"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// The official client against three nodes behind HAProxy (cluster.test.mjs):
// long-polling sessions and their upgrades reach their node, and every
// message reaches every member once, in order. The seeds' tests too.
func TestClusterJSClients(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "socket.io-client"))
	}
	if err != nil {
		need.Tool(t, "node or interop/node_modules is missing (make test installs them): "+err.Error())
	}
	c := clustertest.Start(t, clustertest.Options{Args: []string{"--signup-burst", "1000", "--log-level", "warn"}})
	// And the seeds' own client code, unchanged, through the balancer.
	runFiles(t, node, c.URL(), []string{"cluster.test.mjs", "seeds.test.mjs"}, "CONFAB_NODES="+strconv.Itoa(c.Nodes()))
	// The seed-003 client sent its token in the query string: HAProxy's
	// log line has the path only.
	log, _ := os.ReadFile(filepath.Join(c.Dir(), "haproxy.log"))
	if !strings.Contains(string(log), "/socket.io/") || strings.Contains(string(log), "token") || strings.Contains(string(log), "sid=") {
		t.Fatalf("HAProxy's log shows no socket request, or a query string (tokens travel there):\n%s", log)
	}
}
