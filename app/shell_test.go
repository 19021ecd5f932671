package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// pressKey types a key into what has the keyboard (the dialog, if one is
// shown), as the window would.
func pressKey(t *testing.T, ui *UI, key fyne.KeyName) {
	t.Helper()
	bridge.DoAndWait(func() { press(ui.win.Canvas(), key) })
}

// shortcutOn invokes a shortcut on the window's canvas.
func shortcutOn(ui *UI, s fyne.Shortcut) {
	bridge.DoAndWait(func() { ui.win.Canvas().(fyne.Shortcutable).TypedShortcut(s) })
}

// signedInView signs alice in on a fresh server and returns the view.
func signedInView(t *testing.T, ui *UI, url string, create bool) *chatView {
	t.Helper()
	signIn(t, ui, url, "alice", "password-a", create)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat != nil && ui.chat.State() == client.Online })
	return onUI(func() *chatView { return ui.view })
}

func joinAndWait(t *testing.T, v *chatView, room string) {
	t.Helper()
	bridge.DoAndWait(func() {
		v.roomBox.SetText(room)
		v.joinTyped()
	})
	waitUI(t, "in "+room, func() bool { return v.current == room })
}

// roomRows are the room list's rows as drawn: text, and whether bold.
func roomRows(ui *UI, v *chatView) map[string]bool {
	rows := map[string]bool{}
	bridge.DoAndWait(func() {
		for _, o := range test.LaidOutObjects(v.roomList) {
			if txt, ok := o.(*canvas.Text); ok && o.Visible() && strings.HasPrefix(txt.Text, "# ") {
				rows[txt.Text] = txt.TextStyle.Bold
			}
		}
	})
	return rows
}

// The list reuses its rows: the bold mark follows the current room.
func TestRoomListMarksTheCurrentRoom(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	v := signedInView(t, ui, env.URL, true)
	joinAndWait(t, v, "dev")
	if got := roomRows(ui, v); !got["# dev"] || got["# general"] || len(got) != 2 {
		t.Fatalf("in dev, rows drawn (bold): %v", got)
	}
	bridge.DoAndWait(func() { v.switchRoom("general") })
	if got := roomRows(ui, v); got["# dev"] || !got["# general"] {
		t.Fatalf("in general, rows drawn (bold): %v", got)
	}
	if h := onUI(func() string { return v.header.Text }); h != "# general" {
		t.Fatalf("header %q", h)
	}
	bridge.DoAndWait(func() { v.switchRoom("dev") })
	if h := onUI(func() string { return v.header.Text }); h != "# dev" {
		t.Fatalf("header %q", h)
	}
	// One row drawn for dev, then reused once for general.
	bridge.DoAndWait(func() {
		item := v.roomList.CreateItem().(*fyne.Container)
		row, _ := roomRowParts(item)
		test.NewWindow(item).Resize(fyne.NewSize(200, 40))
		for _, name := range []string{"dev", "general"} {
			v.updateRoomRow(v.roomIndex(name), item)
			// The text as the label handed it to its renderer (laying it
			// out again, as test.LaidOutObjects does, would hide staleness).
			seg := test.WidgetRenderer(row).Objects()[0].(*widget.RichText).Segments[0].(*widget.TextSegment)
			if seg.Text != "# "+name || seg.Style.TextStyle.Bold != (name == "dev") {
				t.Errorf("a reused row draws %q, bold %v", seg.Text, seg.Style.TextStyle.Bold)
			}
		}
	})
	waitUI(t, "online count in the header", func() bool { return v.headerInfo.Text == "1 of 1 online" })
}

