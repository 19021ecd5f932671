package app

import (
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// composer is where a message is written: a text box that wraps at word
// boundaries, grows from one line to composerMaxLines and then scrolls.
// Enter sends and Shift+Enter starts a new line; Tab moves the focus on.
//
// It is Confab's own widget rather than Fyne's multi-line widget.Entry,
// which (Fyne 2.7.1) altered typed text and lagged with long text:
//
//   - A space typed at the end of the text where the line wraps was lost.
//     RichText's word wrap (widget/richtext.go, lineBounds, the
//     TextWrapWord case: `if low < high && unicode.IsSpace(text[low]) {
//     low++ }`, line 998) leaves the space at a wrap point out of both
//     rows, and when that space ends the text no row follows it, so the
//     end of the text has no (row, column). Entry.TypedRune (widget/
//     entry.go:874) places the cursor with rowColFromTextPos (entry.go:
//     1142), which returns a row past the last; Entry.Refresh then runs
//     entryRenderer.Refresh → updateCursorAndSelection → truncatePosition
//     (entry.go:1683, 1319, 1344), which clamps it to the end of the last
//     row: before the space. The next letters went in before the space
//     ("mockups areready "), and sending trimmed the space off. Backspace
//     at such an end deleted the letter before the space instead. Fyne's
//     develop branch (v2.7.2, January 2026) has the same code; no upstream
//     issue names it (#1737 and #2698 were other wrap/cursor cases).
//   - Every key re-wrapped the whole text: updateText → updateRowBounds →
//     lineBounds measures (shapes with HarfBuzz) the rest of the paragraph
//     for each row and again for each step of a binary search, quadratic
//     in the paragraph: 0.4-0.7 s per key with 4,000 characters
//     (BenchmarkTypeInto4000/fyne-entry).
//
// Here the text and the cursor are rune offsets, rows are computed from the
// text (wrapRows), never the other way round, and words are measured once.
type composer struct {
	widget.BaseWidget

	Text      string       // what the user wrote, exactly (read only: SetText changes it)
	OnChanged func(string) // after every change of Text
	onSend    func(string) // Enter

	placeholder string
	text        []rune
	cur, anchor int     // cursor and selection anchor, as rune offsets; equal: no selection
	goalX       float32 // the x that Up and Down keep to, or -1
	shift       bool
	focused     bool
	history     editHistory

	rows  []span
	wrapW float32 // the width rows were wrapped for
	meas  textMeasurer

	area   *composerText // the text, cursor and selection, inside scroll
	scroll *container.Scroll

	completion completer // takes keys first while it offers names (mentions.go)
}

const (
	composerMinLines = 1
	composerMaxLines = 6 // then it scrolls
)

func newComposer(onSend func(string)) *composer {
	c := &composer{onSend: onSend, goalX: -1,
		placeholder: "Message (Enter sends, Shift+Enter for a new line)"}
	c.area = &composerText{c: c}
	c.area.ExtendBaseWidget(c.area)
	c.scroll = container.NewVScroll(c.area)
	c.ExtendBaseWidget(c)
	return c
}

// SetText replaces the text and puts the cursor at its end.
func (c *composer) SetText(s string) {
	c.history = editHistory{}
	c.text = []rune(s)
	c.cur, c.anchor = len(c.text), len(c.text)
	c.changed()
}

// SetPlaceHolder sets what the empty composer shows.
func (c *composer) SetPlaceHolder(s string) {
	c.placeholder = s
	c.area.Refresh()
}

// ---- focus and keys ----

func (c *composer) FocusGained() { c.focused = true; c.Refresh() }
func (c *composer) FocusLost()   { c.focused = false; c.shift = false; c.Refresh() }

// AcceptsTab is false: Tab moves the focus (the window's focus manager),
// except while a completion is offered: Tab takes it.
func (c *composer) AcceptsTab() bool { return c.completion != nil && c.completion.open() }

func (c *composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
}

func (c *composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
}

func (c *composer) TypedRune(r rune) { c.insert([]rune{r}, editTyping) }

func (c *composer) TypedKey(k *fyne.KeyEvent) {
	if c.completion != nil && c.completion.key(k) {
		return
	}
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if !c.shift {
			c.onSend(c.Text)
			return
		}
		c.insert([]rune{'\n'}, editTyping)
	case fyne.KeyTab: // a driver that hands Tab over anyway
		if cv := c.canvas(); cv != nil {
			if c.shift {
				cv.FocusPrevious()
			} else {
				cv.FocusNext()
			}
		}
	case fyne.KeyBackspace:
		if a, b := c.selection(); a != b || c.cur == 0 {
			c.replace(a, b, nil, editDeleting)
		} else {
			c.replace(c.cur-1, c.cur, nil, editDeleting)
		}
	case fyne.KeyDelete:
		if a, b := c.selection(); a != b || c.cur == len(c.text) {
			c.replace(a, b, nil, editDeleting)
		} else {
			c.replace(c.cur, c.cur+1, nil, editDeleting)
		}
	case fyne.KeyLeft:
		a, _ := c.selection()
		c.moveTo(c.stepOr(a, c.cur-1))
	case fyne.KeyRight:
		_, b := c.selection()
		c.moveTo(c.stepOr(b, c.cur+1))
	case fyne.KeyUp:
		c.moveRow(-1)
	case fyne.KeyDown:
		c.moveRow(1)
	case fyne.KeyHome:
		c.moveTo(c.rows[c.rowOf(c.cur)].start)
	case fyne.KeyEnd:
		c.moveTo(c.rowEnd(c.rowOf(c.cur)))
	case fyne.KeyPageUp:
		c.moveTo(0)
	case fyne.KeyPageDown:
		c.moveTo(len(c.text))
	}
}

