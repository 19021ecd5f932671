package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// The room column: the rooms joined, the box to join one, and the header
// above the conversation. Joined rooms are remembered per chat server and
// user, and rejoined on the next sign-in.

// roomPlaceholder is the room box's hint; the column is never narrower
// than it (the test checks it is shown whole at 700 px).
const roomPlaceholder = "Join a room"

// roomRules says what a room name may be, from wire's limit.
var roomRules = fmt.Sprintf("A room name is 1 to %d lowercase letters, digits, '-' or '_', and starts with a letter or digit.", wire.MaxRoomLen)

// roomEntry is the room box: Enter joins (or switches to) the room typed,
// Escape goes back to the composer.
type roomEntry struct {
	widget.Entry
	escape func()
}

func newRoomEntry(escape func()) *roomEntry {
	e := &roomEntry{escape: escape}
	e.ExtendBaseWidget(e)
	return e
}

func (e *roomEntry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.escape != nil {
		e.escape()
		return
	}
	e.Entry.TypedKey(k)
}

// buildRooms makes the room list, the room box with its error line, and
// the header; build lays them out.
func (v *chatView) buildRooms() {
	v.roomList = widget.NewList(func() int { return len(v.joined) }, v.newTippedRoomRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { v.updateRoomRow(i, o.(*fyne.Container)) })
	v.roomList.OnSelected = func(i widget.ListItemID) {
		if i < len(v.joined) && v.joined[i] != v.current {
			v.switchRoom(v.joined[i])
		}
	}
	v.roomList.Select(v.roomIndex(v.current)) // highlighted from the start
	v.roomBox = newRoomEntry(v.focusComposer)
	v.roomBox.SetPlaceHolder(roomPlaceholder)
	v.roomBox.OnSubmitted = func(string) { v.joinTyped() }
	v.roomBox.ActionItem = widget.NewButtonWithIcon("", theme.ContentAddIcon(), v.joinTyped)
	v.roomErr = widget.NewLabel("")
	v.roomErr.Importance = widget.DangerImportance
	v.roomErr.Wrapping = fyne.TextWrapWord
	v.roomErr.Hide()

	v.header = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.header.Truncation = fyne.TextTruncateEllipsis
	v.headerInfo = widget.NewLabel("")
	v.headerInfo.Importance = widget.LowImportance
	v.updateHeader()
}

// roomColumnTop is the room box and its error, above the host panel.
func (v *chatView) roomColumnTop() fyne.CanvasObject {
	v.roomTop = container.NewVBox(v.roomBox, v.roomErr)
	return v.roomTop
}

// headerBar is the room's name and who is online, above the conversation.
func (v *chatView) headerBar() fyne.CanvasObject {
	return container.NewBorder(nil, widget.NewSeparator(), nil, v.headerInfo, withTip(v.header, v.header, v.tips, false))
}

// newRoomRow is a room's name (cut with "…" when long: it must not widen
// the column) and its unread count beside it, never cut.
func newRoomRow() fyne.CanvasObject {
	name := widget.NewLabel("room")
	name.Truncation = fyne.TextTruncateEllipsis
	count := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	count.Importance = widget.HighImportance
	return container.NewBorder(nil, nil, nil, count, name)
}

// newTippedRoomRow is a room row with a tooltip for a name cut short.
func (v *chatView) newTippedRoomRow() fyne.CanvasObject {
	row := newRoomRow().(*fyne.Container)
	name, _ := roomRowParts(row)
	return withTip(row, name, v.tips, true)
}

// roomRowParts are a room row's name and count.
func roomRowParts(row *fyne.Container) (name, count *widget.Label) {
	if _, ok := row.Objects[0].(*nameTip); ok {
		row = tipped(row).(*fyne.Container)
	}
	return row.Objects[0].(*widget.Label), row.Objects[1].(*widget.Label)
}

// updateRoomRow draws one joined room: the current one bold, one with
// unread messages highlighted, with their count.
func (v *chatView) updateRoomRow(i widget.ListItemID, row *fyne.Container) {
	if i >= len(v.joined) {
		return
	}
	l, count := roomRowParts(row)
	name := v.joined[i]
	unread := v.room(name).unread
	// The style is set before SetText, which redraws: the list reuses rows,
	// and a row must not keep the style of the room it showed before.
	l.TextStyle.Bold = name == v.current
	l.Importance = widget.MediumImportance
	count.Hide()
	if unread > 0 {
		l.Importance = widget.HighImportance
		count.SetText(fmt.Sprint(unread))
		count.Show()
	}
	l.SetText("# " + name)
	row.Refresh()
}

// updateHeader shows the current room and how many people are online.
func (v *chatView) updateHeader() {
	if v.header == nil {
		return
	}
	v.header.SetText(v.roomTitle(v.current))
	online := 0
	for _, u := range v.users {
		if u.Online {
			online++
		}
	}
	switch {
	case !v.online || len(v.users) == 0:
		v.headerInfo.SetText("")
	case online == 1:
		v.headerInfo.SetText(fmt.Sprintf("1 of %d online", len(v.users)))
	default:
		v.headerInfo.SetText(fmt.Sprintf("%d of %d online", online, len(v.users)))
	}
	if note, private := v.dms().headerNote(v.current); private {
		v.headerInfo.SetText(note)
	}
}

func (v *chatView) roomIndex(name string) int {
	for i, r := range v.joined {
		if r == name {
			return i
		}
	}
	return -1
}

