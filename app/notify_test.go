//go:build linux

package app

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/app/notify"
	"confab/client"
	"confab/internal/desktoptest"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// notifyChat is alice signed in (with dunst on a private bus for her
// notifications) and bob, both in #general, alice's window in the background.
func notifyChat(t *testing.T, d *desktoptest.Desktop, opts ...Option) (*UI, *chatView, *testchat.Peer) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newUIWith(t, append(opts, NoLAN(), NotifyBus(d.Bus))...)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { ui.setForeground(false) })
	return ui, v, bob
}

// historyOf is dunst's last notification about the room, once it has closed.
func historyOf(d *desktoptest.Desktop, room string) (desktoptest.Note, int) {
	var last desktoptest.Note
	n := 0
	for _, note := range d.History() {
		if strings.HasSuffix(note.Summary, "#"+room) || strings.Contains(note.Summary, "#"+room+",") {
			if n == 0 {
				last = note
			}
			n++
		}
	}
	return last, n
}

// In the background, messages of the room on screen count as unread (title,
// room list), the window asks for attention, one notification per room
// counts them; a click opens the room; coming back clears it all.
func TestBackgroundMessagesNotify(t *testing.T) {
	d := desktoptest.Start(t, true)
	ui, v, bob := notifyChat(t, d, notifyExpire(time.Minute))

	for i, text := range []string{"one", "two", "a < b <b>three</b>"} {
		bob.Chat.Send(wire.DefaultRoom, text)
		waitUI(t, "unread in the room on screen", func() bool { return v.room(wire.DefaultRoom).unread == i+1 })
	}
	if got := onUI(func() string { return ui.win.Title() }); got != "Confab (3)" {
		t.Errorf("title %q, want the unread count", got)
	}
	if got := onUI(func() string { return roomCount(v, wire.DefaultRoom) }); got != "3" {
		t.Errorf("room list marker %q, want 3", got)
	}
	if !onUI(func() bool { return ui.alerts.urgent }) {
		t.Error("the window does not ask for attention")
	}
	d.WaitFor("one notification", func() bool { return d.Shown() == 1 })

	// Another room, while alice is in #dev: a click on its notification opens #general.
	bridge.DoAndWait(func() { v.join("dev", widget.NewEntry()) })
	waitUI(t, "in dev", func() bool { return v.current == "dev" })
	bridge.DoAndWait(func() { ui.setForeground(false) })
	bob.Chat.Send(wire.DefaultRoom, "@alice come back")
	waitUI(t, "the fourth", func() bool { return v.room(wire.DefaultRoom).unread == 4 })
	waitUI(t, "the mention sent", func() bool { return ui.alerts.notes.Pending() == 0 })
	if got := d.Shown(); got != 1 {
		t.Fatalf("dunst shows %d notifications, want one for #general", got)
	}
	if _, err := d.Dunstctl("action", "0"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "a click opens the room", func() bool { return v.current == wire.DefaultRoom })
	bridge.DoAndWait(func() { ui.setForeground(true) })
	if got, urgent := onUI(func() string { return ui.win.Title() }), onUI(func() bool { return ui.alerts.urgent }); got != "Confab" || urgent {
		t.Errorf("back in the foreground: title %q, urgent %v", got, urgent)
	}
	d.WaitFor("the notification closed (seen)", func() bool { return d.Shown() == 0 })
	note, n := historyOf(d, wire.DefaultRoom)
	if n != 1 || note.Summary != "4 new messages in #general, you are mentioned" || note.Body != "bob: @alice come back" {
		t.Errorf("%d notifications for #general, the last %q / %q", n, note.Summary, note.Body)
	}
}

// roomCount is the unread marker beside a room in the room list.
func roomCount(v *chatView, room string) string {
	i := v.roomIndex(room)
	row := v.roomList.CreateItem().(*fyne.Container)
	v.roomList.UpdateItem(i, row)
	_, count := roomRowParts(row)
	if !count.Visible() {
		return ""
	}
	return count.Text
}

// With the notification server hung (stopped), the UI thread stays free:
// a round trip to it while messages arrive takes far less than one
// notification call's timeout.
func TestStoppedNotificationServerKeepsUIResponsive(t *testing.T) {
	d := desktoptest.Start(t, true)
	ui, v, bob := notifyChat(t, d)
	d.Dunst.Process.Signal(syscall.SIGSTOP) //nolint:errcheck
	const messages = 20
	go func() {
		for i := 0; i < messages; i++ {
			bob.Chat.Send(wire.DefaultRoom, "while the server is stopped")
			time.Sleep(50 * time.Millisecond)
		}
	}()
	var slowest time.Duration
	for onUI(func() int { return v.room(wire.DefaultRoom).unread }) < messages {
		start := time.Now()
		bridge.DoAndWait(func() {})
		slowest = max(slowest, time.Since(start))
		time.Sleep(5 * time.Millisecond)
	}
	timeout := notifyTimeout(ui)
	t.Logf("slowest UI round trip while %d messages arrived: %v (a notification call may take %v)", messages, slowest, timeout)
	if slowest > timeout/2 {
		t.Fatalf("the UI thread waited %v: it waits for the notification server", slowest)
	}
}

func notifyTimeout(*UI) time.Duration { return notify.DefaultTimeout }

// notifyExpire keeps notifications on screen for d (tests that click them).
func notifyExpire(d time.Duration) Option { return func(ui *UI) { ui.alerts.expire = d } }

// The choice in the Confab menu is kept in the preferences and read at
// the next start.
func TestNotificationSettingMenu(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	item := func(label string) *fyne.MenuItem {
		for _, it := range ui.win.MainMenu().Items[0].Items {
			if it.Label == "Notifications" {
				for _, c := range it.ChildMenu.Items {
					if c.Label == label {
						return c
					}
				}
			}
		}
		t.Fatalf("no menu item %q", label)
		return nil
	}
	if !onUI(func() bool { return item(notify.ShowText.Label()).Checked }) {
		t.Fatal("the default is not checked")
	}
	bridge.DoAndWait(item(notify.ShowSender.Label()).Action)
	if got := ui.app.Preferences().String(prefNotify); got != "sender" {
		t.Fatalf("preference %q", got)
	}
	if !onUI(func() bool { return item(notify.ShowSender.Label()).Checked && !item(notify.ShowText.Label()).Checked }) {
		t.Fatal("the menu does not show the choice")
	}
}
