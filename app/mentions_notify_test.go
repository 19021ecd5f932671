//go:build linux

package app

import (
	"testing"

	"confab/app/bridge"
	"confab/internal/desktoptest"
	"confab/wire"
)

// In a muted room only a mention notifies: the room's other messages
// count as unread but show nothing, and the mention shows alone.
func TestMentionNotifiesInAMutedRoom(t *testing.T) {
	d := desktoptest.Start(t, true)
	ui, v, bob := notifyChat(t, d)
	bridge.DoAndWait(func() { v.setMuted(wire.DefaultRoom, true) })
	if !onUI(func() bool { return ui.muteItem().Checked }) {
		t.Fatal("the menu does not show the room muted")
	}
	bob.Chat.Send(wire.DefaultRoom, "nothing for you")
	waitUI(t, "the first unread", func() bool { return v.room(wire.DefaultRoom).unread == 1 })
	bob.Chat.Send(wire.DefaultRoom, "@alice look at this")
	waitUI(t, "the second unread", func() bool { return v.room(wire.DefaultRoom).unread == 2 })
	d.WaitFor("the mention shown", func() bool { return d.Shown() == 1 })
	bridge.DoAndWait(func() { ui.setForeground(true) })
	d.WaitFor("the notification closed (seen)", func() bool { return d.Shown() == 0 })
	note, n := historyOf(d, wire.DefaultRoom)
	if n != 1 || note.Summary != "bob mentioned you in #general" || note.Body != "@alice look at this" {
		t.Errorf("%d notifications for #general, the last %q / %q", n, note.Summary, note.Body)
	}

	// Unmuted, a plain message notifies again.
	bridge.DoAndWait(func() {
		v.setMuted(wire.DefaultRoom, false)
		ui.setForeground(false)
	})
	bob.Chat.Send(wire.DefaultRoom, "plain again")
	d.WaitFor("a plain message shown", func() bool { return d.Shown() == 1 })
}

// A mention in a room alice never joined notifies her, and the room is
// joined and listed with the message unread.
func TestMentionInARoomNotJoined(t *testing.T) {
	d := desktoptest.Start(t, true)
	ui, v, bob := notifyChat(t, d)
	if err := bob.Chat.Join(t.Context(), "dev"); err != nil {
		t.Fatal(err)
	}
	bob.Chat.Send("dev", "@alice come to dev")
	waitUI(t, "dev listed, unread", func() bool { return v.roomIndex("dev") >= 0 && v.room("dev").unread == 1 })
	d.WaitFor("the mention shown", func() bool { return d.Shown() == 1 })
	bridge.DoAndWait(func() {
		ui.openRoom("dev") // what a click on the notification does
		ui.setForeground(true)
	})
	d.WaitFor("the notification closed (seen)", func() bool { return d.Shown() == 0 })
	note, n := historyOf(d, "dev")
	if n != 1 || note.Summary != "bob mentioned you in #dev" || note.Body != "@alice come to dev" {
		t.Errorf("%d notifications for #dev, the last %q / %q", n, note.Summary, note.Body)
	}
	waitUI(t, "in dev, the message there", func() bool {
		return v.current == "dev" && v.room("dev").unread == 0 && v.tl().len() == 1 && v.tl().at(0).msg.Text == "@alice come to dev"
	})
}
