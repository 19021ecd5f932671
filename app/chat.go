package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// UI constants.
const (
	counterFrom   = wire.MaxMessageRunes - 500 // show the character counter from here
	olderPage     = 100                        // messages loaded when scrolled to the top
	bottomSlack   = 24                         // px: within this of the bottom counts as at the bottom
	topSlack      = 40                         // px: within this of the top loads older messages
	scrollPoll    = 250 * time.Millisecond     // how often the view looks at its scroll position
	callTimeout   = 15 * time.Second
	countdownFrom = 3 * time.Second // shorter waits before reconnecting show no countdown
)

// chatView is the chat window's state and widgets. All its methods run on
// the UI thread.
type chatView struct {
	ui   *UI
	chat *client.Chat
	me   wire.Author

	rooms   map[string]*timeline
	joined  []string
	current string
	users   map[string]wire.User

	roomList, userList  *widget.List
	msgList             *msgPane      // the conversation
	roomBox             *roomEntry    // join or switch to a room
	roomErr             *widget.Label // why a room could not be joined, by the room box
	roomTop             *fyne.Container
	header, headerInfo  *widget.Label // the room's name and who is online, above the conversation
	rejoined, restoring bool          // remembered rooms asked for (and not all back yet)
	find                *findBar      // Ctrl+F: find in the loaded messages
	search              *searchPanel  // Ctrl+Shift+F: search all rooms (search.go), once opened
	banner              *widget.Label
	reconnect           *widget.Button // "Reconnect now", while waiting to reconnect
	bannerBox           *fyne.Container
	online              bool // presence is known only while online
	composer            *composer
	counter             *widget.Label
	tooLong             *widget.Label // by the composer, after Enter on an over-long message
	jumpDown            *widget.Button
	loading             bool // an older page is on its way
	older               olderRetry
	dirty, follow       bool // the conversation needs a redraw (and to follow down)
	userIDs             []string
	countdown           *time.Timer
	content             fyne.CanvasObject
	tips                *tipLayer   // where names cut short show whole
	typingBar           *typingView // "alice is typing…" (typing.go)
	dmSec               *dmSection  // direct messages and private groups (dms.go)
	fileBar             *fileView   // files: attach, drop, transfers, thumbnails (attach.go)
	mentions            *mentionBox // @name completion above the composer (mentions.go)
}

// openChat connects the session and shows the chat window.
func (ui *UI) openChat(sess *client.Session) {
	chat := client.Connect(sess, client.Options{})
	ui.chat = chat
	v := &chatView{
		ui: ui, chat: chat, me: sess.User,
		rooms: map[string]*timeline{wire.DefaultRoom: newTimeline()}, joined: []string{wire.DefaultRoom},
		current: wire.DefaultRoom, users: map[string]wire.User{},
	}
	ui.view = v
	v.build()
	ui.win.SetContent(v.tips.over(v.content))
	ui.setMenus()
	ui.win.Canvas().Focus(v.composer)
	bridge.Drain(chat.Events(), v.apply, v.flush)
	go v.watchScroll()
}

// watchScroll loads older messages when the conversation is scrolled near
// its top (widget.List has no scroll callback in Fyne 2.7, so it looks a few
// times a second), until the view is closed.
func (v *chatView) watchScroll() {
	t := time.NewTicker(scrollPoll)
	defer t.Stop()
	for range t.C {
		open := true
		bridge.DoAndWait(func() {
			if open = v.ui.view == v; open && !v.loading && v.tl().more && v.tl().len() > 0 &&
				v.msgList.GetScrollOffset() < topSlack && v.older.due(time.Now()) {
				v.loadOlder()
			}
		})
		if !open {
			return
		}
	}
}

