package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// The "Direct messages" section of the room column: one's direct
// conversations and private groups with their unread counts and the
// partner's presence. A click on a person in the people list opens the DM
// with them; "New group" creates a group, and a group on screen can be
// joined by others by invitation or left. A private conversation is a room
// (wire.PrivateRoom) with its own timeline, like a public one; its unread
// count starts from the server's read marker, which moves on as its
// messages are seen here.

const dmTitle = "Direct messages"

// dmRoomsShare is the rooms' share of the room column's height above the
// direct messages.
const dmRoomsShare = 0.5

// groupPickerHeight is the height of the people to choose from when
// creating a group: about five names.
const groupPickerHeight = 190

type dmSection struct {
	v     *chatView
	convs map[string]wire.Conversation // by room
	// counted is, by room, the newest message id the server's unread count
	// covered when the conversation was listed here; each later message,
	// live or caught up, counts once (the timeline takes each id once, in
	// whatever order live and historic ones come).
	counted map[string]int64
	order   []string // as listed: the newest activity first
	list    *widget.List
	invite  *widget.Button // to the group on screen
	leave   *widget.Button
	tools   *fyne.Container
	box     fyne.CanvasObject
	// column holds the rooms and this section: only the heading below the
	// rooms while there is no conversation (short windows keep their rooms
	// in view), a split of the two once there is one.
	column *fyne.Container
	rooms  fyne.CanvasObject
	split  *container.Split
}

// dms is the view's direct message section, made on first use.
func (v *chatView) dms() *dmSection {
	if v.dmSec == nil {
		v.dmSec = newDMSection(v)
	}
	return v.dmSec
}

