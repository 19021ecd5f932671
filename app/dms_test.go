package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// dmRowText is what the DM list shows in row i: its label and unread count.
func dmRowText(d *dmSection, i int) (label, count string) {
	row := d.v.newTippedRoomRow().(*fyne.Container)
	d.updateRow(i, row)
	l, c := roomRowParts(row)
	if c.Hidden {
		return l.Text, ""
	}
	return l.Text, c.Text
}

// A click on a person opens the DM with them; a DM someone else starts is
// listed with its unread count and the partner's presence, and seeing it
// marks it read on the server.
func TestDMListAndStartFromPeople(t *testing.T) {
	env := testserver.Start(t, server.Config{PresenceGrace: 50 * time.Millisecond})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	carol := testchat.Join(t, env.URL, "carol", "password-c")

	ui := newScreenshotUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	waitUI(t, "people listed", func() bool { return len(v.userIDs) == 3 })

	// Click bob in the people list (a click gives the list the keyboard).
	bridge.DoAndWait(func() {
		ui.win.Canvas().Focus(v.userList)
		for i, id := range v.userIDs {
			if v.users[id].Username == "bob" {
				v.userList.Select(i)
			}
		}
	})
	waitUI(t, "the DM with bob on screen", func() bool { return wire.IsPrivateRoom(v.current) })
	dm := onUI(func() string { return v.current })
	if onUI(func() bool { return ui.win.Canvas().Focused() != v.composer }) {
		t.Error("the message box does not have the keyboard in the DM just opened")
	}
	if h := onUI(func() string { return v.header.Text }); h != "Direct messages with bob" {
		t.Fatalf("header %q", h)
	}
	if l := onUI(func() string { l, _ := dmRowText(v.dms(), 0); return l }); l != "● bob" {
		t.Fatalf("DM row %q", l)
	}
	ctx := context.Background()
	if c, err := bob.Chat.OpenDM(ctx, "alice"); err != nil || c.Room != dm {
		t.Fatalf("bob's DM: %+v %v", c, err)
	}
	if err := bob.Chat.Join(ctx, dm); err != nil {
		t.Fatal(err)
	}
	bridge.DoAndWait(func() {
		test.Type(v.composer, "hi bob")
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	select {
	case text := <-bob.Texts:
		if text != "hi bob" {
			t.Fatalf("bob got %q", text)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("bob got nothing")
	}

	// Carol starts a DM and writes twice while alice is on bob's.
	cd, err := carol.Chat.OpenDM(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := carol.Chat.Join(ctx, cd.Room); err != nil {
		t.Fatal(err)
	}
	carol.Chat.Send(cd.Room, "lunch?")
	carol.Chat.Send(cd.Room, "12:30 at the usual place")
	waitUI(t, "carol's DM listed with 2 unread", func() bool {
		i := v.dms().index(cd.Room)
		if i < 0 {
			return false
		}
		l, c := dmRowText(v.dms(), i)
		return l == "● carol" && c == "2"
	})
	if n := onUI(v.unreadTotal); n != 2 {
		t.Fatalf("unread in all: %d", n)
	}
	screenshots(t, ui, "dm-list")

	// Showing it clears the count here and on the server.
	bridge.DoAndWait(func() { v.dms().list.Select(v.dms().index(cd.Room)) })
	waitUI(t, "carol's DM on screen", func() bool { return v.current == cd.Room && v.tl().len() == 2 })
	testserver.WaitFor(t, 20*time.Second, "read on the server", func() bool {
		list, err := ui.chat.Conversations(ctx)
		for _, c := range list {
			if c.Room == cd.Room {
				return err == nil && c.Unread == 0
			}
		}
		return false
	})
	// In the background, bob's DM counts what he writes; a click on its
	// notification brings it back, and coming back reads it on the server.
	bridge.DoAndWait(func() {
		ui.setForeground(false)
		v.switchRoom(wire.DefaultRoom)
	})
	if _, err := bob.Chat.Send(dm, "are you there?"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "bob's DM unread", func() bool { return v.room(dm).unread == 1 })
	unreadOnServer := func(room string) int {
		list, _ := ui.chat.Conversations(ctx)
		for _, c := range list {
			if c.Room == room {
				return c.Unread
			}
		}
		return -1
	}
	if n := unreadOnServer(dm); n != 1 {
		t.Fatalf("unread on the server while away: %d", n)
	}
	bridge.DoAndWait(func() {
		ui.openRoom(dm)
		ui.setForeground(true)
	})
	if cur := onUI(func() string { return v.current }); cur != dm {
		t.Fatalf("the notification opened %q, want %q", cur, dm)
	}
	testserver.WaitFor(t, 20*time.Second, "bob's DM read on the server", func() bool { return unreadOnServer(dm) == 0 })

	// Carol's presence shows in her row.
	carol.Chat.Close()
	waitUI(t, "carol offline", func() bool {
		l, _ := dmRowText(v.dms(), v.dms().index(cd.Room))
		return l == "○ carol"
	})
}

// A group is created, someone is invited, and leaving takes it off the list.
func TestPrivateGroupInApp(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	testchat.Join(t, env.URL, "carol", "password-c")
	ui := newScreenshotUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	waitUI(t, "people listed", func() bool { return len(v.userIDs) == 3 })

	// The new group dialog offers the others by name.
	bridge.DoAndWait(func() { v.dms().askNewGroup() })
	screenshots(t, ui, "dm-new-group")
	bridge.DoAndWait(func() {
		overlay := ui.win.Canvas().Overlays().Top()
		if overlay == nil {
			t.Fatal("no dialog")
		}
		var picker *container.Scroll
		for _, obj := range drawnObjects(overlay) {
			if sc, ok := obj.(*container.Scroll); ok {
				picker = sc
			}
		}
		if picker == nil {
			t.Fatal("no list of people in the new group dialog")
		}
		offered := map[string]bool{}
		for _, obj := range drawnObjects(picker) {
			if c, ok := obj.(*widget.Check); ok && c.Visible() {
				_, y := c.Position().Components()
				offered[c.Text] = y+c.Size().Height <= picker.Size().Height // in view without scrolling
			}
		}
		if !offered["bob"] || !offered["carol"] || offered["alice"] {
			t.Errorf("the new group dialog offers %v, want bob and carol in view", offered)
		}
		cancel := findTextButton(overlay, "Cancel")
		if cancel == nil {
			t.Fatal("no Cancel in the new group dialog")
		}
		test.Tap(cancel)
	})
	bridge.DoAndWait(func() { v.dms().create("Launch plans", []string{"bob"}) })
	waitUI(t, "the group on screen", func() bool { return wire.IsPrivateRoom(v.current) })
	room := onUI(func() string { return v.current })
	if h := onUI(func() string { return v.header.Text }); h != "Launch plans: alice, bob" {
		t.Fatalf("header %q", h)
	}
	if onUI(func() bool { return v.dms().tools.Hidden }) {
		t.Fatal("no invite and leave buttons for the group on screen")
	}
	// Alt+↓ from the last room goes on to the group, and Alt+Shift+↓ finds
	// it when it has unread messages.
	bridge.DoAndWait(func() {
		v.switchRoom(wire.DefaultRoom)
		v.stepRoom(+1)
	})
	if cur := onUI(func() string { return v.current }); cur != room {
		t.Fatalf("Alt+Down from #general went to %q, want the group %q", cur, room)
	}
	bridge.DoAndWait(func() { v.switchRoom(wire.DefaultRoom) })
	if err := bob.Chat.Join(context.Background(), room); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Chat.Send(room, "hello group"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the group's unread", func() bool { return v.room(room).unread == 1 })
	bridge.DoAndWait(v.nextUnread)
	if cur := onUI(func() string { return v.current }); cur != room {
		t.Fatalf("Alt+Shift+Down went to %q, want the group %q", cur, room)
	}
	bridge.DoAndWait(func() { v.dms().inviteUser(room, "carol") })
	waitUI(t, "carol in", func() bool { l, _ := dmRowText(v.dms(), 0); return l == "Launch plans (3)" })
	screenshots(t, ui, "dm-group")
	if list, err := bob.Chat.Conversations(context.Background()); err != nil || len(list) != 1 || len(list[0].Members) != 3 {
		t.Fatalf("bob's view: %+v %v", list, err)
	}

	bridge.DoAndWait(func() { v.dms().leaveGroup(room) })
	waitUI(t, "left", func() bool { return len(v.dms().order) == 0 && v.current == wire.DefaultRoom })
	if h := onUI(func() string { return v.header.Text }); !strings.HasPrefix(h, "# ") {
		t.Fatalf("header after leaving %q", h)
	}
	if !onUI(func() bool { return v.dms().tools.Hidden }) {
		t.Fatal("group tools shown for a public room")
	}
}

// findTextButton finds a widget.Button by its text in a tree.
func findTextButton(o fyne.CanvasObject, text string) *widget.Button {
	for _, obj := range drawnObjects(o) {
		if b, ok := obj.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}