func (v *chatView) build() {
	v.tips = newTipLayer()
	v.banner = widget.NewLabel("Connecting…")
	v.banner.Importance = widget.WarningImportance
	v.reconnect = widget.NewButton("Reconnect now", func() {
		v.chat.ReconnectNow()
		v.showWaiting(time.Time{})
	})
	v.reconnect.Hide()
	// The text gives way to the button rather than widening the window.
	v.banner.Truncation = fyne.TextTruncateEllipsis
	v.bannerBox = container.NewBorder(nil, nil, nil, v.reconnect, v.banner)

	v.buildRooms()
	left := v.roomColumn(v.hostPanel())

	v.msgList = v.newConversation()
	v.jumpDown = widget.NewButton("New messages ↓", func() { v.scrollDown() })
	v.jumpDown.Hide()
	v.msgList.onEnd = v.jumpDown.Hide

	v.userList = widget.NewList(func() int { return len(v.userIDs) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("user")
			l.Truncation = fyne.TextTruncateEllipsis // a long name must not widen the column
			return withTip(l, l, v.tips, true)       // and shows whole in a tooltip
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			u := v.users[v.userIDs[i]]
			tipped(o.(*fyne.Container)).(*widget.Label).SetText(presenceMark(u, v.online) + u.Username)
		})
	v.userList.OnSelected = v.dms().openFromPeople // a click on a person opens the DM with them

	v.composer = newComposer(v.send)
	v.mentions = newMentionBox(v)
	v.composer.completion = v.mentions
	v.counter = widget.NewLabel("")
	v.counter.Hide()
	v.tooLong = widget.NewLabel("")
	v.tooLong.Importance = widget.DangerImportance
	v.tooLong.Wrapping = fyne.TextWrapWord
	v.tooLong.Hide()
	v.composer.OnChanged = func(text string) { v.updateCounter(text); v.typed(text) }
	sendBtn := widget.NewButtonWithIcon("", theme.MailSendIcon(), func() { v.send(v.composer.Text) })
	// The composer grows to a few lines; the counter and the button stay at its bottom.
	bottom := container.NewBorder(nil, nil, nil,
		container.NewVBox(layout.NewSpacer(), container.NewHBox(v.counter, v.files().attachBtn, sendBtn)), v.composer)

	v.find = newFindBar(v)
	top := container.NewVBox(v.headerBar(), v.bannerBox, v.find.box)
	v.find.parent = top
	center := container.NewBorder(top, container.NewVBox(v.jumpDown, v.tooLong, v.typing().label, v.files().box, v.mentions.box, bottom), nil, nil, v.msgList)
	v.content = columns(left, center, v.userList)
}

func (v *chatView) tl() *timeline { return v.room(v.current) }

func (v *chatView) room(name string) *timeline {
	t, ok := v.rooms[name]
	if !ok {
		t = newTimeline()
		v.rooms[name] = t
	}
	return t
}

// apply shows one chat event.
func (v *chatView) apply(e client.Event) {
	if v.ui.view != v {
		return // an old chat's last events
	}
	switch e := e.(type) {
	case client.MessageEvent:
		m := e.Message
		v.typing().message(m)
		t := v.room(m.Room)
		if !t.add(m) {
			return
		}
		// Unread: another room's message, or the room on screen's while
		// the window is in the background (counted until it comes back).
		if v.dms().has(m.Room) { // private: counted from the server's read marker, caught up too
			if v.dms().unseen(m) {
				t.unread++
				v.unreadChanged()
			}
		} else if !e.Historic && (m.Room != v.current || m.Author.ID != v.me.ID && !v.focused()) {
			t.unread++
			v.unreadChanged()
		}
		if m.Room == v.current {
			v.refreshMessages(m.Author.ID == v.me.ID)
			v.dms().seen(m)
		}
		if !e.Historic && m.Author.ID != v.me.ID && !v.focused() {
			v.ui.notifyMessage(m, v.me.Username)
		}
	case client.DeliveryEvent:
		v.room(e.Outgoing.Room).track(e.Outgoing)
		if e.Outgoing.Room == v.current {
			v.refreshMessages(true)
		}
	case client.PresenceEvent:
		u := v.users[e.Presence.User.ID]
		u.ID, u.Username, u.Online = e.Presence.User.ID, e.Presence.User.Username, e.Presence.Online
		v.setUser(u)
	case client.StateEvent:
		v.showState(e)
	case client.ConversationEvent:
		v.dms().event(e)
	case client.KickedEvent:
		v.kickedFrom(e.Room) // admin.go
	case client.MentionEvent:
		v.mentioned(e.Message) // mentions.go
	default:
		v.applyEdits(e)
	}
}

