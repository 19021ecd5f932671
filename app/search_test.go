package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// A search lists what the server finds in a room alice never joined;
// choosing the result joins the room, loads its history back to the
// message (far older than the newest page) and shows it marked.
func TestSearchJumpsToTheMessageInContext(t *testing.T) {
	env := testserver.Start(t, server.Config{EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	testserver.WaitFor(t, 20*time.Second, "bob online", func() bool { return bob.Chat.State() == client.Online })
	if err := bob.Chat.Join(t.Context(), "dev"); err != nil {
		t.Fatal(err)
	}
	const n, at = 450, 30
	for i := range n {
		text := fmt.Sprint("hay ", i)
		if i == at {
			text = "the needle is in this one"
		}
		bob.Chat.Send("dev", text) //nolint:errcheck
	}
	testserver.WaitFor(t, 30*time.Second, "all stored", func() bool { return len(bob.Chat.Pending()) == 0 })

	ui := newUI(t)
	bridge.DoAndWait(func() { ui.app.Settings().SetTheme(theme.DefaultTheme()) })
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(900, 640)) })

	bridge.DoAndWait(func() {
		v.openSearch()
		test.Type(v.search.entry, "NEEDLE from:bob")
		v.search.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	waitUI(t, "one result", func() bool { return len(v.search.hits) == 1 && v.search.status.Text == "1 message found." })
	hit := onUI(func() wire.SearchHit { return v.search.hits[0] })
	if hit.Room != "dev" || hit.Author.Username != "bob" || fmt.Sprint(hit.Snippet) != "[{the  false} {needle true} { is in this one false}]" {
		t.Fatalf("hit %+v", hit)
	}
	screenshot(t, ui, "search-results.png")

	bridge.DoAndWait(func() {
		v.search.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown}) // to the results
		ui.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	waitUI(t, "the message marked in #dev", func() bool {
		tl := v.tl()
		return v.current == "dev" && tl.ids[hit.ID] && v.msgList.marked >= 0 && tl.at(v.msgList.marked).msg.ID == hit.ID
	})
	if onUI(func() bool { return v.roomIndex("dev") < 0 || ui.asking != nil }) {
		t.Fatal("dev not joined, or the panel still open")
	}
	// Everything from the message to the newest is there, without a gap.
	tl := onUI(func() *timeline { return v.tl() })
	if got := onUI(func() int { return tl.len() }); got < n-at {
		t.Fatalf("%d messages loaded, want at least %d", got, n-at)
	}
	onUI(func() bool {
		for i := 1; i < tl.len(); i++ {
			if tl.at(i).msg.ID != tl.at(i-1).msg.ID+1 {
				t.Errorf("a gap in the history after %d", tl.at(i-1).msg.ID)
			}
		}
		return true
	})
	waitUI(t, "the marked row in view", func() bool { _, shown := v.msgList.shown[v.msgList.marked]; return shown })
	screenshot(t, ui, "search-jumped.png")

	// Escape closes the panel; a query of no words says what to type.
	bridge.DoAndWait(func() {
		v.openSearch()
		test.Type(v.search.entry, "- *")
		v.search.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	if got := onUI(func() string { return v.search.status.Text }); got != "Type a word to search for, or from:name for someone's messages." {
		t.Errorf("status %q", got)
	}
	bridge.DoAndWait(func() { v.search.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) })
	if onUI(func() bool { return ui.asking != nil || ui.win.Canvas().Focused() != v.composer }) {
		t.Error("Escape did not close the panel and give the keyboard back")
	}
}

func TestParseSearch(t *testing.T) {
	for text, want := range map[string]client.SearchQuery{
		"deploy friday":           {Words: "deploy friday"},
		"from:@Bob in:#Dev notes": {Words: "notes", Author: "Bob", Room: "dev"},
		"from: in: x":             {Words: "from: in: x"},
	} {
		if got := parseSearch(text); got != want {
			t.Errorf("%q: %+v, want %+v", text, got, want)
		}
	}
}

// A result in a direct conversation is named by the partner, and opens the
// conversation where it is listed, under Direct messages: never as a room
// "~N" (a new user saw "# ~1" added to the rooms).
func TestSearchOpensADirectMessage(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	testserver.WaitFor(t, 20*time.Second, "bob online", func() bool { return bob.Chat.State() == client.Online })
	c, err := bob.Chat.OpenDM(t.Context(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.Chat.Join(t.Context(), c.Room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Chat.Send(c.Room, "the launch plan"); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 30*time.Second, "stored", func() bool { return len(bob.Chat.Pending()) == 0 })

	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", false)
	waitUI(t, "the DM listed", func() bool { return ui.view != nil && ui.view.dms().has(c.Room) })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() {
		v.openSearch()
		test.Type(v.search.entry, "plan")
		v.search.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	waitUI(t, "one result", func() bool { return len(v.search.hits) == 1 })
	if got := onUI(func() string { return v.placeName(v.search.hits[0].Room) }); got != "bob" {
		t.Errorf("the result is in %q, want bob", got)
	}
	bridge.DoAndWait(func() { v.search.choose(0) })
	waitUI(t, "the DM open", func() bool { return v.current == c.Room })
	if onUI(func() bool { return v.roomIndex(c.Room) >= 0 }) {
		t.Error("the direct conversation was added to the rooms")
	}
}
