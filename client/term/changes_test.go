package term_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// The terminal edits, deletes and reacts, and shows others' changes and
// typing, against a real server and a second real client.
func TestEditDeleteReactAndTypingInTerminal(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-bob", client.AllowPlainHTTP())
	in, out := aliceInTerminal(t, env)
	testserver.WaitFor(t, 30*time.Second, "bob online", func() bool { return bob.Chat.State() == client.Online })

	fmt.Fprintln(in, "my first words")
	id := waitID(t, out, "alice: my first words")
	fmt.Fprintf(in, "/edit %d my edited words\n", id)
	fmt.Fprintf(in, "/react %d party\n", id)
	testserver.WaitFor(t, 10*time.Second, "the edit and reaction shown", func() bool {
		return out.has(fmt.Sprintf("#%d alice: my edited words (edited)  🎉 1", id))
	})
	hist := bob.Stored(t, "general")
	if m := hist[id]; m.Text != "my edited words" || m.EditedAt == nil || len(m.Reactions) != 1 {
		t.Fatalf("bob's history has %+v", m)
	}
	fmt.Fprintf(in, "/react %d party\n", id) // toggled off
	testserver.WaitFor(t, 10*time.Second, "the reaction removed", func() bool {
		return out.count(fmt.Sprintf("#%d alice: my edited words (edited)", id)) >= 2 && len(bob.Stored(t, "general")[id].Reactions) == 0
	})
	fmt.Fprintf(in, "/delete %d\n", id)
	testserver.WaitFor(t, 10*time.Second, "the delete shown", func() bool { return out.has(fmt.Sprintf("#%d alice deleted a message", id)) })
	if m := bob.Stored(t, "general")[id]; !m.Deleted || m.Text != "" {
		t.Fatalf("bob's history has %+v", m)
	}

	// Bob's message cannot be edited from here; his changes and typing show.
	if _, err := bob.Chat.Send("general", "bob here"); err != nil {
		t.Fatal(err)
	}
	bobID := waitID(t, out, "bob: bob here")
	fmt.Fprintf(in, "/edit %d mine now\n", bobID)
	testserver.WaitFor(t, 10*time.Second, "a refusal", func() bool { return out.has("! only its author can change a message") })
	fmt.Fprintf(in, "/react %d pizza\n", bobID)
	testserver.WaitFor(t, 10*time.Second, "a refused reaction", func() bool { return out.has("! that reaction is not one of the offered ones") })
	if _, err := bob.Chat.Edit(context.Background(), bobID, "bob was here"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "bob's edit shown", func() bool { return out.has(fmt.Sprintf("#%d bob: bob was here (edited)", bobID)) })
	bob.Chat.Typing("general")
	testserver.WaitFor(t, 10*time.Second, "bob typing shown", func() bool { return out.has("* bob is typing…") })
}

var idRE = regexp.MustCompile(`#(\d+) `)

// waitID waits for a line containing sub and returns its message number.
func waitID(t *testing.T, out *lines, sub string) int64 {
	t.Helper()
	var id int64
	testserver.WaitFor(t, 10*time.Second, sub, func() bool {
		out.mu.Lock()
		defer out.mu.Unlock()
		for _, l := range out.all {
			if m := idRE.FindStringSubmatch(l); m != nil && regexp.MustCompile(regexp.QuoteMeta(sub)).MatchString(l) {
				id, _ = strconv.ParseInt(m[1], 10, 64)
				return true
			}
		}
		return false
	})
	return id
}
