package term_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"confab/client/term"
	"confab/internal/testserver"
)

// aliceInTerminal runs `confab chat` as a new user alice against env, until
// the test ends: what the test writes to in is typed, out is the screen.
func aliceInTerminal(t *testing.T, env *testserver.Env) (in io.Writer, out *lines) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	out = &lines{}
	go out.read(outR)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- term.Run(ctx, []string{"--url", env.URL, "--user", "alice", "--register", "--plain-http",
			"--pins", filepath.Join(t.TempDir(), "pins.json")}, inR, outW, io.Discard)
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		<-done
	})
	fmt.Fprintln(inW, "password-alice")
	testserver.WaitFor(t, 30*time.Second, "connected", func() bool { return out.has("-- connected") })
	return inW, out
}