// switchRoom shows another joined room.
func (v *chatView) switchRoom(name string) {
	i := v.roomIndex(name)
	if i < 0 && !v.dms().has(name) {
		return
	}
	v.current = name
	v.room(name).unread = 0
	v.ui.alerts.notes.Seen(name)
	if i >= 0 {
		v.roomList.Select(i) // OnSelected sees the current room: no loop
	}
	v.dms().selected(name)
	v.roomList.Refresh()
	v.updateHeader()
	v.msgList.show() // another room's rows
	v.scrollDown()
	v.find.search()
	v.roomsChanged()
	v.typing().show()
}

// joinTyped joins the room typed in the room box (a leading '#' and
// capitals are forgiven), or switches to it when already joined.
func (v *chatView) joinTyped() {
	name := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v.roomBox.Text), "#"))
	v.join(name, &v.roomBox.Entry)
}

func (v *chatView) join(name string, entry *widget.Entry) {
	if !wire.ValidRoom(name) {
		v.showRoomErr(roomRules)
		return
	}
	v.showRoomErr("")
	entry.SetText("")
	if v.roomIndex(name) >= 0 {
		v.switchRoom(name)
		return
	}
	v.joinRoom(name, true)
}

// listJoined takes the outcome of joining name: it says why it failed by
// the room box, or lists the room. It is false when the room was not joined
// or the view is gone.
func (v *chatView) listJoined(name string, err error) bool {
	if v.ui.view != v {
		return false
	}
	if err != nil {
		v.showRoomErr(joinErrText(name, err))
		return false
	}
	if v.roomIndex(name) < 0 {
		v.room(name)
		v.joined = append(v.joined, name)
	}
	return true
}

// joinRoom joins on the server, then lists the room (and shows it if show).
func (v *chatView) joinRoom(name string, show bool) {
	chat := v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := chat.Join(ctx, name)
		bridge.Do(func() {
			if !v.listJoined(name, err) {
				return
			}
			v.showRoomErr("")
			if show {
				v.switchRoom(name)
				return
			}
			v.roomList.Refresh()
			v.roomsChanged()
		})
	}()
}

// showRoomErr says why a room could not be joined, by the room box; ""
// clears it.
func (v *chatView) showRoomErr(text string) {
	v.roomErr.SetText(text)
	v.roomErr.Hidden = text == ""
	if v.roomTop != nil {
		v.roomTop.Refresh() // the column lays out the line (or its absence)
	}
}

// joinErrText says in a sentence why a room could not be joined.
func joinErrText(room string, err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		switch ce.Code {
		case wire.ErrInvalidRoom:
			return roomRules
		case wire.ErrTooManyRooms:
			return fmt.Sprintf("You could not join #%s: you are in as many rooms as the server allows.", room)
		case wire.ErrRateLimited:
			return fmt.Sprintf("You could not join #%s: too many requests at once. Try again in a moment.", room)
		}
	}
	switch {
	case errors.Is(err, client.ErrOffline), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("You could not join #%s: the chat is not connected. Try again when it is back.", room)
	case errors.Is(err, client.ErrClosed), errors.Is(err, client.ErrSignedOut):
		return fmt.Sprintf("You could not join #%s: you are signed out.", room)
	}
	return fmt.Sprintf("You could not join #%s: the server refused it.", room)
}

// roomsChanged keeps what depends on the joined rooms and their unread
// counts current: the remembered rooms, the Go menu, the window title and
// the tray.
func (v *chatView) roomsChanged() {
	v.saveRooms()
	v.ui.setMenus()
	v.ui.showUnread(v.unreadTotal())
}

func (v *chatView) unreadTotal() int {
	n := 0
	for _, r := range v.joined {
		n += v.room(r).unread
	}
	return n + v.dms().unread()
}

// unreadChanged is called when a message arrives unseen (another room,
// or the window in the background).
func (v *chatView) unreadChanged() {
	v.roomList.Refresh()
	v.dms().list.Refresh()
	v.ui.showUnread(v.unreadTotal())
}

// roomsKey is where the joined rooms of this user on this server are kept.
func (v *chatView) roomsKey() string {
	return "rooms:" + client.ServerKey(v.chat.Session().URL) + ":" + v.me.ID
}

func (v *chatView) saveRooms() {
	if v.restoring || v.chat == nil { // nil: a view without a chat (benchmarks)
		return
	}
	p := v.ui.app.Preferences()
	p.SetStringList(v.roomsKey(), v.joined)
	p.SetString(v.roomsKey()+":current", v.current)
}

// rejoinRooms joins the rooms remembered from the last time, in their
// order, once the chat is online, and shows the room that was shown then.
// Nothing is saved meanwhile: quitting half-way must not forget the rest.
func (v *chatView) rejoinRooms() {
	if v.rejoined {
		return
	}
	v.rejoined = true
	p := v.ui.app.Preferences()
	last := p.String(v.roomsKey() + ":current")
	var names []string
	for _, name := range p.StringList(v.roomsKey()) {
		if wire.ValidRoom(name) && v.roomIndex(name) < 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	v.restoring = true
	chat := v.chat
	go func() {
		for _, name := range names {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			err := chat.Join(ctx, name)
			cancel()
			bridge.Do(func() {
				if v.listJoined(name, err) {
					v.roomList.Refresh()
				}
			})
		}
		bridge.Do(func() {
			if v.ui.view != v {
				return
			}
			v.restoring = false
			// The room shown last time, unless the person has moved on.
			if v.current == wire.DefaultRoom && last != v.current && v.roomIndex(last) >= 0 {
				v.switchRoom(last)
			} else {
				v.roomsChanged()
			}
		})
	}()
}
