package term_test

import (
	"fmt"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// The terminal opens a DM, writes in it, lists it with its unread count,
// and joins a DM another user starts, against a real server.
func TestDirectMessagesInTerminal(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-bob", client.AllowPlainHTTP())
	carol := testchat.Join(t, env.URL, "carol", "password-carol", client.AllowPlainHTTP())
	in, out := aliceInTerminal(t, env)
	ctx := t.Context()

	fmt.Fprintln(in, "/dm bob")
	testserver.WaitFor(t, 10*time.Second, "in the DM", func() bool { return out.has(": DM with bob (online)") })
	fmt.Fprintln(in, "just between us")
	waitID(t, out, "alice: just between us")
	conv, err := bob.Chat.OpenDM(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, m := range bob.Stored(t, conv.Room) {
		found = found || m.Text == "just between us"
	}
	if !found {
		t.Fatalf("bob's DM lacks alice's message")
	}
	if _, err := carol.Chat.History(ctx, conv.Room, 0, 10); err == nil {
		t.Fatalf("carol read the DM")
	}

	// Carol starts a DM with alice: the terminal joins it and shows her message.
	cd, err := carol.Chat.OpenDM(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "carol's DM announced", func() bool { return out.has(cd.Room + ": DM with carol") })
	if err := carol.Chat.Join(ctx, cd.Room); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.Chat.Send(cd.Room, "hi alice"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "carol's message shown", func() bool { return out.has("carol: hi alice") })
	fmt.Fprintln(in, "/dms")
	testserver.WaitFor(t, 10*time.Second, "the list with unread", func() bool {
		return out.has(cd.Room+"  DM with carol (online) (1 unread)") && out.has(conv.Room+"  DM with bob (online)")
	})
}
