package app

import (
	"runtime"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// The chat window's keyboard shortcuts. Each is a menu item (the window
// tries its menu's shortcuts before the focused widget, so they work while
// typing in the composer) and is registered on the canvas (for windows
// without the menu bar, and the test driver).

// shortcut is one key and what it does in the chat window.
type shortcut struct {
	label string
	key   fyne.Shortcut
	run   func(v *chatView)
}

const ctrl = fyne.KeyModifierShortcutDefault

func custom(k fyne.KeyName, mod fyne.KeyModifier) fyne.Shortcut {
	return &desktop.CustomShortcut{KeyName: k, Modifier: mod}
}

// goShortcuts are the Go menu's items, in order.
func goShortcuts() []shortcut {
	return []shortcut{
		{"Find in this room", custom(fyne.KeyF, ctrl), func(v *chatView) { v.find.open() }},
		{"Search all rooms", custom(fyne.KeyF, ctrl|fyne.KeyModifierShift), func(v *chatView) { v.openSearch() }},
		{"Message box", custom(fyne.KeyL, ctrl), func(v *chatView) { v.focusComposer() }},
		{"Switch to a room…", custom(fyne.KeyK, ctrl), func(v *chatView) { v.ui.win.Canvas().Focus(v.roomBox) }},
		{"Previous room", custom(fyne.KeyUp, fyne.KeyModifierAlt), func(v *chatView) { v.stepRoom(-1) }},
		{"Next room", custom(fyne.KeyDown, fyne.KeyModifierAlt), func(v *chatView) { v.stepRoom(1) }},
		{"Next unread room", custom(fyne.KeyDown, fyne.KeyModifierAlt|fyne.KeyModifierShift), func(v *chatView) { v.nextUnread() }},
	}
}

// helpShortcut opens the list of shortcuts.
var helpShortcut = custom(fyne.KeySlash, ctrl)

// roomKeys are Ctrl+1 … Ctrl+9: the first nine rooms in the list.
var roomKeys = []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9}

// otherKeys are handled by the widgets themselves; the help lists them too.
var otherKeys = [][2]string{
	{"Enter", "Send the message (in the message box)"},
	{"Shift+Enter", "New line (in the message box)"},
	{"Tab / Enter", "Complete the @name offered (in the message box; Escape closes the list)"},
	{"Enter / Shift+Enter", "Next / previous match (in the find bar)"},
	{"Escape", "Close the find bar, back to the message box"},
	{"Tab / Shift+Tab", "Next / previous control"},
}

// registerShortcuts adds every shortcut to the window's canvas once; they
// act on the chat shown, if any.
func (ui *UI) registerShortcuts() {
	c := ui.win.Canvas()
	on := func(run func(v *chatView)) func(fyne.Shortcut) {
		return func(fyne.Shortcut) {
			if ui.view != nil {
				run(ui.view)
			}
		}
	}
	for _, s := range goShortcuts() {
		c.AddShortcut(s.key, on(s.run))
	}
	for i, k := range roomKeys {
		c.AddShortcut(custom(k, ctrl), on(func(v *chatView) { v.roomAt(i) }))
	}
	c.AddShortcut(helpShortcut, func(fyne.Shortcut) { ui.showShortcuts() })
	c.SetOnTypedKey(func(k *fyne.KeyEvent) { // nothing has the focus
		switch {
		case ui.asking != nil:
			ui.asking.key(k.Name)
		case k.Name == fyne.KeyEscape && ui.view != nil:
			ui.view.focusComposer()
		}
	})
}

