package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// The administrative calls through the client, a kick seen as a
// KickedEvent (the room is not rejoined after a reconnect), a non-admin
// refused with ErrNotAdmin, and an invite code given to Register.
func TestAdminCalls(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{NoSignup: true})
	ctx := context.Background()
	op := client.NewAdmin(&http.Client{Transport: inProcess{env.Srv.OperatorHandler()}})
	if _, err := op.AddUser(ctx, "alice", "password-alice", false); err != nil {
		t.Fatal(err)
	}
	alice, err := client.Login(ctx, env.URL, "alice", "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	adm := alice.Admin()
	inv, err := adm.Invite(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Register(ctx, env.URL, "bob", "password-bob"); !errors.Is(err, client.ErrSignupDisabled) {
		t.Errorf("sign-up without an invitation: %v", err)
	}
	bob, err := client.Register(ctx, env.URL, "bob", "password-bob", client.WithInvite(inv.Code))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Register(ctx, env.URL, "carol", "password-carol", client.WithInvite(inv.Code)); !errors.Is(err, client.ErrInvalidInvite) {
		t.Errorf("the code used twice: %v", err)
	}
	if _, err := bob.Admin().Users(ctx); !errors.Is(err, client.ErrNotAdmin) {
		t.Errorf("bob lists users: %v", err)
	}
	c := client.Connect(bob, fast)
	t.Cleanup(c.Close)
	r := record(t, c)
	online(r, t, 1)
	if err := c.Join(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if err := adm.Kick(ctx, "bob", "dev"); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "kicked", func(evs []client.Event) bool {
		for _, e := range evs {
			if k, ok := e.(client.KickedEvent); ok && k.Room == "dev" {
				return true
			}
		}
		return false
	})
	if err := adm.SetAdmin(ctx, "alice", false); !errors.Is(err, client.ErrLastAdmin) {
		t.Errorf("unmaking the last administrator: %v", err)
	}
	users, err := adm.Users(ctx)
	if err != nil || len(users) != 2 || !users[0].Admin || users[1].Admin || !users[1].Online {
		t.Errorf("users: %+v %v", users, err)
	}
	log, err := adm.Audit(ctx, 10)
	if err != nil || len(log) != 4 || log[0].Action != wire.AuditKick {
		t.Errorf("audit: %+v %v", log, err)
	}
}

// inProcess hands requests to a handler in this process.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
