package app

import (
	"fmt"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/client"
)

// The chat view as the source of the conversation's rows.

// newConversation makes the pane that shows the current room.
func (v *chatView) newConversation() *msgPane {
	return newMsgPane(v, rowActions{
		copyText:   func(s string) { v.ui.app.Clipboard().SetContent(s) },
		openURL:    func(u *url.URL) { _ = v.ui.app.OpenURL(u) },
		selectText: v.showMessageText,
		changeActions: changeActions{
			edit:   func(id int64, text string) { v.editMessage(id, text) },
			remove: v.deleteMessage, react: v.react,
		},
		fileActions: v.fileActions(), // thumbs.go
	})
}

func (v *chatView) rowCount() int { return v.tl().len() }

func (v *chatView) emptyText() string {
	if v.tl().len() > 0 {
		return ""
	}
	if text, private := v.dms().emptyText(v.current); private {
		return text
	}
	return fmt.Sprintf("No messages in #%s yet. Say hello!", v.current)
}

// rowSpec says what row i shows.
func (v *chatView) rowSpec(i int) rowSpec {
	t := v.tl()
	e := t.at(i)
	s := rowSpec{header: t.startsGroup(i), text: e.msg.Text, blocks: parseMarkdown(e.msg.Text)}
	s.author, s.stamp = authorName(e.msg.Author), t.stamp(e, time.Now())
	if o := e.outgoing; o != nil {
		s.author = v.me.Username
		switch o.State {
		case client.Pending:
			s.sending = true
		case client.Failed:
			s.failure = "Not sent. " + errWords(o.Err)
		}
	}
	v.changeSpec(&s, e)
	v.fileSpec(&s, e) // thumbs.go
	return s
}

// estCharPx is an average glyph width as a share of the text size: only
// for rows never shown, which count with an estimate until they are.
const estCharPx = 0.55

func (v *chatView) estimateHeight(i int, width float32, m *textMetrics) float32 {
	t := v.tl()
	e := t.at(i)
	if c, ok := t.heights[e.msg.ID]; ok && e.outgoing == nil && c.width == width {
		return c.height
	}
	perLine := max(1, int(width/(m.size*estCharPx)))
	lines := 1 + len(e.msg.Text)/perLine
	return float32(lines)*m.lineH + 2*theme.Padding()
}

func (v *chatView) rowHeight(i int, width float32) float32 {
	t := v.tl()
	e := t.at(i)
	header := t.startsGroup(i)
	if c, ok := t.heights[e.msg.ID]; ok && e.outgoing == nil && c.width == width && c.header == header {
		return c.height
	}
	s := v.rowSpec(i)
	h := layoutRow(&s, width, currentMetrics()).height
	if e.outgoing == nil {
		t.heights[e.msg.ID] = cachedHeight{width: width, header: header, height: h}
	}
	return h
}

func (v *chatView) bindRow(i int, r *msgRow) {
	e := v.tl().at(i)
	var retry, discard func()
	if o := e.outgoing; o != nil && o.State == client.Failed {
		cid, room := o.ClientID, o.Room
		retry = func() { v.retry(cid) }
		discard = func() { v.discard(room, cid) }
	}
	r.bind(v.rowSpec(i), retry, discard)
}

// showMessageText shows a message as typed, for selecting part of it
// (the conversation draws styled text, which Fyne cannot select).
func (v *chatView) showMessageText(text string) {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Selectable = true
	scroll := container.NewVScroll(l)
	scroll.SetMinSize(fyne.NewSize(420, 200))
	v.ui.ask("Select text", scroll, answer{label: "Close", primary: true, cancel: true})
}

// stamp is the time shown in a row's header: when we typed it for our
// own messages (the server's time is when it arrived, which is later if
// it waited for the connection; if so, both are shown), else the server's.
func (t *timeline) stamp(e entry, now time.Time) string {
	typed, ours := t.typed[e.msg.ClientID]
	if e.outgoing != nil {
		typed, ours = t.typed[e.outgoing.ClientID]
		if !ours {
			return ""
		}
		return clock(typed, now)
	}
	if !ours {
		return clock(e.msg.SentAt, now)
	}
	if e.msg.SentAt.Sub(typed) >= time.Minute {
		return clock(typed, now) + " (delivered " + clock(e.msg.SentAt, now) + ")"
	}
	return clock(typed, now)
}

// clock is a time of day, with the day when it is not today.
func clock(at, now time.Time) string {
	at, now = at.Local(), now.Local()
	if y, m, d := at.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		return at.Format("Mon 2 Jan 15:04")
	}
	return at.Format("15:04")
}
