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
