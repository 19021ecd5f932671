package app

import (
	"context"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// Mentions: "@name" is offered for completion while it is typed in the
// composer, drawn highlighted in messages (markdown.go's mdMention), and
// notifies the person named even in a room whose notifications they muted
// (notify.go).

// mentionLen is the length of the mention at the start of s ("@name",
// without a final dot: "@bob." ends a sentence), or 0 if there is none.
func mentionLen(s string) int {
	n := 1
	for n < len(s) && isNameByte(s[n]) {
		n++
	}
	for n > 1 && s[n-1] == '.' {
		n--
	}
	if n == 1 {
		return 0
	}
	return n
}

// isNameByte: the characters of a username (wire's rule).
func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.'
}

func isNameRune(r rune) bool { return r < 0x80 && isNameByte(byte(r)) }

// mentionMax is how many names the completion offers at once.
const mentionMax = 6

// completer takes the composer's keys first while it offers something,
// and follows its text and cursor.
type completer interface {
	update()
	key(k *fyne.KeyEvent) bool
	open() bool
}

// mentionBox offers the names that complete the "@na" before the cursor,
// in a small list above the composer: Up and Down choose, Tab or Enter
// completes, Escape closes it (until another "@" is typed), and a click
// completes with that name.
type mentionBox struct {
	v         *chatView
	box       *fyne.Container // the rows, hidden while closed
	names     []string
	sel       int
	start     int // the rune offset of the '@' completed, or -1
	dismissed int // the '@' Escape closed the list at, or -1
}

func newMentionBox(v *chatView) *mentionBox {
	m := &mentionBox{v: v, box: container.NewVBox(), start: -1, dismissed: -1}
	m.box.Hide()
	return m
}

func (m *mentionBox) open() bool { return m.start >= 0 }

// token finds the "@prefix" the cursor ends: the '@' offset and the
// prefix, or -1.
func (m *mentionBox) token() (int, string) {
	c := m.v.composer
	if c.cur != c.anchor {
		return -1, ""
	}
	i := c.cur
	for i > 0 && isNameRune(c.text[i-1]) {
		i--
	}
	if i == 0 || c.text[i-1] != '@' || (i >= 2 && isNameRune(c.text[i-2])) {
		return -1, ""
	}
	return i - 1, string(c.text[i:c.cur])
}

// update looks at the text before the cursor again.
func (m *mentionBox) update() {
	at, prefix := m.token()
	if at != m.dismissed {
		m.dismissed = -1
	}
	if at < 0 || at == m.dismissed {
		m.close()
		return
	}
	names := m.candidates(prefix)
	if len(names) == 0 {
		m.close()
		return
	}
	if at != m.start || !sameNames(names, m.names) {
		m.sel = 0
	}
	m.start, m.names = at, names
	m.show()
}