// stepOr moves one rune, or with a selection and no Shift to its edge.
func (c *composer) stepOr(edge, step int) int {
	if c.cur != c.anchor && !c.shift {
		return edge
	}
	return step
}

func (c *composer) TypedShortcut(s fyne.Shortcut) {
	switch s := s.(type) {
	case *fyne.ShortcutCopy:
		c.copyTo(s.Clipboard)
	case *fyne.ShortcutCut:
		if c.copyTo(s.Clipboard) {
			a, b := c.selection()
			c.replace(a, b, nil, editOther)
		}
	case *fyne.ShortcutPaste:
		if s.Clipboard != nil {
			c.insert([]rune(s.Clipboard.Content()), editOther)
		}
	case *fyne.ShortcutSelectAll:
		c.anchor, c.cur = 0, len(c.text)
		c.area.Refresh()
	case *fyne.ShortcutUndo:
		c.restore(c.history.undo(c.snapshot()))
	case *fyne.ShortcutRedo:
		c.restore(c.history.redo(c.snapshot()))
	case *desktop.CustomShortcut:
		c.typedCtrlKey(s)
	}
}

// typedCtrlKey: Ctrl+arrows move by word (with Shift: select), Ctrl+Backspace
// and Ctrl+Delete delete a word, Ctrl+Home and Ctrl+End go to the text's
// start and end, Ctrl+Shift+Z redoes.
func (c *composer) typedCtrlKey(s *desktop.CustomShortcut) {
	if s.Modifier&fyne.KeyModifierControl == 0 {
		return
	}
	shift := s.Modifier&fyne.KeyModifierShift != 0
	was := c.shift
	c.shift = shift
	defer func() { c.shift = was }()
	switch s.KeyName {
	case fyne.KeyLeft:
		c.moveTo(c.wordStart(c.cur))
	case fyne.KeyRight:
		c.moveTo(c.wordEnd(c.cur))
	case fyne.KeyHome:
		c.moveTo(0)
	case fyne.KeyEnd:
		c.moveTo(len(c.text))
	case fyne.KeyBackspace:
		if a, b := c.selection(); a != b {
			c.replace(a, b, nil, editOther)
		} else {
			c.replace(c.wordStart(c.cur), c.cur, nil, editOther)
		}
	case fyne.KeyDelete:
		if a, b := c.selection(); a != b {
			c.replace(a, b, nil, editOther)
		} else {
			c.replace(c.cur, c.wordEnd(c.cur), nil, editOther)
		}
	case fyne.KeyZ:
		if shift {
			c.restore(c.history.redo(c.snapshot()))
		}
	}
}

// wordStart is the start of the word before pos (spaces before pos skipped).
func (c *composer) wordStart(pos int) int {
	for pos > 0 && unicode.IsSpace(c.text[pos-1]) {
		pos--
	}
	for pos > 0 && !unicode.IsSpace(c.text[pos-1]) {
		pos--
	}
	return pos
}

// wordEnd is the end of the word after pos.
func (c *composer) wordEnd(pos int) int {
	for pos < len(c.text) && unicode.IsSpace(c.text[pos]) {
		pos++
	}
	for pos < len(c.text) && !unicode.IsSpace(c.text[pos]) {
		pos++
	}
	return pos
}

func (c *composer) copyTo(cb fyne.Clipboard) bool {
	a, b := c.selection()
	if a == b || cb == nil {
		return false
	}
	cb.SetContent(string(c.text[a:b]))
	return true
}