// A wrong room name is explained by the room box, not in the connection
// banner, and the explanation goes when a room is joined.
func TestRoomErrorsShowByTheRoomBox(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	v := signedInView(t, ui, env.URL, true)
	bridge.DoAndWait(func() {
		v.roomBox.SetText("no spaces please")
		v.joinTyped()
	})
	if got := onUI(func() string {
		return fmt.Sprintf("room error %q (hidden %v), banner %q", v.roomErr.Text, v.roomErr.Hidden, v.banner.Text)
	}); got != fmt.Sprintf("room error %q (hidden false), banner %q", roomRules, "Connecting…") {
		t.Fatal(got)
	}
	if !strings.Contains(roomRules, "1 to 64 ") || !strings.HasSuffix(roomRules, ".") {
		t.Fatalf("rules %q", roomRules)
	}
	bridge.DoAndWait(func() {
		v.roomBox.SetText(" #Dev") // a '#' and capitals are forgiven
		v.joinTyped()
	})
	waitUI(t, "in dev", func() bool { return v.current == "dev" })
	if onUI(func() bool { return !v.roomErr.Hidden }) {
		t.Fatal("room error still shown after joining")
	}
	if got := joinErrText("x", &client.Error{Kind: client.ErrBadInput, Code: wire.ErrTooManyRooms}); !strings.HasPrefix(got, "You could not join #x: ") || !strings.HasSuffix(got, ".") {
		t.Fatalf("too many rooms: %q", got)
	}
}

// Joined rooms come back, with the room last shown, after a restart and
// after logging out and in again.
func TestJoinedRoomsAreRemembered(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	start := restartable(t)
	ui := start()
	v := signedInView(t, ui, env.URL, true)
	joinAndWait(t, v, "dev")
	joinAndWait(t, v, "ops")
	bridge.DoAndWait(func() { v.switchRoom("dev") })
	bridge.DoAndWait(ui.shutdown)

	want := []string{"general", "dev", "ops"}
	again := start()
	v = signedInView(t, again, env.URL, false)
	waitUI(t, "rooms rejoined, dev shown", func() bool { return slices.Equal(v.joined, want) && v.current == "dev" })
	bridge.DoAndWait(again.logout)
	waitUI(t, "login", func() bool { return again.login != nil })
	v = signedInView(t, again, env.URL, false)
	waitUI(t, "rooms rejoined after logging in again", func() bool { return slices.Equal(v.joined, want) && v.current == "dev" })
	// Another user on the same server has rooms of their own.
	bridge.DoAndWait(again.logout)
	waitUI(t, "login", func() bool { return again.login != nil })
	signIn(t, again, env.URL, "bob", "password-b", true)
	waitUI(t, "bob online", func() bool { return again.view != nil && again.chat.State() == client.Online })
	if got := onUI(func() []string { return again.view.joined }); !slices.Equal(got, []string{"general"}) {
		t.Fatalf("bob's rooms: %v", got)
	}
}

// At 700 and 800 px the three columns fit: the conversation is the widest
// and the room box shows its whole placeholder.
func TestColumnsFitNarrowWindows(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	v := signedInView(t, ui, env.URL, true)
	placeholder := onUI(func() float32 {
		return fyne.MeasureText(v.roomBox.PlaceHolder, theme.TextSize(), fyne.TextStyle{}).Width
	})
	for _, tc := range []struct {
		size fyne.Size
		conv float32
	}{{fyne.NewSize(700, 500), 330}, {fyne.NewSize(800, 600), 420}} {
		sizes := onUI(func() [4]float32 {
			ui.win.Resize(tc.size)
			return [4]float32{v.msgList.Size().Width, v.roomList.Size().Width, v.userList.Size().Width, v.roomBox.Size().Width}
		})
		conv, rooms, people, box := sizes[0], sizes[1], sizes[2], sizes[3]
		t.Logf("%v: rooms %.0f, conversation %.0f, people %.0f, room box %.0f (placeholder %.0f)", tc.size, rooms, conv, people, box, placeholder)
		if conv < tc.conv || conv <= rooms || conv <= people {
			t.Errorf("%v: conversation %.0f px (rooms %.0f, people %.0f)", tc.size, conv, rooms, people)
		}
		// The text, its inset on both sides, and the "+" button.
		if need := placeholder + 4*4 + 20; box < need {
			t.Errorf("%v: room box %.0f px, its placeholder needs %.0f", tc.size, box, need)
		}
	}
	// Dividers dragged to the edges keep the side columns usable.
	sizes := onUI(func() [2]float32 {
		split := v.content.(*container.Split)
		split.SetOffset(0)
		split.Trailing.(*container.Split).SetOffset(1)
		return [2]float32{v.roomBox.Size().Width, v.userList.Size().Width}
	})
	if need := placeholder + 4*4 + 20; sizes[0] < need || sizes[1] < peopleMinWidth {
		t.Errorf("dividers at the edges: room box %.0f px (needs %.0f), people %.0f px", sizes[0], need, sizes[1])
	}
}

