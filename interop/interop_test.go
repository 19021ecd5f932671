// Package interop runs the seed tutorials' client code with the official
// JavaScript socket.io-client against the real server.
package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"confab/internal/need"
	"confab/internal/testserver"
	"confab/server"
	"confab/server/certs"
)

// suiteLimit bounds one run of the Node suite (it takes seconds).
const suiteLimit = 3 * time.Minute

func TestSeedClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "socket.io-client"))
	}
	// A missing Node fails `make test`, which installs it: the suite cannot
	// pass unseen.
	if err != nil {
		need.Tool(t, "node or interop/node_modules is missing (make test installs them): "+err.Error())
	}
	// Over plain HTTP (a server started with --insecure-http), and over
	// HTTPS with the host's generated certificate as Node's extra CA: the
	// seeds' code runs unchanged against both.
	t.Run("http", func(t *testing.T) {
		runSuite(t, node, testserver.Start(t, server.Config{RegistrationsPerAddr: 100}))
	})
	t.Run("https", func(t *testing.T) {
		env := testserver.StartTLS(t, server.Config{RegistrationsPerAddr: 100})
		runSuite(t, node, env, "NODE_EXTRA_CA_CERTS="+filepath.Join(env.Cfg.DataDir, certs.CertFile))
	})
}

func runSuite(t *testing.T, node string, env *testserver.Env, extraEnv ...string) {
	files, _ := filepath.Glob("*.test.mjs")
	// On close, the Node client leaves its long-poll request open until the
	// next ping (~25 s); browsers do not. The server answers it at once (see
	// TestPollingCloseAnswered in server/), so Node exits when the tests end.
	// Not --test-force-exit: Debian 12's Node 18 does not know it (Node 20.14
	// and 22 do). The deadline keeps a hang from holding go test for 20 min.
	ctx, cancel := context.WithTimeout(context.Background(), suiteLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{"--test", "--test-reporter=spec"}, files...)...)
	cmd.WaitDelay = 5 * time.Second // node's per-file children may hold the output open
	cmd.Env = append(append(os.Environ(), "CONFAB_URL="+env.URL), extraEnv...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test against %s:\n%s", env.URL, out)
	if ctx.Err() != nil {
		t.Fatalf("interop suite did not end within %v", suiteLimit)
	}
	if err != nil {
		t.Fatalf("interop suite failed: %v", err)
	}
}
