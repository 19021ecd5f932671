package app

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// typingView is the "alice is typing…" line above the composer: who is
// typing in the current room, until their notice expires or their message
// arrives. It is hidden while nobody is.
type typingView struct {
	v     *chatView
	set   client.TypingSet
	label *widget.Label
	timer *time.Timer
}

func newTypingView(v *chatView) *typingView {
	l := widget.NewLabel("")
	l.Importance = widget.LowImportance
	l.TextStyle = fyne.TextStyle{Italic: true}
	l.Truncation = fyne.TextTruncateEllipsis // a crowd of names must not widen the window
	l.Hide()
	return &typingView{v: v, label: l}
}

// typing is the chat view's typing line.
func (v *chatView) typing() *typingView {
	if v.typingBar == nil {
		v.typingBar = newTypingView(v)
	}
	return v.typingBar
}

func (tv *typingView) event(e client.TypingEvent) {
	if e.Typing.User.ID == tv.v.me.ID {
		return // ourselves, typing elsewhere
	}
	tv.set.Typing(e)
	tv.show()
}

// message ends the typing of a message's author.
func (tv *typingView) message(m wire.Message) {
	if tv.set.Message(m) {
		tv.show()
	}
}

// show says who is typing in the current room now, and looks again when
// the first of them expires.
func (tv *typingView) show() {
	names, next := tv.set.Names(tv.v.current, time.Now())
	if line := client.TypingLine(names); line != "" {
		tv.label.SetText(line)
		tv.label.Show()
	} else {
		tv.label.Hide()
	}
	if tv.timer != nil {
		tv.timer.Stop()
	}
	if !next.IsZero() {
		v := tv.v
		tv.timer = time.AfterFunc(time.Until(next), func() {
			bridge.Do(func() {
				if v.ui.view == v {
					tv.show()
				}
			})
		})
	}
}

// typed tells the room we are typing (the client library sends it at most
// every few seconds).
func (v *chatView) typed(text string) {
	if strings.TrimSpace(text) != "" && v.chat != nil {
		v.chat.Typing(v.current)
	}
}