func (v *chatView) focused() bool { return v.ui.foreground }

// presenceMark shows a user as online, offline, or unknown while we are
// not connected ourselves (our own entry included).
func presenceMark(u wire.User, known bool) string {
	switch {
	case !known:
		return "? "
	case u.Online:
		return "● "
	}
	return "○ "
}

func (v *chatView) showState(e client.StateEvent) {
	if v.countdown != nil {
		v.countdown.Stop()
	}
	if online := e.State == client.Online; online != v.online {
		v.online = online
		v.sortUsers()
	}
	v.reconnect.Hide()
	switch e.State {
	case client.Online:
		v.bannerBox.Hide()
		v.loadUsers()
		v.rejoinRooms()
		v.dms().load()
	case client.Connecting:
		v.setBanner("Connecting…")
	case client.Reconnecting:
		v.showWaiting(e.NextAttempt)
	case client.SignedOut:
		v.ui.signedOut(signedOutText(e.Err))
	}
}

func (v *chatView) setBanner(text string) {
	v.banner.SetText(text)
	v.bannerBox.Show()
}

// showWaiting counts down to the next reconnect attempt, once a second,
// and offers to try at once. Short waits (the host is restarting, or
// nothing listens and the client asks every second) show no countdown:
// it would stay at 1 s and the button would blink.
func (v *chatView) showWaiting(next time.Time) {
	if v.countdown != nil {
		v.countdown.Stop()
	}
	left := time.Until(next).Round(time.Second)
	if left < countdownFrom {
		v.reconnect.Hide()
		v.setBanner("Connection lost. Reconnecting…")
		return
	}
	v.setBanner(fmt.Sprintf("Connection lost. Reconnecting in %d s…", int(left.Seconds())))
	v.reconnect.Show()
	v.countdown = time.AfterFunc(time.Second, func() {
		bridge.Do(func() {
			if v.ui.view == v && v.chat.State() == client.Reconnecting {
				v.showWaiting(next)
			}
		})
	})
}

func (v *chatView) setUser(u wire.User) {
	v.users[u.ID] = u
	v.sortUsers()
}

// sortUsers lists online users first (when that is known), then by name.
func (v *chatView) sortUsers() {
	v.userIDs = v.userIDs[:0]
	for id := range v.users {
		v.userIDs = append(v.userIDs, id)
	}
	sort.Slice(v.userIDs, func(i, j int) bool {
		a, b := v.users[v.userIDs[i]], v.users[v.userIDs[j]]
		if a.Online != b.Online && v.online {
			return a.Online
		}
		return strings.ToLower(a.Username) < strings.ToLower(b.Username)
	})
	v.userList.Refresh()
	v.dms().list.Refresh() // a DM partner's presence
	v.updateHeader()
}

func (v *chatView) loadUsers() {
	chat := v.chat
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		users, err := chat.Users(ctx)
		if err != nil {
			return
		}
		bridge.Do(func() {
			for _, u := range users {
				v.setUser(u)
			}
		})
	}()
}