func newDMSection(v *chatView) *dmSection {
	d := &dmSection{v: v, convs: map[string]wire.Conversation{}, counted: map[string]int64{}}
	d.list = widget.NewList(func() int { return len(d.order) }, v.newTippedRoomRow,
		func(i widget.ListItemID, o fyne.CanvasObject) { d.updateRow(i, o.(*fyne.Container)) })
	d.list.OnSelected = func(i widget.ListItemID) {
		if i < len(d.order) && d.order[i] != v.current {
			v.switchRoom(d.order[i])
		}
	}
	newGroup := widget.NewButtonWithIcon("", theme.ContentAddIcon(), d.askNewGroup)
	head := widget.NewLabelWithStyle(dmTitle, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.invite = widget.NewButton("Invite…", d.askInvite)
	d.leave = widget.NewButton("Leave group", d.askLeave)
	d.tools = container.NewGridWithColumns(2, d.invite, d.leave)
	d.tools.Hide()
	d.box = container.NewBorder(container.NewBorder(widget.NewSeparator(), nil, nil, newGroup, head), d.tools, nil, nil, d.list)
	return d
}

// withDMs puts the direct message section below the rooms.
func (v *chatView) withDMs(rooms fyne.CanvasObject) fyne.CanvasObject {
	d := v.dms()
	d.rooms = rooms
	d.column = container.NewStack()
	d.arrange()
	return d.column
}

// arrange lays the column out for whether there are conversations.
func (d *dmSection) arrange() {
	if d.column == nil {
		return
	}
	empty := len(d.order) == 0
	if empty == (d.split == nil) && len(d.column.Objects) > 0 {
		return
	}
	d.list.Hidden = empty
	if empty {
		d.split = nil
		d.column.Objects = []fyne.CanvasObject{container.NewBorder(nil, d.box, nil, nil, d.rooms)}
	} else {
		d.split = container.NewVSplit(d.rooms, d.box)
		d.split.Offset = dmRoomsShare
		d.column.Objects = []fyne.CanvasObject{d.split}
	}
	d.column.Refresh()
}

// listed are the rooms, then the private conversations, as the room
// column lists them (Alt+↑/↓ and Alt+Shift+↓ go through them all).
func (v *chatView) listed() []string {
	return append(slices.Clone(v.joined), v.dms().order...)
}

func (d *dmSection) has(room string) bool { _, ok := d.convs[room]; return ok }

// title is what a conversation is called: the partner's name for a DM,
// the group's name for a group.
func (d *dmSection) title(c wire.Conversation) string {
	if c.Kind == wire.KindGroup {
		return c.Name
	}
	if p, ok := d.partner(c); ok {
		return p.Username
	}
	return "just you"
}

// partner is the other member of a DM, with their presence as last known.
func (d *dmSection) partner(c wire.Conversation) (wire.User, bool) {
	for _, m := range c.Members {
		if m.ID != d.v.me.ID {
			if u, known := d.v.users[m.ID]; known {
				return u, true
			}
			return m, true
		}
	}
	return wire.User{}, false
}

// label is a conversation's row text: a DM's partner with their presence,
// a group's name with how many are in it.
func (d *dmSection) label(c wire.Conversation) string {
	if c.Kind == wire.KindGroup {
		return fmt.Sprintf("%s (%d)", c.Name, len(c.Members))
	}
	p, _ := d.partner(c)
	return presenceMark(p, d.v.online) + d.title(c)
}

// header is the conversation's name above it when it is on screen.
func (v *chatView) roomTitle(room string) string {
	c, private := v.dms().convs[room]
	switch {
	case !private:
		return "# " + room
	case c.Kind == wire.KindGroup:
		var names []string
		for _, m := range c.Members {
			names = append(names, m.Username)
		}
		return c.Name + ": " + strings.Join(names, ", ")
	}
	return "Direct messages with " + v.dms().title(c)
}

// emptyText is what an empty private conversation says.
func (d *dmSection) emptyText(room string) (string, bool) {
	c, private := d.convs[room]
	if !private {
		return "", false
	}
	if c.Kind == wire.KindGroup {
		return fmt.Sprintf("No messages in %s yet. Only its members see what is written here.", c.Name), true
	}
	return fmt.Sprintf("This is the beginning of your conversation with %s. Only the two of you see it.", d.title(c)), true
}

// headerNote is what the header says beside a private conversation's
// name: a DM partner's presence, a group's size.
func (d *dmSection) headerNote(room string) (string, bool) {
	c, private := d.convs[room]
	switch {
	case !private:
		return "", false
	case c.Kind == wire.KindGroup:
		return fmt.Sprintf("%d members", len(c.Members)), true
	case !d.v.online:
		return "", true
	}
	if p, ok := d.partner(c); ok && p.Online {
		return p.Username + " is online", true
	}
	return "offline", true
}

// place names a private conversation in a notification; "" for a room.
func (ui *UI) place(room string) string {
	if ui.view == nil {
		return ""
	}
	c, private := ui.view.dms().convs[room]
	switch {
	case !private:
		return ""
	case c.Kind == wire.KindGroup:
		return c.Name
	}
	return "a direct message"
}

func (d *dmSection) updateRow(i widget.ListItemID, row *fyne.Container) {
	if i >= len(d.order) {
		return
	}
	room := d.order[i]
	l, count := roomRowParts(row)
	unread := d.v.room(room).unread
	l.TextStyle.Bold = room == d.v.current
	l.Importance = widget.MediumImportance
	count.Hide()
	if unread > 0 {
		l.Importance = widget.HighImportance
		count.SetText(fmt.Sprint(unread))
		count.Show()
	}
	l.SetText(d.label(d.convs[room]))
	row.Refresh()
}

// load lists the conversations from the server (at every connection: some
// may have begun while away) and joins the new ones.
func (d *dmSection) load() {
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		list, err := chat.Conversations(ctx)
		if err != nil {
			return // the next connection tries again
		}
		bridge.Do(func() {
			if d.v.ui.view != d.v {
				return
			}
			for i := len(list) - 1; i >= 0; i-- { // the newest ends on top
				d.add(list[i], false) // messages that came while away: counted as caught up
			}
		})
	}()
}

// add lists a conversation (at the top when new) and joins it; show
// switches to it once joined.
func (d *dmSection) add(c wire.Conversation, show bool) {
	_, known := d.convs[c.Room]
	d.convs[c.Room] = c
	if known {
		d.refresh()
		if show {
			d.v.switchRoom(c.Room)
		}
		return
	}
	d.order = append([]string{c.Room}, d.order...)
	d.v.room(c.Room).unread = c.Unread
	d.counted[c.Room] = c.LastID
	d.refresh()
	d.v.ui.showUnread(d.v.unreadTotal())
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := chat.Join(ctx, c.Room)
		bridge.Do(func() {
			if err == nil && show && d.v.ui.view == d.v {
				d.v.switchRoom(c.Room)
			}
		})
	}()
}