func (c *composer) canvas() fyne.Canvas {
	return fyne.CurrentApp().Driver().CanvasForObject(c)
}

func (c *composer) requestFocus() {
	if cv := c.canvas(); cv != nil && cv.Focused() != c {
		cv.Focus(c)
	}
}

// ---- editing ----

func (c *composer) selection() (int, int) { return min(c.cur, c.anchor), max(c.cur, c.anchor) }

func (c *composer) insert(rs []rune, kind editKind) {
	a, b := c.selection()
	if kind == editTyping && a > 0 && len(rs) > 0 && unicode.IsSpace(c.text[a-1]) && !unicode.IsSpace(rs[0]) {
		kind = editWordStart // undo takes back a word (and the spaces after it) at a time
	}
	c.replace(a, b, rs, kind)
}

// replace puts rs in place of text[a:b] and the cursor after it.
func (c *composer) replace(a, b int, rs []rune, kind editKind) {
	if a == b && len(rs) == 0 {
		c.moveTo(a)
		return
	}
	c.history.record(c.snapshot(), kind, a)
	text := make([]rune, 0, len(c.text)-(b-a)+len(rs))
	text = append(append(append(text, c.text[:a]...), rs...), c.text[b:]...)
	c.text = text
	c.cur = a + len(rs)
	c.anchor = c.cur
	c.history.after(c.cur)
	c.changed()
}

func (c *composer) snapshot() edit { return edit{text: string(c.text), cur: c.cur} }

func (c *composer) restore(e edit, ok bool) {
	if !ok {
		return
	}
	c.text = []rune(e.text)
	c.cur, c.anchor = min(e.cur, len(c.text)), min(e.cur, len(c.text))
	c.changed()
}

// changed re-wraps after a change of the text and tells OnChanged.
func (c *composer) changed() {
	c.Text = string(c.text)
	c.goalX = -1
	lines := len(c.rows)
	c.wrap()
	if len(c.rows) != lines {
		c.Refresh() // the height may change
	} else {
		c.area.Refresh()
	}
	c.showCursor()
	if c.OnChanged != nil {
		c.OnChanged(c.Text)
	}
	if c.completion != nil {
		c.completion.update()
	}
}

// moveTo moves the cursor (with Shift: extends the selection).
func (c *composer) moveTo(pos int) {
	c.cur = max(0, min(pos, len(c.text)))
	if !c.shift {
		c.anchor = c.cur
	}
	c.goalX = -1
	c.area.Refresh()
	c.showCursor()
	if c.completion != nil {
		c.completion.update()
	}
}

// moveRow moves the cursor a row up or down, keeping its column in pixels.
func (c *composer) moveRow(d int) {
	goal := c.goalX
	if goal < 0 {
		goal = c.xOf(c.cur)
	}
	r := c.rowOf(c.cur) + d
	switch {
	case r < 0:
		c.moveTo(0)
	case r >= len(c.rows):
		c.moveTo(len(c.text))
	default:
		c.moveTo(c.colAt(r, goal))
	}
	c.goalX = goal
}

// selectWord selects the word (or run of spaces) at pos.
func (c *composer) selectWord(pos int) {
	a, b := pos, pos
	if len(c.text) > 0 {
		at := min(pos, len(c.text)-1)
		space := unicode.IsSpace(c.text[at])
		for a > 0 && unicode.IsSpace(c.text[a-1]) == space && c.text[a-1] != '\n' {
			a--
		}
		for b < len(c.text) && unicode.IsSpace(c.text[b]) == space && c.text[b] != '\n' {
			b++
		}
	}
	c.anchor, c.cur = a, b
	c.area.Refresh()
}

// ---- layout: rows, the cursor's place ----

func (c *composer) font() (size, lineH float32) {
	size = c.Theme().Size(theme.SizeNameText)
	c.meas.setFont(size, fyne.TextStyle{})
	return size, fyne.MeasureText("Mg", size, fyne.TextStyle{}).Height
}

// insets are the text's distances from the scroll area's left and top.
// The scroll area starts below the box's top padding, so that it shows
// whole rows only.
func (c *composer) insets() (x, y float32) {
	return c.Theme().Size(theme.SizeNameInnerPadding), 0
}

// wrap computes the rows for the current width.
func (c *composer) wrap() {
	c.font()
	padX, _ := c.insets()
	width := c.scroll.Size().Width - 2*padX
	if width <= 0 {
		width = 1 << 20 // not laid out yet: one row per paragraph
	}
	c.wrapW = c.scroll.Size().Width
	c.rows = wrapRows(c.text, width, c.meas.width)
}