// setMenus shows the chat window's menus: Confab, Go (with the rooms) and Help.
func (ui *UI) setMenus() {
	v := ui.view
	if v == nil {
		return
	}
	leave := fyne.NewMenuItem("Log out", ui.confirmLogout)
	if ui.host != nil {
		leave.Label = "Stop hosting and log out"
	}
	quit := fyne.NewMenuItem("Quit", ui.requestClose)
	quit.IsQuit = true
	admin := fyne.NewMenuItem(adminMenu, ui.showAdmin) // admin.go
	app := fyne.NewMenu("Confab", ui.notifyMenu(), admin, fyne.NewMenuItemSeparator(), leave, fyne.NewMenuItemSeparator(), quit)

	var items []*fyne.MenuItem
	for _, s := range goShortcuts() {
		run := s.run
		it := fyne.NewMenuItem(s.label, func() {
			if ui.view != nil {
				run(ui.view)
			}
		})
		it.Shortcut = s.key
		items = append(items, it)
	}
	items = append(items, fyne.NewMenuItemSeparator())
	for i, name := range v.joined {
		if i >= len(roomKeys) {
			break
		}
		i := i
		it := fyne.NewMenuItem("# "+name, func() {
			if ui.view != nil {
				ui.view.roomAt(i)
			}
		})
		it.Shortcut = custom(roomKeys[i], ctrl)
		it.Checked = name == v.current
		items = append(items, it)
	}
	help := fyne.NewMenuItem("Keyboard shortcuts", ui.showShortcuts)
	help.Shortcut = helpShortcut
	ui.win.SetMainMenu(fyne.NewMainMenu(app, fyne.NewMenu("Go", items...), fyne.NewMenu("Help", help)))
}

// showShortcuts lists every shortcut.
func (ui *UI) showShortcuts() {
	grid := container.NewGridWithColumns(2)
	add := func(keys, what string) {
		grid.Add(widget.NewLabelWithStyle(keys, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		grid.Add(widget.NewLabel(what))
	}
	for _, s := range goShortcuts() {
		add(keysText(s.key), s.label)
	}
	add(keysText(custom(fyne.Key1, ctrl))+" … "+string(fyne.Key9), "The first nine rooms")
	add(keysText(helpShortcut), "This list")
	for _, k := range otherKeys {
		add(k[0], k[1])
	}
	ui.ask("Keyboard shortcuts", grid, answer{label: "Close", primary: true})
}

// keysText is a shortcut as people read it, e.g. "Ctrl+K".
func keysText(s fyne.Shortcut) string {
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok {
		return s.ShortcutName()
	}
	var parts []string
	mods := []struct {
		m    fyne.KeyModifier
		name string
	}{{fyne.KeyModifierControl, "Ctrl"}, {fyne.KeyModifierSuper, superName()}, {fyne.KeyModifierAlt, "Alt"}, {fyne.KeyModifierShift, "Shift"}}
	for _, m := range mods {
		if cs.Modifier&m.m != 0 {
			parts = append(parts, m.name)
		}
	}
	key := string(cs.KeyName)
	switch cs.KeyName {
	case fyne.KeyUp:
		key = "↑"
	case fyne.KeyDown:
		key = "↓"
	}
	return strings.Join(append(parts, key), "+")
}

func superName() string {
	if runtime.GOOS == "darwin" {
		return "Cmd"
	}
	return "Super"
}

// focusComposer puts the keyboard in the message box.
func (v *chatView) focusComposer() {
	v.ui.win.Canvas().Focus(v.composer)
}

// roomAt shows the i-th room of the list, if there is one.
func (v *chatView) roomAt(i int) {
	if i < len(v.joined) {
		v.switchRoom(v.joined[i])
	}
}

// stepRoom shows the room above (-1) or below (+1), round the list.
func (v *chatView) stepRoom(step int) {
	rooms := v.listed()
	n := len(rooms)
	if n == 0 {
		return
	}
	i := (max(slices.Index(rooms, v.current), 0) + step + n) % n
	v.switchRoom(rooms[i])
}

// nextUnread shows the next room below the current one with unread
// messages, round the list; without any it stays.
func (v *chatView) nextUnread() {
	rooms := v.listed()
	n := len(rooms)
	at := max(slices.Index(rooms, v.current), 0)
	for k := 1; k < n; k++ {
		name := rooms[(at+k)%n]
		if v.room(name).unread > 0 {
			v.switchRoom(name)
			return
		}
	}
}
