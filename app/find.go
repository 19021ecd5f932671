package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// findBar finds text in the current room's loaded messages (Ctrl+F) and
// jumps from match to match, newest first. Searching the server's whole
// history is another feature.
type findBar struct {
	v       *chatView
	box     *fyne.Container // hidden until opened
	parent  *fyne.Container // what lays the bar out
	entry   *findEntry
	count   *widget.Label
	matches []int // timeline indexes, oldest first
	at      int   // the match shown, an index into matches
}

func newFindBar(v *chatView) *findBar {
	f := &findBar{v: v, count: widget.NewLabel("")}
	f.entry = &findEntry{f: f}
	f.entry.ExtendBaseWidget(f.entry)
	f.entry.SetPlaceHolder("Find in this room")
	f.entry.OnChanged = func(string) { f.search() }
	older := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { f.step(-1) })
	newer := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { f.step(1) })
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), f.close)
	f.box = container.NewBorder(nil, nil, nil, container.NewHBox(f.count, older, newer, closeBtn), f.entry)
	f.box.Hide()
	return f
}

// setShown shows or hides the bar, and lays out what is around it again.
func (f *findBar) setShown(shown bool) {
	if shown {
		f.box.Show()
	} else {
		f.box.Hide()
	}
	if f.parent != nil {
		f.parent.Refresh()
	}
}

// open shows the bar with the keyboard in it.
func (f *findBar) open() {
	f.setShown(true)
	f.v.ui.win.Canvas().Focus(f.entry)
	f.search()
}

// close hides the bar and gives the keyboard back to the composer.
func (f *findBar) close() {
	f.setShown(false)
	f.matches = nil
	f.v.msgList.UnselectAll()
	f.v.focusComposer()
}

// search finds the text again (typed, or another room shown) and shows
// the newest match.
func (f *findBar) search() {
	if !f.box.Visible() {
		return
	}
	f.matches = f.matches[:0]
	q := strings.ToLower(strings.TrimSpace(f.entry.Text))
	if q == "" {
		f.count.SetText("")
		f.v.msgList.UnselectAll()
		return
	}
	t := f.v.tl()
	for i := 0; i < t.len(); i++ {
		if strings.Contains(strings.ToLower(t.at(i).msg.Text), q) {
			f.matches = append(f.matches, i)
		}
	}
	f.at = len(f.matches) - 1
	f.show()
}

// step moves to an older (-1) or newer (+1) match, round the list.
func (f *findBar) step(d int) {
	if n := len(f.matches); n > 0 {
		f.at = (f.at + d + n) % n
		f.show()
	}
}

func (f *findBar) show() {
	defer f.box.Refresh() // the count's width changes
	if len(f.matches) == 0 {
		f.count.SetText("No match")
		f.v.msgList.UnselectAll()
		return
	}
	f.count.SetText(fmt.Sprintf("%d of %d", f.at+1, len(f.matches)))
	f.v.msgList.Select(f.matches[f.at]) // highlights it and scrolls to it
}

// findEntry is the find bar's box: Enter is the next (older) match,
// Shift+Enter the previous one, Escape closes the bar.
type findEntry struct {
	widget.Entry
	f     *findBar
	shift bool
}

func (e *findEntry) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(k)
}

func (e *findEntry) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(k)
}

func (e *findEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		e.f.close()
	case fyne.KeyReturn, fyne.KeyEnter:
		if e.shift {
			e.f.step(1)
		} else {
			e.f.step(-1)
		}
	default:
		e.Entry.TypedKey(k)
	}
}
