package term_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"confab/client"
	"confab/client/term"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// confab chat joins by an invitation link with an invite code where
// sign-up is off, and says when an administrator takes it out of a room.
func TestTerminalInviteAndKick(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{NoSignup: true})
	op := client.NewAdmin(&http.Client{Transport: inProcess{env.Srv.OperatorHandler()}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inv, err := op.Invite(ctx, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link := wire.Invitation{Addr: env.Addr, Fingerprint: env.Cert.Fingerprint, Code: inv.Code}.String()
	stdinR, stdin := io.Pipe()
	outR, outW := io.Pipe()
	var out lines
	go out.read(outR)
	done := make(chan error, 1)
	go func() {
		done <- term.Run(ctx, []string{"--url", link, "--user", "dave", "--register", "--pins", filepath.Join(t.TempDir(), "pins.json")},
			stdinR, outW, io.Discard)
	}()
	fmt.Fprintln(stdin, "password-dave")
	testserver.WaitFor(t, 30*time.Second, "connected", func() bool { return out.has("-- connected") })
	fmt.Fprintln(stdin, "/join dev")
	// The join is answered before the kick is asked for: a kick of a
	// socket not yet in the room would find nothing to do.
	testserver.WaitFor(t, 10*time.Second, "joined", func() bool { return out.has("-- now in dev") })
	if err := op.Kick(ctx, "dave", "dev"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "told of the kick", func() bool { return out.has("-- an administrator took you out of #dev") })
	stdin.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("confab chat did not end with its input")
	}
}
