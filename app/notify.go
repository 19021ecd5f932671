package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"

	"confab/app/attention"
	"confab/app/bridge"
	"confab/app/notify"
	"confab/wire"
)

// What a new message does while the window is in the background: a
// desktop notification (package notify, never on the UI thread), the
// urgency hint on the window, and the unread count of the room on screen.
// A muted room (mentions.go) notifies only of mentions.

const prefNotify = "notifications" // what notifications show: notify.Show's String

// alerting is the UI's part of it.
type alerting struct {
	bus     string        // the D-Bus address for notifications ("" the session's)
	expire  time.Duration // how long notifications stay (0: notify's default)
	notes   *notify.Notifier
	urgent  bool // the window asks for attention
	urgency attention.Urgency
}

// NotifyBus sends notifications to the D-Bus at addr instead of the
// session bus (tests: a private bus with a notification server).
func NotifyBus(addr string) Option { return func(ui *UI) { ui.alerts.bus = addr } }

// startNotes starts the notifier; New calls it.
func (ui *UI) startNotes() {
	ui.alerts.notes = notify.New(notify.Config{AppName: "Confab", AppID: ui.app.UniqueID(), App: ui.app, Address: ui.alerts.bus,
		Expire: ui.alerts.expire})
	ui.alerts.notes.SetShow(ui.notifyShow())
	ui.alerts.notes.OnClick(func(room string) { bridge.Do(func() { ui.openRoom(room) }) })
}

func (ui *UI) notifyShow() notify.Show {
	return notify.ParseShow(ui.app.Preferences().String(prefNotify))
}

// setNotifyShow is the user's choice in the menu.
func (ui *UI) setNotifyShow(s notify.Show) {
	ui.app.Preferences().SetString(prefNotify, s.String())
	ui.alerts.notes.SetShow(s)
	ui.setMenus()
}

// notifyMenu is the Confab menu's choice of what notifications show.
func (ui *UI) notifyMenu() *fyne.MenuItem {
	current := ui.notifyShow()
	var items []*fyne.MenuItem
	for _, s := range notify.Shows {
		it := fyne.NewMenuItem(s.Label(), func() { ui.setNotifyShow(s) })
		it.Checked = s == current
		items = append(items, it)
	}
	if mute := ui.muteItem(); mute != nil {
		items = append(items, fyne.NewMenuItemSeparator(), mute)
	}
	m := fyne.NewMenuItem("Notifications", nil)
	m.ChildMenu = fyne.NewMenu("", items...)
	return m
}

// notifyMessage is a live message from someone else while the window is
// in the background.
func (ui *UI) notifyMessage(m wire.Message, me string) {
	mention := notify.Mentions(m.Text, me)
	if !mention && ui.view != nil && ui.view.muted(m.Room) {
		return // muted: only a mention notifies (mentions.go)
	}
	ui.alerts.notes.Post(notify.Message{Room: m.Room, Sender: m.Author.Username, Text: m.Text,
		Mention: mention, Place: ui.place(m.Room)})
	ui.setUrgent(true)
}

// setForeground follows the window's focus. Coming back, the room on
// screen is seen: its unread count, its notification and the urgency
// hint go.
func (ui *UI) setForeground(on bool) {
	ui.foreground = on
	if !on {
		return
	}
	ui.setUrgent(false)
	if v := ui.view; v != nil {
		if t := v.room(v.current); t.unread > 0 {
			t.unread = 0
			v.unreadChanged()
		}
		ui.alerts.notes.Seen(v.current)
		v.dms().markRead(v.current)
	}
}

// openRoom is a click on a room's notification: the window comes
// forward on that room.
func (ui *UI) openRoom(room string) {
	ui.showWindow()
	if v := ui.view; v != nil && (v.roomIndex(room) >= 0 || v.dms().has(room)) && room != v.current {
		v.switchRoom(room)
	}
}

// setUrgent asks for attention on the window (X11's urgency hint), or stops.
func (ui *UI) setUrgent(on bool) {
	if ui.alerts.urgent == on {
		return
	}
	ui.alerts.urgent = on
	if nw, ok := ui.win.(driver.NativeWindow); ok {
		nw.RunNative(func(ctx any) {
			if x, ok := ctx.(driver.X11WindowContext); ok {
				ui.alerts.urgency.Set(x.WindowHandle, on)
			}
		})
	}
}