// remove forgets a conversation left (here or elsewhere).
func (d *dmSection) remove(room string) {
	if !d.has(room) {
		return
	}
	delete(d.convs, room)
	for i, r := range d.order {
		if r == room {
			d.order = append(d.order[:i], d.order[i+1:]...)
			break
		}
	}
	if d.v.current == room {
		d.v.switchRoom(wire.DefaultRoom)
	}
	d.refresh()
	d.v.ui.showUnread(d.v.unreadTotal())
}

func (d *dmSection) refresh() {
	d.arrange()
	// The list selects by row: rows move as conversations are added.
	if i := d.index(d.v.current); i >= 0 {
		d.list.Select(i) // OnSelected sees the current room: no loop
	} else {
		d.list.UnselectAll()
	}
	d.list.Refresh()
	c, private := d.convs[d.v.current]
	d.tools.Hidden = !private || c.Kind != wire.KindGroup
	d.tools.Refresh()
	if d.box != nil {
		d.box.Refresh()
	}
	d.v.updateHeader()
}

// event applies a ConversationEvent: a conversation begun or changed by
// someone else, a read marker moved elsewhere, or a group left elsewhere.
func (d *dmSection) event(e client.ConversationEvent) {
	c := e.Conversation
	if c.Left {
		d.remove(c.Room)
		return
	}
	if old, known := d.convs[c.Room]; known && c.ReadID > old.ReadID && c.Room != d.v.current {
		t := d.v.room(c.Room)
		t.unread = min(t.unread, c.Unread) // read on another device
		d.v.ui.showUnread(d.v.unreadTotal())
	}
	d.add(c, false)
}

// selected follows a switch of room: the row highlighted, the group tools
// shown or not, and the conversation marked read on the server.
func (d *dmSection) selected(room string) {
	if d.has(room) {
		d.v.roomList.UnselectAll()
		d.markRead(room)
	}
	d.refresh()
}

func (d *dmSection) index(room string) int {
	for i, r := range d.order {
		if r == room {
			return i
		}
	}
	return -1
}

// unseen reports whether a message of a private conversation is one more
// unread: someone else's, after the read marker and what was counted, and
// not shown in front of the person.
func (d *dmSection) unseen(m wire.Message) bool {
	c := d.convs[m.Room]
	if m.Author.ID == d.v.me.ID || m.Deleted || m.ID <= c.ReadID || m.ID <= d.counted[m.Room] {
		return false
	}
	return m.Room != d.v.current || !d.v.focused()
}

// seen marks a private conversation read up to a message shown on screen
// while the window is in front.
func (d *dmSection) seen(m wire.Message) {
	if d.has(m.Room) && m.Room == d.v.current && d.v.focused() {
		d.markRead(m.Room)
	}
}

// markRead moves the server's read marker on to the newest message shown
// of a private conversation.
func (d *dmSection) markRead(room string) {
	if !d.has(room) {
		return
	}
	t := d.v.room(room)
	var last int64
	for i := t.len() - 1; i >= 0 && last == 0; i-- {
		last = t.at(i).msg.ID
	}
	if last == 0 || last <= d.convs[room].ReadID {
		return
	}
	c := d.convs[room]
	c.ReadID = last
	d.convs[room] = c
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		chat.MarkRead(ctx, room, last) //nolint:errcheck // the next view of it tries again
	}()
}

func (d *dmSection) unread() int {
	n := 0
	for _, r := range d.order {
		n += d.v.room(r).unread
	}
	return n
}

// openFromPeople opens the DM with the person clicked in the people list.
func (d *dmSection) openFromPeople(i widget.ListItemID) {
	d.v.userList.UnselectAll()
	if i >= len(d.v.userIDs) {
		return
	}
	u := d.v.users[d.v.userIDs[i]]
	if u.ID == d.v.me.ID {
		return
	}
	d.open(u.Username)
}