func (v *chatView) loadOlder() {
	t, room, chat := v.tl(), v.current, v.chat
	before := t.oldest
	v.loading = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		msgs, err := chat.History(ctx, room, before, olderPage)
		bridge.Do(func() {
			v.loading = false
			if err != nil {
				v.older.failed(time.Now())
				v.setBanner(olderFailed + errText(err))
				return
			}
			v.older = olderRetry{}
			if strings.HasPrefix(v.banner.Text, olderFailed) {
				v.bannerBox.Hide() // the server is back: the failure is no longer true
			}
			added := 0
			for _, m := range msgs {
				if t.add(m) {
					added++
				}
			}
			if len(msgs) < olderPage {
				t.more = false
			}
			if room == v.current && added > 0 {
				v.msgList.Refresh()
				v.msgList.ScrollTo(added) // keep the message that was at the top in view
				v.msgList.shiftMark(added)
			}
		})
	}()
}

// refreshMessages asks for a redraw of the conversation at the end of the
// current batch of events; follow scrolls down even if the user scrolled up.
func (v *chatView) refreshMessages(follow bool) {
	v.dirty = true
	v.follow = v.follow || follow
}

// flush redraws once per batch, following the conversation down if the user
// was at the bottom (or it is their own message), else offering a jump.
func (v *chatView) flush() {
	if !v.dirty || v.ui.view != v {
		return
	}
	if v.follow || v.msgList.stick {
		v.msgList.update(true)
		v.jumpDown.Hide()
	} else {
		v.msgList.update(false)
		v.jumpDown.Show()
	}
	v.dirty, v.follow = false, false
}

func (v *chatView) scrollDown() {
	v.msgList.ScrollToBottom()
	v.jumpDown.Hide()
}

// updateCounter counts the characters as they near the limit, and takes
// the over-long notice away once the text fits.
func (v *chatView) updateCounter(text string) {
	n := utf8.RuneCountInString(strings.TrimSpace(text))
	if n <= wire.MaxMessageRunes {
		v.tooLong.Hide()
	}
	if n < counterFrom {
		v.counter.Hide()
		return
	}
	v.counter.SetText(fmt.Sprintf("%d/%d", n, wire.MaxMessageRunes))
	if n > wire.MaxMessageRunes {
		v.counter.Importance = widget.DangerImportance
	} else {
		v.counter.Importance = widget.MediumImportance
	}
	v.counter.Show()
	v.counter.Refresh()
}

// send queues the composer's text. Empty text is not sent; over-long text
// stays in the composer with a notice of how much to cut.
func (v *chatView) send(text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if over := utf8.RuneCountInString(text) - wire.MaxMessageRunes; over > 0 {
		v.tooLong.SetText(fmt.Sprintf("This message is %d characters too long to send: a message has at most %d characters.", over, wire.MaxMessageRunes))
		v.tooLong.Show()
		return
	}
	if _, err := v.chat.Send(v.current, text); err != nil {
		v.tooLong.SetText(errText(err)) // by the composer, where the message still is
		v.tooLong.Show()
		return
	}
	v.composer.SetText("")
}

// retry and discard act on a failed message.
func (v *chatView) retry(clientID string) {
	if err := v.chat.Retry(clientID); err == nil {
		v.msgList.Refresh()
	}
}

func (v *chatView) discard(room, clientID string) {
	if err := v.chat.Discard(clientID); err == nil {
		v.room(room).dropPending(clientID)
		v.msgList.Refresh()
	}
}

// signedOut returns to the login screen with the reason and the username.
func (ui *UI) signedOut(reason string) {
	ui.shutdown()
	ui.view = nil
	ui.win.SetMainMenu(nil)
	ui.showUnread(0)
	ui.showLogin(reason)
	ui.takeInvitation()
}

// logout signs out on the server, off the UI thread, then shows the login.
func (ui *UI) logout() {
	ui.alerts.notes.SeenAll()
	chat := ui.chat
	ui.chat = nil
	ui.view = nil
	go func() {
		if chat != nil {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			chat.Logout(ctx) //nolint:errcheck // signed out locally either way
			cancel()
		}
		bridge.Do(func() { ui.signedOut("") })
	}()
}