// rowOf is the row the cursor at pos shows in: at a wrap point, the
// start of the next row.
func (c *composer) rowOf(pos int) int {
	lo, hi := 0, len(c.rows)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.rows[mid].start <= pos {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// rowEnd is where End puts the cursor on row r: before a space the row
// wraps at (after it the cursor would show on the next row).
func (c *composer) rowEnd(r int) int {
	s := c.rows[r]
	if r+1 < len(c.rows) && c.rows[r+1].start == s.end && s.end > s.start && unicode.IsSpace(c.text[s.end-1]) {
		return s.end - 1
	}
	return s.end
}

// xOf is the cursor's x within the text at pos.
func (c *composer) xOf(pos int) float32 {
	s := c.rows[c.rowOf(pos)]
	return c.meas.width(c.text[s.start:pos])
}

// colAt is the position in row r nearest to x.
func (c *composer) colAt(r int, x float32) int {
	s := c.rows[r]
	end := c.rowEnd(r)
	lo, hi := s.start, end
	for lo < hi { // the last position whose x is <= x
		mid := (lo + hi + 1) / 2
		if c.meas.width(c.text[s.start:mid]) <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo < end && x-c.meas.width(c.text[s.start:lo]) > c.meas.width(c.text[s.start:lo+1])-x {
		lo++
	}
	return lo
}

// posAt is the text position at p, in the text area's coordinates.
func (c *composer) posAt(p fyne.Position) int {
	_, lineH := c.font()
	padX, padY := c.insets()
	r := int((p.Y - padY) / lineH)
	r = max(0, min(r, len(c.rows)-1))
	return c.colAt(r, p.X-padX)
}

// showCursor scrolls the cursor's row into view, by whole rows, and
// leaves no empty room below the last row (after the composer grew).
func (c *composer) showCursor() {
	_, lineH := c.font()
	_, padY := c.insets()
	fits := max(1, int((c.scroll.Size().Height-2*padY)/lineH+0.01))
	first := int(c.scroll.Offset.Y/lineH + 0.5)
	r := c.rowOf(c.cur)
	first = min(first, r, max(0, len(c.rows)-fits))
	first = max(first, r-fits+1)
	c.scroll.ScrollToOffset(fyne.NewPos(0, float32(first)*lineH))
}

// visibleLines is the composer's height in rows: it grows with the text.
func (c *composer) visibleLines() int {
	return max(composerMinLines, min(len(c.rows), composerMaxLines))
}

func (c *composer) MinSize() fyne.Size {
	if c.rows == nil {
		c.wrap()
	}
	_, lineH := c.font()
	th := c.Theme()
	pad := th.Size(theme.SizeNameInnerPadding)
	return fyne.NewSize(4*lineH, float32(c.visibleLines())*lineH+2*pad)
}

// ---- editing history (Ctrl+Z, Ctrl+Shift+Z) ----

type editKind int

const (
	editOther     editKind = iota
	editTyping             // keys typed one after another
	editWordStart          // a key typed that starts a word: a new group
	editDeleting           // Backspace or Delete pressed one after another
)

type edit struct {
	text string
	cur  int
}

// editHistory keeps the text before each group of edits: keys typed (or
// deleted) one after another at the cursor are one group.
type editHistory struct {
	undos, redos []edit
	kind         editKind
	end          int // the cursor after the last edit
}

const historyMax = 100

func (h *editHistory) record(before edit, kind editKind, at int) {
	joins := kind == h.kind && kind != editOther && len(h.undos) > 0 &&
		(at == h.end || kind == editDeleting && at == h.end-1)
	if !joins {
		h.undos = append(h.undos, before)
		if len(h.undos) > historyMax {
			h.undos = h.undos[1:]
		}
	}
	if kind == editWordStart {
		kind = editTyping // the rest of the word joins it
	}
	h.kind = kind
	h.redos = nil
}

func (h *editHistory) after(cur int) { h.end = cur }

func (h *editHistory) undo(now edit) (edit, bool) {
	if len(h.undos) == 0 {
		return edit{}, false
	}
	e := h.undos[len(h.undos)-1]
	h.undos = h.undos[:len(h.undos)-1]
	h.redos = append(h.redos, now)
	h.kind = editOther
	return e, true
}

func (h *editHistory) redo(now edit) (edit, bool) {
	if len(h.redos) == 0 {
		return edit{}, false
	}
	e := h.redos[len(h.redos)-1]
	h.redos = h.redos[:len(h.redos)-1]
	h.undos = append(h.undos, now)
	h.kind = editOther
	return e, true
}
