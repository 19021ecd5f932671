package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

func TestTimelineTakesOnlyNewerStates(t *testing.T) {
	t.Parallel()
	tl := newTimeline()
	tl.add(wire.Message{ID: 5, Text: "v0"})
	for _, c := range []struct {
		m       wire.Message
		changed bool
		text    string
	}{
		{wire.Message{ID: 5, Text: "v2", Rev: 2}, true, "v2"},
		{wire.Message{ID: 5, Text: "v1", Rev: 1}, false, "v2"}, // late: older than what is shown
		{wire.Message{ID: 5, Text: "v2 again", Rev: 2}, false, "v2"},
		{wire.Message{ID: 6, Text: "not loaded", Rev: 3}, false, "v2"},
		{wire.Message{ID: 5, Deleted: true, Rev: 4}, true, ""},
	} {
		if got := tl.update(c.m); got != c.changed || tl.at(0).msg.Text != c.text || tl.len() != 1 {
			t.Errorf("update %+v: %v, text %q; want %v, %q", c.m, got, tl.at(0).msg.Text, c.changed, c.text)
		}
	}
}

// rowTexts is what a row's body says, its pieces joined.
func rowTexts(s rowSpec) string {
	var b strings.Builder
	for _, bl := range s.blocks {
		for _, sp := range bl.spans {
			b.WriteString(sp.text)
		}
	}
	return b.String()
}

func menuLabels(m *fyne.Menu) []string {
	var out []string
	for _, it := range m.Items {
		if !it.IsSeparator {
			out = append(out, it.Label)
		}
	}
	return out
}

// Rows show the edited mark, tombstones and reactions, and fit them; the
// menu offers Edit and Delete on our own messages only.
func TestRowsShowEditsTombstonesAndReactions(t *testing.T) {
	v := offlineView(t, fyne.NewSize(420, 520), true)
	edited := t0.Add(time.Hour)
	bridge.DoAndWait(func() {
		say(v, 1, "bob", "Lunch at noon?")
		say(v, 2, "me", "Yes, at the usual place")
		say(v, 3, "bob", "Sorry, wrong room")
		say(v, 4, "me", "See you there")
		v.apply(client.UpdateEvent{Message: wire.Message{ID: 2, Room: v.current, Author: wire.Author{ID: "me", Username: "alice"},
			Text: "Yes, at the new place", SentAt: t0.Add(2 * time.Minute), EditedAt: &edited, Rev: 1}})
		v.apply(client.UpdateEvent{Message: wire.Message{ID: 3, Room: v.current, Author: wire.Author{ID: "bob", Username: "bob"},
			Deleted: true, SentAt: t0.Add(3 * time.Minute), Rev: 2}})
		v.apply(client.UpdateEvent{Message: wire.Message{ID: 1, Room: v.current, Author: wire.Author{ID: "bob", Username: "bob"},
			Text: "Lunch at noon?", SentAt: t0.Add(time.Minute), Rev: 3, Reactions: []wire.Reaction{
				{Emoji: "👍", Count: 2, Users: []string{"me", "carol"}}, {Emoji: "🎉", Count: 1, Users: []string{"carol"}}}}})
		v.flush()
	})
	checkRows(t, v, "after the changes")
	savePNG(t, v.ui, "edits-rows-420.png")
	specs := onUI(func() []rowSpec {
		var out []rowSpec
		for i := range v.tl().len() {
			out = append(out, v.rowSpec(i))
		}
		return out
	})
	if got := rowTexts(specs[1]); got != "Yes, at the new place"+editedMark || specs[1].text != "Yes, at the new place" {
		t.Errorf("edited row says %q (copies %q)", got, specs[1].text)
	}
	if got := rowTexts(specs[2]); got != deletedText || specs[2].text != "" {
		t.Errorf("tombstone says %q (copies %q)", got, specs[2].text)
	}
	r := rowOf(t, v, 0)
	chips := onUI(func() []string {
		var out []string
		for i := range r.geom.chips {
			out = append(out, r.chips[i].Text+map[bool]string{true: " (mine)"}[r.chips[i].Importance == widget.MediumImportance])
		}
		return out
	})
	if want := []string{"👍 2 (mine)", "🎉 1"}; !slices.Equal(chips, want) {
		t.Errorf("reaction buttons %v, want %v", chips, want)
	}
	for i, want := range [][]string{
		{"Copy message", "Select text…", "React"},
		{"Copy message", "Select text…", "React", "Edit…", "Delete…"},
		nil, // a tombstone offers nothing
		{"Copy message", "Select text…", "React", "Edit…", "Delete…"},
	} {
		got := onUI(func() []string { return menuLabels(rowOf(t, v, i).menu(fyne.Position{})) })
		if !slices.Equal(got, want) {
			t.Errorf("row %d menu %q, want %q", i, got, want)
		}
	}
	// The picker marks the reactions that are ours.
	react := onUI(func() *fyne.MenuItem { return rowOf(t, v, 0).menu(fyne.Position{}).Items[3] })
	var checked []string
	for _, it := range react.ChildMenu.Items {
		if it.Checked {
			checked = append(checked, it.Label)
		}
	}
	if len(react.ChildMenu.Items) != len(wire.Reactions) || !slices.Equal(checked, []string{"👍"}) {
		t.Errorf("picker %v, checked %v", menuLabels(react.ChildMenu), checked)
	}
}