// candidates are the known users (not oneself) whose names start with
// prefix, any case: those online first, then by name.
func (m *mentionBox) candidates(prefix string) []string {
	prefix = strings.ToLower(prefix)
	var users []wire.User
	for _, u := range m.v.users {
		if u.ID != m.v.me.ID && strings.HasPrefix(strings.ToLower(u.Username), prefix) {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool {
		if users[i].Online != users[j].Online {
			return users[i].Online
		}
		return strings.ToLower(users[i].Username) < strings.ToLower(users[j].Username)
	})
	var names []string
	for i := 0; i < len(users) && i < mentionMax; i++ {
		names = append(names, users[i].Username)
	}
	return names
}

func sameNames(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func (m *mentionBox) show() {
	rows := make([]fyne.CanvasObject, len(m.names))
	for i, name := range m.names {
		rows[i] = newMentionRow("@"+name, i == m.sel, func() { m.pick(i) })
	}
	m.box.Objects = rows
	m.box.Show()
	m.box.Refresh()
}

func (m *mentionBox) close() {
	m.start, m.names, m.sel = -1, nil, 0
	if m.box.Visible() {
		m.box.Objects = nil
		m.box.Hide()
	}
}

func (m *mentionBox) key(k *fyne.KeyEvent) bool {
	if !m.open() {
		return false
	}
	switch k.Name {
	case fyne.KeyUp:
		m.sel = (m.sel + len(m.names) - 1) % len(m.names)
		m.show()
	case fyne.KeyDown:
		m.sel = (m.sel + 1) % len(m.names)
		m.show()
	case fyne.KeyTab, fyne.KeyReturn, fyne.KeyEnter:
		m.pick(m.sel)
	case fyne.KeyEscape:
		m.dismissed = m.start
		m.close()
	default:
		return false
	}
	return true
}

// pick completes the name, with a space after it unless one follows.
func (m *mentionBox) pick(i int) {
	if !m.open() || i < 0 || i >= len(m.names) {
		return
	}
	c := m.v.composer
	end := c.cur
	for end < len(c.text) && isNameRune(c.text[end]) {
		end++ // the rest of a name the cursor was inside
	}
	name := []rune(m.names[i])
	spaced := end < len(c.text) && c.text[end] == ' '
	if !spaced {
		name = append(name, ' ')
	}
	from := m.start + 1
	m.close()
	c.replace(from, end, name, editOther)
	if spaced {
		c.moveTo(c.cur + 1) // past the space that was there
	}
	c.requestFocus()
}

// mentionRow is one name offered: the chosen one highlighted; a click
// completes with it.
type mentionRow struct {
	widget.BaseWidget
	text  string
	sel   bool
	onTap func()
}

func newMentionRow(text string, sel bool, onTap func()) *mentionRow {
	r := &mentionRow{text: text, sel: sel, onTap: onTap}
	r.ExtendBaseWidget(r)
	return r
}

func (r *mentionRow) Tapped(*fyne.PointEvent) { r.onTap() }

func (r *mentionRow) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	if r.sel {
		bg.FillColor = theme.Color(theme.ColorNameSelection)
	}
	bg.CornerRadius = theme.InputRadiusSize()
	l := widget.NewLabelWithStyle(r.text, fyne.TextAlignLeading, fyne.TextStyle{Bold: r.sel})
	return widget.NewSimpleRenderer(container.NewStack(bg, l))
}

// mentioned is a message naming us in a room we have not joined: the room
// is joined and listed with it unread, and while the window is in the
// background it notifies, as any mention does.
func (v *chatView) mentioned(m wire.Message) {
	if v.roomIndex(m.Room) >= 0 {
		return // joined meanwhile: it comes as a message
	}
	if !v.focused() {
		v.ui.notifyMessage(m, v.me.Username)
	}
	chat := v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := chat.Join(ctx, m.Room)
		bridge.Do(func() {
			if v.roomIndex(m.Room) >= 0 || !v.listJoined(m.Room, err) {
				return
			}
			v.room(m.Room).unread++
			v.roomList.Refresh()
			v.roomsChanged()
		})
	}()
}

// ---- muted rooms ----

// mutedKey is where the rooms this user muted on this server are kept.
func (v *chatView) mutedKey() string { return v.roomsKey() + ":muted" }

// muted reports whether room's notifications are muted: only a mention
// of the user notifies then.
func (v *chatView) muted(room string) bool {
	if v.chat == nil {
		return false
	}
	for _, r := range v.ui.app.Preferences().StringList(v.mutedKey()) {
		if r == room {
			return true
		}
	}
	return false
}

// setMuted mutes or unmutes a room's notifications.
func (v *chatView) setMuted(room string, on bool) {
	var rooms []string
	for _, r := range v.ui.app.Preferences().StringList(v.mutedKey()) {
		if r != room {
			rooms = append(rooms, r)
		}
	}
	if on {
		rooms = append(rooms, room)
	}
	v.ui.app.Preferences().SetStringList(v.mutedKey(), rooms)
	v.ui.setMenus()
}

// muteItem is the Notifications menu's switch for the room on screen.
func (ui *UI) muteItem() *fyne.MenuItem {
	v := ui.view
	if v == nil {
		return nil
	}
	room := v.current
	on := v.muted(room)
	it := fyne.NewMenuItem("Mute #"+room+" (mentions still notify)", func() { v.setMuted(room, !on) })
	it.Checked = on
	return it
}
