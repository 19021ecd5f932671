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
)

func offered(v *chatView) string {
	return fmt.Sprint(v.mentions.names, v.mentions.sel, v.mentions.box.Visible())
}

// Typing "@bo" offers the known users whose names start so; Down and Tab
// pick one, Enter picks (it does not send), Escape closes the list until
// another '@'; an address like mail@bob offers nothing.
func TestMentionCompletion(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	for _, name := range []string{"bob", "Bobby", "carol"} {
		p := testchat.Join(t, env.URL, name, "password-"+name)
		testserver.WaitFor(t, 20*time.Second, name+" online", func() bool { return p.Chat.State() == client.Online })
	}
	ui := newUI(t)
	bridge.DoAndWait(func() { ui.app.Settings().SetTheme(theme.DefaultTheme()) })
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	waitUI(t, "the users known", func() bool { return len(v.users) == 4 })
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(800, 600)) })
	c := v.composer
	key := func(k fyne.KeyName) { c.TypedKey(&fyne.KeyEvent{Name: k}) }

	bridge.DoAndWait(func() { test.Type(c, "hi @bo") })
	if got := onUI(func() string { return offered(v) }); got != "[bob Bobby] 0 true" {
		t.Fatalf("offered %s", got)
	}
	if !onUI(c.AcceptsTab) {
		t.Error("Tab is not the composer's while names are offered")
	}
	bridge.DoAndWait(func() { key(fyne.KeyDown) })
	screenshot(t, ui, "mention-completion.png")
	bridge.DoAndWait(func() { key(fyne.KeyTab) })
	if got := onUI(func() string { return c.Text + "|" + offered(v) }); got != "hi @Bobby |[] 0 false" {
		t.Fatalf("after Down and Tab: %q", got)
	}
	if onUI(c.AcceptsTab) {
		t.Error("Tab stays the composer's after completing")
	}

	bridge.DoAndWait(func() { test.Type(c, "and @C") })
	if got := onUI(func() string { return offered(v) }); got != "[carol] 0 true" {
		t.Fatalf("offered %s", got)
	}
	bridge.DoAndWait(func() { key(fyne.KeyReturn) }) // completes, not sends
	if got := onUI(func() string { return c.Text }); got != "hi @Bobby and @carol " {
		t.Fatalf("after Enter: %q", got)
	}

	bridge.DoAndWait(func() { test.Type(c, "@b") })
	bridge.DoAndWait(func() { key(fyne.KeyEscape) })
	bridge.DoAndWait(func() { test.Type(c, "ob") })
	if got := onUI(func() string { return offered(v) }); got != "[] 0 false" {
		t.Fatalf("offered %s after Escape", got)
	}
	bridge.DoAndWait(func() { test.Type(c, " mail@b") })
	if got := onUI(func() string { return offered(v) }); got != "[] 0 false" {
		t.Fatalf("offered %s in an address", got)
	}
	bridge.DoAndWait(func() { key(fyne.KeyReturn) }) // nothing offered: sends
	waitUI(t, "sent", func() bool { return c.Text == "" && v.tl().len() == 1 && v.tl().at(0).outgoing == nil })
	screenshot(t, ui, "mention-highlight.png")

	// A click on a name completes with it.
	bridge.DoAndWait(func() {
		test.Type(c, "@")
		v.mentions.box.Objects[2].(*mentionRow).Tapped(&fyne.PointEvent{})
	})
	if got := onUI(func() string { return c.Text }); got != "@carol " {
		t.Fatalf("after a click: %q", got)
	}
}

// "@name" is drawn bold in the primary colour, not in code, addresses or
// the middle of a word.
func TestMentionsHighlighted(t *testing.T) {
	for text, want := range map[string]string{
		"hi @alice, see @bob.": "hi |@alice|, see |@bob|.",
		"mail@bob.com @":       "mail@bob.com @",
		"`@alice` **@bob**":    "@alice |@bob|",
		"@@bob":                "@|@bob|",
	} {
		got := ""
		for _, b := range parseMarkdown(text) {
			for _, sp := range b.spans {
				if sp.style&mdMention != 0 {
					got += "|" + sp.text + "|"
				} else {
					got += sp.text
				}
			}
		}
		if got != want {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
	if !mdMention.textStyle().Bold {
		t.Error("a mention is not bold")
	}
}
