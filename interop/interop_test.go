// Package interop runs the seed tutorials' client code with the official
// JavaScript socket.io-client against the real server.
package interop

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"confab/internal/testserver"
	"confab/server"
	"confab/server/certs"
)

// requireEnv makes a missing Node setup a failure instead of a skip; the
// Makefile sets it, so `make test` cannot pass without running this suite.
const requireEnv = "CONFAB_REQUIRE_ALL"

func TestSeedClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join("node_modules", "socket.io-client"))
	}
	if err != nil {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("node or interop/node_modules missing (run `make test`, which runs npm ci): %v", err)
		}
		t.Skipf("node or interop/node_modules missing; `make test` installs them: %v", err)
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
	// --test-force-exit: on close, the Node client leaves its long-poll request
	// open until the next ping (~25 s); browsers do not. The server answers
	// it at once, see TestPollingCloseAnswered in server/.
	cmd := exec.Command(node, append([]string{"--test", "--test-force-exit", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(append(os.Environ(), "CONFAB_URL="+env.URL), extraEnv...)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test against %s:\n%s", env.URL, out)
	if err != nil {
		t.Fatalf("interop suite failed: %v", err)
	}
}