// Against a real server: alice edits and deletes her message from its
// menu, reacts by tapping, and sees bob's changes and typing.
func TestEditDeleteReactAndTypingInTheWindow(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newScreenshotUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(800, 600)); v.send("hello bob") })
	waitUI(t, "sent", func() bool { return v.tl().len() == 1 && v.tl().at(0).msg.ID > 0 })
	id := onUI(func() int64 { return v.tl().at(0).msg.ID })

	// The menu of our message offers Edit and Delete.
	bridge.DoAndWait(func() {
		v.flush()
		r := v.msgList.shown[0]
		r.TappedSecondary(&fyne.PointEvent{Position: fyne.NewPos(40, 30), AbsolutePosition: r.Position().AddXY(220, 80)})
	})
	screenshot(t, ui, "edits-menu-800x600.png")
	bridge.DoAndWait(func() {
		ui.win.Canvas().Overlays().Top().Hide()
		ui.win.Canvas().Overlays().Remove(ui.win.Canvas().Overlays().Top())
	})
	// Edit from the menu: the dialog holds the text; Save sends it.
	var entry *widget.Entry
	bridge.DoAndWait(func() {
		entry = v.editMessage(id, v.rowSpec(0).text)
		if entry.Text != "hello bob" {
			t.Errorf("edit dialog starts with %q", entry.Text)
		}
		entry.SetText("hello, bob")
	})
	screenshot(t, ui, "edits-dialog-800x600.png")
	bridge.DoAndWait(func() { ui.asking.choose(1) })
	waitUI(t, "edited", func() bool { return rowTexts(v.rowSpec(0)) == "hello, bob"+editedMark })
	// Drawn at once: no event from the server follows one's own change.
	waitUI(t, "the edit drawn", func() bool { r, ok := v.msgList.shown[0]; return ok && rowTexts(r.spec) == "hello, bob"+editedMark })
	if m := bob.Stored(t, "general")[id]; m.Text != "hello, bob" || m.EditedAt == nil {
		t.Fatalf("bob's history: %+v", m)
	}

	// Bob reacts; alice sees it and taps it to add hers.
	if _, err := bob.Chat.React(context.Background(), id, "🎉", true); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "bob's reaction", func() bool {
		rs := v.tl().at(0).msg.Reactions
		return len(rs) == 1 && rs[0].Count == 1
	})
	bridge.DoAndWait(func() { v.flush() })
	waitUI(t, "a reaction button", func() bool { r, ok := v.msgList.shown[0]; return ok && len(r.geom.chips) == 1 })
	bridge.DoAndWait(func() { test.Tap(v.msgList.shown[0].chips[0]) })
	waitUI(t, "two reactions", func() bool {
		rs := v.tl().at(0).msg.Reactions
		return len(rs) == 1 && rs[0].Count == 2
	})

	// Bob types: the line shows, and his message ends it.
	bob.Chat.Typing("general")
	waitUI(t, "typing shown", func() bool { return v.typing().label.Visible() && v.typing().label.Text == "bob is typing…" })
	screenshot(t, ui, "edits-window-800x600.png")
	if _, err := bob.Chat.Send("general", "done"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "typing hidden", func() bool { return !v.typing().label.Visible() })

	// Delete asks first; then everyone sees a tombstone.
	bridge.DoAndWait(func() { v.deleteMessage(id) })
	screenshot(t, ui, "edits-delete-800x600.png")
	bridge.DoAndWait(func() {
		if ui.asking == nil {
			t.Fatal("delete did not ask")
		}
		ui.asking.choose(1)
	})
	waitUI(t, "tombstone", func() bool { return rowTexts(v.rowSpec(0)) == deletedText })
	waitUI(t, "the tombstone drawn", func() bool { r, ok := v.msgList.shown[0]; return ok && rowTexts(r.spec) == deletedText })
	screenshot(t, ui, "edits-tombstone-800x600.png")
	if m := bob.Stored(t, "general")[id]; !m.Deleted || m.Text != "" {
		t.Fatalf("bob's history: %+v", m)
	}
}

// Typing notices expire by themselves.
func TestTypingLineExpires(t *testing.T) {
	v := offlineView(t, fyne.NewSize(500, 400), false)
	bridge.DoAndWait(func() {
		v.apply(client.TypingEvent{Typing: wire.Typing{Room: v.current, User: wire.Author{ID: "bob", Username: "bob"}},
			Until: time.Now().Add(300 * time.Millisecond)})
		v.apply(client.TypingEvent{Typing: wire.Typing{Room: "elsewhere", User: wire.Author{ID: "carol", Username: "carol"}},
			Until: time.Now().Add(time.Minute)})
		v.apply(client.TypingEvent{Typing: wire.Typing{Room: v.current, User: wire.Author{ID: "me", Username: "alice"}},
			Until: time.Now().Add(time.Minute)})
	})
	if got := onUI(func() string { return v.typing().label.Text }); got != "bob is typing…" {
		t.Fatalf("typing line %q", got)
	}
	waitUI(t, "the notice expires", func() bool { return !v.typing().label.Visible() })
}

// Typing in the composer tells the room's others.
func TestComposerTellsTheRoomWhileTyping(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	sess, err := client.Register(context.Background(), env.URL, "carol", "password-c")
	if err != nil {
		t.Fatal(err)
	}
	carol := client.Connect(sess, client.Options{})
	t.Cleanup(carol.Close)
	typing := make(chan string, 10)
	go func() {
		for e := range carol.Events() {
			if te, ok := e.(client.TypingEvent); ok {
				typing <- te.Typing.User.Username
			}
		}
	}()
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	testserver.WaitFor(t, 25*time.Second, "carol online", func() bool { return carol.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { test.Type(v.composer, "hel") })
	select {
	case who := <-typing:
		if who != "alice" {
			t.Fatalf("carol was told %q is typing", who)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("carol was not told that alice is typing")
	}
}
