package term_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// /search finds messages by word, author and room, marks the words, and
// says when nothing matched; a mention in a room not joined is shown.
func TestSearchAndMentionsInTerminal(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-bob", client.AllowPlainHTTP())
	testserver.WaitFor(t, 30*time.Second, "bob online", func() bool { return bob.Chat.State() == client.Online })
	if err := bob.Chat.Join(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	in, out := aliceInTerminal(t, env)
	fmt.Fprintln(in, "the build is green")
	mine := waitID(t, out, "alice: the build is green")
	if _, err := bob.Chat.Send("dev", "Build broke again"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "bob's message stored", func() bool { return len(bob.Stored(t, "dev")) == 1 })

	fmt.Fprintln(in, "/search build from:alice")
	testserver.WaitFor(t, 10*time.Second, "alice's hit", func() bool {
		return out.has(fmt.Sprintf("[general] %s ", time.Now().Format("2006-01-02"))) &&
			out.has(fmt.Sprintf(" #%d alice: the *build* is green", mine))
	})
	fmt.Fprintln(in, "/search BUILD in:dev")
	testserver.WaitFor(t, 10*time.Second, "bob's hit", func() bool { return out.has("bob: *Build* broke again") })
	if _, err := bob.Chat.Send("dev", "@alice have a look"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "the mention", func() bool {
		return out.has("* bob mentioned you in dev (/join dev): @alice have a look")
	})
	fmt.Fprintln(in, "/search nothing-like-this")
	testserver.WaitFor(t, 10*time.Second, "no match", func() bool { return out.has("-- no message found") })
	if out.count("bob: *Build* broke again") != 1 || out.count("alice: the *build* is green") != 1 {
		t.Errorf("a search showed what it should not: from:alice found bob's, or in:dev alice's")
	}
}