// Keyboard shortcuts switch rooms, jump to unread, focus the composer and
// find text; each is also in the menu (which works while typing).
func TestShortcuts(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newUI(t)
	v := signedInView(t, ui, env.URL, true)
	joinAndWait(t, v, "dev")
	joinAndWait(t, v, "ops")
	current := func() string { return onUI(func() string { return v.current }) }

	shortcutOn(ui, custom(fyne.Key1, ctrl))
	if c := current(); c != "general" {
		t.Fatalf("Ctrl+1: %s", c)
	}
	shortcutOn(ui, custom(fyne.KeyDown, fyne.KeyModifierAlt))
	if c := current(); c != "dev" {
		t.Fatalf("Alt+Down: %s", c)
	}
	shortcutOn(ui, custom(fyne.KeyUp, fyne.KeyModifierAlt))
	shortcutOn(ui, custom(fyne.KeyUp, fyne.KeyModifierAlt))
	if c := current(); c != "ops" {
		t.Fatalf("Alt+Up twice from dev (round the list): %s", c)
	}
	shortcutOn(ui, custom(fyne.Key9, ctrl)) // no ninth room: nothing happens
	if c := current(); c != "ops" {
		t.Fatalf("Ctrl+9: %s", c)
	}

	// A message in dev while ops is shown: counted in the title; Alt+Shift+Down goes there.
	if err := bob.Chat.Join(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	bob.Chat.Send("dev", "look at this")
	waitUI(t, "unread in the title", func() bool { return ui.win.Title() == "Confab (1)" })
	shortcutOn(ui, custom(fyne.KeyDown, fyne.KeyModifierAlt|fyne.KeyModifierShift))
	if c := current(); c != "dev" || onUI(ui.win.Title) != "Confab" {
		t.Fatalf("next unread: %s, title %q", c, onUI(ui.win.Title))
	}

	// Ctrl+K: the room box; Escape: back to the composer; Ctrl+L too.
	shortcutOn(ui, custom(fyne.KeyK, ctrl))
	if onUI(func() bool { return ui.win.Canvas().Focused() != v.roomBox }) {
		t.Fatal("Ctrl+K did not focus the room box")
	}
	pressKey(t, ui, fyne.KeyEscape)
	if onUI(func() bool { return ui.win.Canvas().Focused() != v.composer }) {
		t.Fatal("Escape did not focus the composer")
	}
	bridge.DoAndWait(func() { ui.win.Canvas().Unfocus() })
	shortcutOn(ui, custom(fyne.KeyL, ctrl))
	if onUI(func() bool { return ui.win.Canvas().Focused() != v.composer }) {
		t.Fatal("Ctrl+L did not focus the composer")
	}

	// Ctrl+F finds in the loaded messages, newest first; Enter goes to older ones.
	bridge.DoAndWait(func() {
		for _, m := range []string{"alpha one", "beta", "Alpha two"} {
			v.tl().add(wire.Message{ID: int64(len(m) + 1000*len(v.tl().stored)), Room: "dev", Text: m})
		}
		v.msgList.Refresh()
	})
	shortcutOn(ui, custom(fyne.KeyF, ctrl))
	if onUI(func() bool { return !v.find.box.Visible() || ui.win.Canvas().Focused() != v.find.entry }) {
		t.Fatal("Ctrl+F did not open the find bar")
	}
	bridge.DoAndWait(func() { test.Type(v.find.entry, "alpha") })
	shown := func() string { return onUI(func() string { return v.tl().at(v.find.matches[v.find.at]).msg.Text }) }
	if got := onUI(func() string { return v.find.count.Text }); got != "2 of 2" || shown() != "Alpha two" {
		t.Fatalf("find: %q, shown %q", got, shown())
	}
	pressKey(t, ui, fyne.KeyReturn)
	if got := onUI(func() string { return v.find.count.Text }); got != "1 of 2" || shown() != "alpha one" {
		t.Fatalf("find, Enter: %q, shown %q", got, shown())
	}
	pressKey(t, ui, fyne.KeyEscape)
	if onUI(func() bool { return v.find.box.Visible() || ui.win.Canvas().Focused() != v.composer }) {
		t.Fatal("Escape did not close the find bar")
	}

	// Every shortcut is in the menu too, and the help lists them.
	menu := onUI(ui.win.MainMenu)
	inMenu := map[string]bool{}
	var walk func(items []*fyne.MenuItem)
	walk = func(items []*fyne.MenuItem) {
		for _, it := range items {
			if it.Shortcut != nil {
				inMenu[it.Shortcut.ShortcutName()] = true
			}
		}
	}
	for _, m := range menu.Items {
		walk(m.Items)
	}
	for _, s := range goShortcuts() {
		if !inMenu[s.key.ShortcutName()] {
			t.Errorf("%s (%s) is not in the menu", s.label, keysText(s.key))
		}
	}
	shortcutOn(ui, helpShortcut)
	if onUI(func() bool { return ui.asking == nil }) {
		t.Fatal("no shortcut list")
	}
	pressKey(t, ui, fyne.KeyEscape)
	if onUI(func() bool { return ui.asking != nil }) {
		t.Fatal("Escape did not close the shortcut list")
	}
}

// trayApp is the test app with a system tray that records what it shows.
type trayApp struct {
	fyne.App
	menu *fyne.Menu
	icon fyne.Resource
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) SetSystemTrayWindow(fyne.Window)   {}
func (a *trayApp) testTray()                         {} // shown whatever the desktop

// Closing the window while hosting asks: keep hosting in the tray (Enter),
// or stop and quit; without hosting it closes at once. (While hosting, the
// room list also keeps its rows beside the host panel.)
func TestClosingWhileHosting(t *testing.T) {
	tray := &trayApp{App: test.NewTempApp(t)}
	dir := t.TempDir()
	ui := onUI(func() *UI { return New(tray, NoLAN(), StorageDir(dir)) })
	t.Cleanup(func() { bridge.DoAndWait(ui.shutdown) })
	if tray.menu == nil || tray.icon == nil {
		t.Fatal("no tray")
	}
	hostAs(ui, freePort(t), "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.host != nil && ui.view != nil })
	// The host panel leaves the rooms a few rows at 700×500, and the
	// conversation its width (it had 270 px).
	rows, conv := onUI(func() float32 {
		ui.win.Resize(fyne.NewSize(700, 500))
		return ui.view.roomList.Size().Height / newRoomRow().MinSize().Height
	}), onUI(func() float32 { return ui.view.msgList.Size().Width })
	t.Logf("hosting at 700×500: %.1f room rows, conversation %.0f px", rows, conv)
	if rows < 3 || conv < 300 {
		t.Errorf("hosting at 700×500, the room list has room for %.1f rows, the conversation %.0f px", rows, conv)
	}
	bridge.DoAndWait(ui.requestClose)
	q := onUI(func() *question { return ui.asking })
	if q == nil || len(q.answers) != 3 {
		t.Fatalf("closing while hosting asked %v", q)
	}
	pressKey(t, ui, fyne.KeyEscape) // cancel
	if onUI(func() bool { return ui.asking != nil || ui.inTray || ui.host == nil }) {
		t.Fatal("Escape did not cancel")
	}
	bridge.DoAndWait(ui.requestClose)
	pressKey(t, ui, fyne.KeyReturn) // keep hosting in the tray
	if onUI(func() bool { return !ui.inTray || ui.host == nil || ui.asking != nil }) {
		t.Fatal("Enter did not keep hosting in the tray")
	}
	// The tray's Show brings the window back; unread messages are counted there.
	bridge.DoAndWait(func() {
		ui.view.room("elsewhere").unread = 2
		ui.view.joined = append(ui.view.joined, "elsewhere")
		ui.view.unreadChanged()
	})
	if l := tray.menu.Items[0].Label; l != "Show Confab (2 unread)" || tray.icon.Name() != "confab-tray-unread.png" {
		t.Fatalf("tray menu says %q, icon %s", l, tray.icon.Name())
	}
	bridge.DoAndWait(tray.menu.Items[0].Action)
	if onUI(func() bool { return ui.inTray }) {
		t.Fatal("Show did not bring the window back")
	}

	// Not hosting: closing closes.
	plain := newUI(t)
	bridge.DoAndWait(plain.requestClose)
	if onUI(func() bool {
		return plain.asking != nil || slices.Contains(fyne.CurrentApp().Driver().AllWindows(), plain.win)
	}) {
		t.Fatal("closing without hosting did not close the window")
	}
}

// The window's size is remembered, within bounds.
func TestWindowSizeIsRemembered(t *testing.T) {
	start := restartable(t)
	ui := start()
	bridge.DoAndWait(func() {
		ui.win.Resize(fyne.NewSize(1111, 777))
		ui.requestClose()
	})
	if got := start().win.Canvas().Size(); got != fyne.NewSize(1111, 777) {
		t.Fatalf("restored %v", got)
	}
	ui.app.Preferences().SetFloat(prefWinWidth, 20)
	ui.app.Preferences().SetFloat(prefWinHeight, 1e6)
	if got := start().win.Canvas().Size(); got != fyne.NewSize(minWinSize.Width, maxWinSize.Height) {
		t.Fatalf("a remembered size out of bounds became %v", got)
	}
}

// Log out while hosting ends the chat for everyone: it is asked first;
// Escape keeps hosting, Enter logs out.
func TestLogoutWhileHostingAsks(t *testing.T) {
	ui := newUI(t)
	hostAs(ui, freePort(t), "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.host != nil && ui.view != nil })
	bridge.DoAndWait(ui.confirmLogout)
	pressKey(t, ui, fyne.KeyEscape)
	if onUI(func() bool { return ui.asking != nil || ui.host == nil || ui.view == nil }) {
		t.Fatal("Escape did not keep hosting")
	}
	bridge.DoAndWait(ui.confirmLogout)
	pressKey(t, ui, fyne.KeyReturn)
	waitUI(t, "login after stopping", func() bool { return ui.login != nil && ui.host == nil })
}

// TestShellScreenshots saves the chat window at 700×500 (rooms, header,
// find bar), the shortcut list, and the question when closing while
// hosting, in test-artifacts/.
func TestShellScreenshots(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newUI(t)
	v := signedInView(t, ui, env.URL, true)
	joinAndWait(t, v, "design-review")
	joinAndWait(t, v, "dev")
	for _, r := range []string{"design-review", "dev"} {
		if err := bob.Chat.Join(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	bob.Chat.Send("dev", "The mockups are ready for review.")
	bob.Chat.Send("design-review", "Anyone free at three?")
	waitUI(t, "messages", func() bool { return v.tl().len() == 1 && v.room("design-review").unread == 1 })
	bridge.DoAndWait(func() { v.send("Thanks, the mockups look good.") })
	waitUI(t, "sent", func() bool { return v.tl().len() == 2 && v.tl().at(1).outgoing == nil })
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(700, 500)) })
	shortcutOn(ui, custom(fyne.KeyF, ctrl))
	bridge.DoAndWait(func() { test.Type(v.find.entry, "mockups") })
	screenshot(t, ui, "shell-chat-700.png")
	pressKey(t, ui, fyne.KeyEscape)
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(800, 600)) })
	shortcutOn(ui, helpShortcut)
	screenshot(t, ui, "shell-shortcuts.png")
	pressKey(t, ui, fyne.KeyEscape)

	tray := &trayApp{App: test.NewTempApp(t)}
	dir := t.TempDir()
	host := onUI(func() *UI { return New(tray, NoLAN(), StorageDir(dir)) })
	t.Cleanup(func() { bridge.DoAndWait(host.shutdown) })
	hostAs(host, freePort(t), "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return host.host != nil && host.view != nil })
	bridge.DoAndWait(func() {
		host.win.Resize(fyne.NewSize(800, 600))
		host.requestClose()
	})
	screenshot(t, host, "shell-close-hosting.png")
	if err := os.WriteFile(filepath.Join("..", "test-artifacts", "shell-tray-unread.png"), trayIcon(nil, true).Content(), 0o644); err != nil {
		t.Error(err)
	}
}

// restartable returns a start for the app that keeps one storage, as a
// restart on one computer does.
func restartable(t *testing.T) func() *UI {
	a := test.NewTempApp(t)
	dir := t.TempDir()
	return func() *UI {
		ui := onUI(func() *UI { return New(a, NoLAN(), StorageDir(dir)) })
		t.Cleanup(func() { bridge.DoAndWait(ui.shutdown) })
		return ui
	}
}