// open opens (or starts) the DM with a user and shows it.
func (d *dmSection) open(username string) {
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		c, err := chat.OpenDM(ctx, username)
		bridge.Do(func() {
			if d.v.ui.view != d.v {
				return
			}
			if err != nil {
				d.v.setBanner(fmt.Sprintf("Could not open the conversation with %s. %s", username, errText(err)))
				return
			}
			d.add(c, true)
			d.v.ui.win.Canvas().Focus(d.v.composer) // a click in People, then typing
		})
	}()
}

// others are the people one could add to a group, by name.
func (d *dmSection) others(except []wire.User) []string {
	skip := map[string]bool{d.v.me.ID: true}
	for _, m := range except {
		skip[m.ID] = true
	}
	var names []string
	for _, u := range d.v.users {
		if !skip[u.ID] {
			names = append(names, u.Username)
		}
	}
	sort.Slice(names, func(i, j int) bool { return strings.ToLower(names[i]) < strings.ToLower(names[j]) })
	return names
}

// askNewGroup asks for a group's name and members, then creates it.
func (d *dmSection) askNewGroup() {
	name := widget.NewEntry()
	name.SetPlaceHolder("Group name")
	name.Validator = func(s string) error {
		if n := len([]rune(strings.TrimSpace(s))); n == 0 || n > wire.MaxGroupNameRunes {
			return fmt.Errorf("a group's name has 1 to %d characters", wire.MaxGroupNameRunes)
		}
		return nil
	}
	members := widget.NewCheckGroup(d.others(nil), nil)
	list := container.NewVScroll(members)
	list.SetMinSize(fyne.NewSize(0, groupPickerHeight)) // several people in view, the rest scrolled to
	items := []*widget.FormItem{
		widget.NewFormItem("Name", name),
		widget.NewFormItem("Members", list),
	}
	dlg := dialog.NewForm("New private group", "Create", "Cancel", items, func(ok bool) {
		if ok {
			d.create(strings.TrimSpace(name.Text), members.Selected)
		}
	}, d.v.ui.win)
	dlg.Resize(fyne.NewSize(360, groupPickerHeight+180))
	dlg.Show()
}

func (d *dmSection) create(name string, members []string) {
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		c, err := chat.CreateGroup(ctx, name, members)
		bridge.Do(func() {
			if d.v.ui.view != d.v {
				return
			}
			if err != nil {
				d.v.setBanner("Could not create the group. " + errText(err))
				return
			}
			d.add(c, true)
		})
	}()
}

// askInvite offers the people not in the group on screen.
func (d *dmSection) askInvite() {
	room := d.v.current
	c := d.convs[room]
	pick := widget.NewSelect(d.others(c.Members), nil)
	pick.PlaceHolder = "Choose a person"
	dialog.ShowForm("Invite to "+c.Name, "Invite", "Cancel", []*widget.FormItem{widget.NewFormItem("Person", pick)}, func(ok bool) {
		if ok && pick.Selected != "" {
			d.inviteUser(room, pick.Selected)
		}
	}, d.v.ui.win)
}

func (d *dmSection) inviteUser(room, username string) {
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		c, err := chat.Invite(ctx, room, username)
		bridge.Do(func() {
			if d.v.ui.view != d.v {
				return
			}
			if err != nil {
				d.v.setBanner(fmt.Sprintf("Could not invite %s. %s", username, errText(err)))
				return
			}
			d.add(c, false)
		})
	}()
}

// askLeave asks before leaving the group on screen: only an invitation
// brings one back.
func (d *dmSection) askLeave() {
	room := d.v.current
	c := d.convs[room]
	dialog.ShowConfirm("Leave "+c.Name+"?", "You will no longer see its messages unless someone invites you again.", func(ok bool) {
		if ok {
			d.leaveGroup(room)
		}
	}, d.v.ui.win)
}

func (d *dmSection) leaveGroup(room string) {
	chat := d.v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		err := chat.LeaveGroup(ctx, room)
		bridge.Do(func() {
			if d.v.ui.view != d.v {
				return
			}
			if err != nil {
				d.v.setBanner("Could not leave the group. " + errText(err))
				return
			}
			d.remove(room)
		})
	}()
}
