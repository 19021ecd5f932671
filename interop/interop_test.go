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
	env := testserver.Start(t, server.Config{RegistrationsPerAddr: 100})
	files, _ := filepath.Glob("*.test.mjs")
	// --test-force-exit: on close, the Node client leaves its long-poll request
	// open until the next ping (~25 s); browsers do not. The server answers
	// it at once, see TestPollingCloseAnswered in server/.
	cmd := exec.Command(node, append([]string{"--test", "--test-force-exit", "--test-reporter=spec"}, files...)...)
	cmd.Env = append(os.Environ(), "CONFAB_URL="+env.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test:\n%s", out)
	if err != nil {
		t.Fatalf("interop suite failed: %v", err)
	}
}
