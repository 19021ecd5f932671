package app

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/client"
)

// messageRow is one line of the conversation.
type messageRow struct {
	header, body, status *widget.Label
	retry, del           *widget.Button
	statusBox            *fyne.Container
	box                  *fyne.Container
}

func newMessageRow() fyne.CanvasObject {
	r := &messageRow{
		header: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		body:   widget.NewLabel(""),
		status: widget.NewLabel(""),
		retry:  widget.NewButton("Retry", nil),
		del:    widget.NewButton("Delete", nil),
	}
	r.body.Wrapping = fyne.TextWrapWord
	r.body.Selectable = true
	r.status.Importance = widget.LowImportance
	r.statusBox = container.NewHBox(r.status, r.retry, r.del)
	r.box = container.New(narrow{}, container.NewVBox(r.header, r.body, r.statusBox))
	h := &rowHolder{row: r}
	h.ExtendBaseWidget(h)
	return h
}

// narrow lays its content out at full size but asks for little width, so a
// wrapped label wraps at the list's width instead of widening the list.
type narrow struct{}

func (narrow) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(narrowMinWidth, h)
}

func (narrow) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

const narrowMinWidth = 120

// rowHolder lets updateRow find the row's parts.
type rowHolder struct {
	widget.BaseWidget
	row *messageRow
}

func (h *rowHolder) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(h.row.box)
}

func (v *chatView) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	t := v.tl()
	if i >= t.len() {
		return
	}
	r := o.(*rowHolder).row
	e := t.at(i)
	if t.startsGroup(i) {
		r.header.SetText(headerText(e, v.me.Username))
		r.header.Show()
	} else {
		r.header.Hide()
	}
	r.body.SetText(e.msg.Text)
	r.statusBox.Hide()
	if o := e.outgoing; o != nil {
		r.statusBox.Show()
		r.retry.Hide()
		r.del.Hide()
		switch o.State {
		case client.Pending:
			r.status.SetText("sending…")
		case client.Failed:
			r.status.SetText("not sent: " + o.Err.Error())
			cid, room := o.ClientID, o.Room
			r.retry.OnTapped = func() { v.retry(cid) }
			r.del.OnTapped = func() { v.discard(room, cid) }
			r.retry.Show()
			r.del.Show()
		}
	}
	r.box.Refresh() // shown/hidden parts change the layout
	v.msgList.SetItemHeight(i, v.rowHeight(e, !r.header.Hidden, !r.statusBox.Hidden))
}

func headerText(e entry, me string) string {
	if e.outgoing != nil {
		return me
	}
	at := e.msg.SentAt.Local()
	stamp := at.Format("15:04")
	if y, m, d := at.Date(); y != time.Now().Year() || m != time.Now().Month() || d != time.Now().Day() {
		stamp = at.Format("Mon 2 Jan 15:04")
	}
	return e.msg.Author.Username + "  ·  " + stamp
}

// rowHeight estimates a row's height from its wrapped lines, so the list
// can stay virtual (only visible rows exist) with rows of different sizes.
func (v *chatView) rowHeight(e entry, header, status bool) float32 {
	size := theme.TextSize()
	lineH := fyne.MeasureText("Mg", size, fyne.TextStyle{}).Height
	width := v.msgList.Size().Width - 4*theme.Padding()
	if width < 100 {
		width = 600
	}
	perLine := int(math.Max(1, float64(width/(size*approxCharPx))))
	lines := 0
	for _, l := range strings.Split(e.msg.Text, "\n") {
		lines += max(1, (utf8.RuneCountInString(l)+perLine-1)/perLine)
	}
	h := float32(lines)*lineH + 2*theme.InnerPadding()
	if header {
		h += lineH + 2*theme.InnerPadding()
	}
	if status {
		h += lineH + 3*theme.InnerPadding()
	}
	return h
}
