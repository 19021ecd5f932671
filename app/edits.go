package app

import (
	"context"
	"image/color"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// Edits, deletes and reactions in the conversation: a message's new state
// replaces the old one, from the server's updates and from the answers to
// our own changes.

// deletedText is what a tombstone row says.
const deletedText = "Message deleted"

// editedMark follows the text of an edited message.
const editedMark = " (edited)"

// editWidth is the edit dialog's text box's width.
const editWidth = 440

// update replaces a stored message by a newer state of it; it reports
// whether the row changed. Messages not loaded are left to history, which
// gives them in their current state.
func (t *timeline) update(m wire.Message) bool {
	if !t.ids[m.ID] {
		return false
	}
	i := sort.Search(len(t.stored), func(i int) bool { return t.stored[i].msg.ID >= m.ID })
	if i == len(t.stored) || t.stored[i].msg.ID != m.ID || m.Rev <= t.stored[i].msg.Rev {
		return false
	}
	t.stored[i].msg = m
	delete(t.heights, m.ID) // measured again: its text or reactions changed
	return true
}

// applyChange shows a message's new state.
func (v *chatView) applyChange(m wire.Message) {
	if v.room(m.Room).update(m) && m.Room == v.current {
		v.refreshMessages(false)
	}
}

// changeSpec adds to a row's spec what edits, deletes and reactions show.
func (v *chatView) changeSpec(s *rowSpec, e entry) {
	if e.outgoing != nil {
		return
	}
	m := e.msg
	s.id, s.mine, s.me = m.ID, m.Author.ID == v.me.ID, v.me.ID
	s.deleted, s.reactions = m.Deleted, m.Reactions
	switch {
	case m.Deleted:
		s.text = ""
		s.blocks = []mdBlock{{spans: []mdSpan{{text: deletedText, style: mdEm}}}}
	case m.EditedAt != nil:
		s.blocks = withEditedMark(s.blocks)
	}
}

// withEditedMark appends the edited marker to a message's last paragraph
// (or after its last code block).
func withEditedMark(blocks []mdBlock) []mdBlock {
	out := append([]mdBlock(nil), blocks...)
	mark := mdSpan{text: editedMark, style: mdEm}
	if n := len(out); n > 0 && !out[n-1].code {
		out[n-1].spans = append(append([]mdSpan(nil), out[n-1].spans...), mark)
		return out
	}
	mark.text = editedMark[1:]
	return append(out, mdBlock{spans: []mdSpan{mark}})
}

// editMessage asks for the new text of one of our messages, then sends it;
// it returns the dialog's entry.
func (v *chatView) editMessage(id int64, text string) *widget.Entry {
	entry := widget.NewMultiLineEntry()
	entry.Wrapping = fyne.TextWrapWord
	entry.SetText(text)
	entry.SetMinRowsVisible(4)
	wide := canvas.NewRectangle(color.Transparent) // room for a sentence per line
	wide.SetMinSize(fyne.NewSize(editWidth, 0))
	chat := v.chat
	v.ui.ask("Edit message", container.NewStack(wide, entry),
		answer{label: "Cancel", cancel: true},
		answer{label: "Save", primary: true, run: func() {
			text := entry.Text
			v.change(func(ctx context.Context) (wire.Message, error) { return chat.Edit(ctx, id, text) }, "The message could not be edited. ")
		}})
	v.ui.win.Canvas().Focus(entry)
	return entry
}

// deleteMessage asks, then deletes one of our messages for everyone.
func (v *chatView) deleteMessage(id int64) {
	chat := v.chat
	v.ui.ask("Delete message", widget.NewLabel("Delete this message for everyone? This cannot be undone."),
		answer{label: "Cancel", cancel: true, primary: true},
		answer{label: "Delete", danger: true, run: func() {
			v.change(func(ctx context.Context) (wire.Message, error) { return chat.Delete(ctx, id) }, "The message could not be deleted. ")
		}})
}

// react sets or removes our reaction to a message.
func (v *chatView) react(id int64, emoji string, on bool) {
	chat := v.chat
	v.change(func(ctx context.Context) (wire.Message, error) { return chat.React(ctx, id, emoji, on) }, "The reaction could not be sent. ")
}

// change runs a change off the UI thread and shows its result, or why it failed.
func (v *chatView) change(do func(context.Context) (wire.Message, error), failure string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		m, err := do(ctx)
		bridge.Do(func() {
			if v.ui.view != v {
				return
			}
			if err != nil {
				v.ui.ask("Not changed", widget.NewLabel(failure+errText(err)), answer{label: "Close", primary: true, cancel: true})
				return
			}
			v.applyChange(m)
			v.flush() // no event batch follows our own change to draw it
		})
	}()
}

// reactedBy reports whether user is among those who reacted with r.
func reactedBy(r wire.Reaction, user string) bool {
	for _, u := range r.Users {
		if u == user {
			return true
		}
	}
	return false
}

// applyEdits shows the events of edits, reactions and typing; it reports
// whether e was one.
func (v *chatView) applyEdits(e client.Event) bool {
	switch e := e.(type) {
	case client.UpdateEvent:
		v.applyChange(e.Message)
	case client.TypingEvent:
		v.typing().event(e)
	default:
		return false
	}
	return true
}
