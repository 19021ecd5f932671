package app

import (
	"strings"
	"testing"
	"time"

	"confab/app/bridge"
	"confab/internal/pgtest"
	"confab/internal/testserver"
	"confab/server"
)

func TestOlderRetryWaits(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	var r olderRetry
	if !r.due(now) {
		t.Fatal("no failure yet: not due")
	}
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30} {
		r.failed(now)
		wait := r.next.Sub(now)
		if wait != want*time.Second {
			t.Fatalf("failure %d: waits %v, want %v", i+1, wait, want*time.Second)
		}
		if r.due(now.Add(wait - time.Millisecond)) {
			t.Fatalf("failure %d: due before its wait", i+1)
		}
	}
}

// Older messages that cannot be loaded (a server without its database)
// are asked for again with waits, not four times a second, and the
// banner saying so goes when a load works again.
func TestOlderMessagesFailureClearsWhenServerIsBack(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	env := testserver.Start(t, server.Config{Database: pg.NewDB(t)})
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil })
	v := onUI(func() *chatView { return ui.view })
	// No older page until the database is gone: the first message would
	// load one at once otherwise.
	bridge.DoAndWait(func() { v.older.next = time.Now().Add(time.Hour) })
	bridge.DoAndWait(func() { v.send("the first message") })
	waitUI(t, "sent", func() bool { return v.tl().len() == 1 && v.tl().at(0).outgoing == nil })
	pg.Stop()
	bridge.DoAndWait(func() { v.older = olderRetry{} })
	waitUI(t, "the failure shown", func() bool {
		return v.bannerBox.Visible() && strings.HasPrefix(v.banner.Text, olderFailed)
	})
	time.Sleep(2500 * time.Millisecond)
	if fails := onUI(func() int { return v.older.fails }); fails > 3 {
		t.Fatalf("%d tries in 2.5 s while the server cannot load them", fails)
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the banner gone", func() bool { return !v.bannerBox.Visible() })
}
