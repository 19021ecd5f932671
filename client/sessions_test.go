package client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// endReason is the error of the chat's SignedOut event.
func endReason(t *testing.T, r *recorder) *client.Error {
	t.Helper()
	r.wait(t, "signed out", func([]client.Event) bool { return r.count(isState(client.SignedOut)) == 1 })
	evs, _ := r.snapshot()
	for _, e := range evs {
		if st, ok := e.(client.StateEvent); ok && st.State == client.SignedOut {
			var ce *client.Error
			if !errors.As(st.Err, &ce) || !errors.Is(st.Err, client.ErrSignedOut) {
				t.Fatalf("end reason %v", st.Err)
			}
			return ce
		}
	}
	panic("unreachable")
}

// Changing the password ends the user's other sessions; the session that
// changed it goes on with a new sign-in, its chat reconnected by itself.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	ctx := context.Background()
	a, ra := connect(t, env, "alice") // password "password-alice"
	other, err := client.Login(ctx, env.URL, "alice", "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	a2 := client.Connect(other, fast)
	t.Cleanup(a2.Close)
	r2 := record(t, a2)
	online(r2, t, 1)
	_, rb := connect(t, env, "bob")

	if err := a.Session().ChangePassword(ctx, "password-alice", "short"); !errors.Is(err, client.ErrWeakPassword) {
		t.Fatalf("weak: %v", err)
	}
	err = a.Session().ChangePassword(ctx, "password-wrong", "password-new")
	if !errors.Is(err, client.ErrWrongPassword) || err.Error() != client.ErrWrongPassword.Error() {
		t.Fatalf("wrong current password: %v", err)
	}
	old, _ := a.Session().Token()
	if err := a.Session().ChangePassword(ctx, "password-alice", "password-new"); err != nil {
		t.Fatal(err)
	}
	if tok, _ := a.Session().Token(); tok == old || tok == "" {
		t.Fatal("the session kept its old token")
	}
	// The other session ends, with the reason.
	if ce := endReason(t, r2); ce.Code != wire.ReasonPasswordChanged {
		t.Fatalf("other session ended with %q", ce.Code)
	}
	// This one reconnects with its new token, and works.
	online(ra, t, 2)
	if _, err := a.Send("general", "after the change"); err != nil {
		t.Fatal(err)
	}
	rb.wait(t, "bob receives", func([]client.Event) bool { return len(rb.messages()) == 1 })
	if n := ra.count(isState(client.SignedOut)); n != 0 {
		t.Fatal("the session that changed the password was signed out")
	}
	if err := a.Session().Refresh(ctx); err != nil {
		t.Fatalf("refresh of the new session: %v", err)
	}
	if _, err := client.Login(ctx, env.URL, "alice", "password-alice"); !errors.Is(err, client.ErrWrongCredentials) {
		t.Fatalf("old password: %v", err)
	}
	if _, err := client.Login(ctx, env.URL, "alice", "password-new"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

// A chat whose sign-in reaches the server's maximum age is signed out with
// the reason, and does not reconnect.
func TestSessionExpiredSignsOut(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{MaxSessionAge: 4 * time.Second}) // at least 3 s: auth_time is whole seconds
	a, ra := connect(t, env, "alice")
	if ce := endReason(t, ra); ce.Code != wire.ReasonSessionExpired {
		t.Fatalf("ended with %q", ce.Code)
	}
	testserver.WaitFor(t, 5*time.Second, "events closed", func() bool { _, closed := ra.snapshot(); return closed })
	if n := ra.count(isState(client.Reconnecting)); n != 0 {
		t.Fatalf("%d reconnect attempts after the session's end", n)
	}
	if err := a.Session().Refresh(context.Background()); !errors.Is(err, client.ErrSignedOut) {
		t.Fatalf("refresh: %v", err)
	}
}
