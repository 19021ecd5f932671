package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The composer's look: an input box (background, border that shows the
// focus) around a vertical scroll that holds the text area.

func (c *composer) CreateRenderer() fyne.WidgetRenderer {
	r := &composerRenderer{c: c, bg: canvas.NewRectangle(color.Transparent), border: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type composerRenderer struct {
	c          *composer
	bg, border *canvas.Rectangle
}

func (r *composerRenderer) Layout(size fyne.Size) {
	th := r.c.Theme()
	b, pad := th.Size(theme.SizeNameInputBorder), th.Size(theme.SizeNameInnerPadding)
	r.bg.Resize(size)
	r.border.Resize(size)
	r.c.scroll.Move(fyne.NewPos(b, pad))
	r.c.scroll.Resize(fyne.NewSize(size.Width-2*b, size.Height-2*pad))
	if r.c.scroll.Size().Width != r.c.wrapW {
		r.c.wrap()
	}
	r.c.fitArea()
	r.c.area.Refresh()
	r.c.showCursor()
}

func (r *composerRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *composerRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.border, r.c.scroll}
}

func (r *composerRenderer) Refresh() {
	th := r.c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor = th.Color(theme.ColorNameInputBackground, v)
	r.bg.CornerRadius = th.Size(theme.SizeNameInputRadius)
	r.border.CornerRadius = r.bg.CornerRadius
	r.border.StrokeWidth = th.Size(theme.SizeNameInputBorder)
	r.border.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	if r.c.focused {
		r.border.StrokeColor = th.Color(theme.ColorNamePrimary, v)
	}
	r.bg.Refresh()
	r.border.Refresh()
	r.c.fitArea()
	r.c.scroll.Refresh()
}

func (r *composerRenderer) Destroy() {}

// fitArea sizes the text area to its rows (at least the visible height),
// so that the scroll knows its extent before it scrolls to the cursor.
func (c *composer) fitArea() {
	s := c.scroll.Size()
	c.area.Resize(fyne.NewSize(s.Width, max(s.Height, c.area.MinSize().Height)))
}

// composerText is the scrolled text area: it draws the rows, the selection
// and the cursor, and takes the mouse (the scroll around it would take the
// drags otherwise).
type composerText struct {
	widget.BaseWidget
	c       *composer
	pressed bool // MouseDown placed the cursor; the Tapped that follows leaves it
}

func (t *composerText) MinSize() fyne.Size {
	_, lineH := t.c.font()
	_, padY := t.c.insets()
	return fyne.NewSize(0, float32(max(1, len(t.c.rows)))*lineH+2*padY)
}

func (t *composerText) Cursor() desktop.Cursor { return desktop.TextCursor }

// MouseDown places the cursor (Shift+click extends the selection); a drag
// from there selects.
func (t *composerText) MouseDown(e *desktop.MouseEvent) {
	if e.Button == desktop.MouseButtonPrimary {
		t.pressed = true
		t.place(e.Position, e.Modifier&fyne.KeyModifierShift != 0)
	}
}

func (t *composerText) MouseUp(*desktop.MouseEvent) {}

// Tapped places the cursor where no MouseDown did (a touch screen).
func (t *composerText) Tapped(e *fyne.PointEvent) {
	if t.pressed {
		t.pressed = false
		return
	}
	t.place(e.Position, false)
}

func (t *composerText) place(p fyne.Position, extend bool) {
	c := t.c
	c.requestFocus()
	c.cur = c.posAt(p)
	if !extend {
		c.anchor = c.cur
	}
	c.goalX = -1
	t.Refresh()
}

func (t *composerText) Dragged(e *fyne.DragEvent) {
	t.c.cur = t.c.posAt(e.Position)
	t.Refresh()
	t.c.showCursor()
}

func (t *composerText) DragEnd() {}

func (t *composerText) DoubleTapped(e *fyne.PointEvent) {
	t.c.requestFocus()
	t.c.selectWord(t.c.posAt(e.Position))
}

func (t *composerText) TappedSecondary(e *fyne.PointEvent) {
	c := t.c
	cv := c.canvas()
	if cv == nil {
		return
	}
	c.requestFocus()
	cb := fyne.CurrentApp().Clipboard()
	menu := fyne.NewMenu("",
		fyne.NewMenuItem("Cut", func() { c.TypedShortcut(&fyne.ShortcutCut{Clipboard: cb}) }),
		fyne.NewMenuItem("Copy", func() { c.TypedShortcut(&fyne.ShortcutCopy{Clipboard: cb}) }),
		fyne.NewMenuItem("Paste", func() { c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb}) }),
		fyne.NewMenuItem("Select all", func() { c.TypedShortcut(&fyne.ShortcutSelectAll{}) }),
	)
	widget.ShowPopUpMenuAtPosition(menu, cv, e.AbsolutePosition)
}

func (t *composerText) CreateRenderer() fyne.WidgetRenderer {
	r := &composerTextRenderer{t: t, caret: canvas.NewRectangle(color.Transparent),
		placeholder: canvas.NewText("", color.Transparent)}
	r.Refresh()
	return r
}

type composerTextRenderer struct {
	t           *composerText
	rows        []*canvas.Text
	sel         []*canvas.Rectangle
	caret       *canvas.Rectangle
	placeholder *canvas.Text
	objects     []fyne.CanvasObject
}

func (r *composerTextRenderer) Layout(fyne.Size) { r.Refresh() }

func (r *composerTextRenderer) MinSize() fyne.Size { return r.t.MinSize() }

func (r *composerTextRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *composerTextRenderer) Destroy() {}

// Refresh draws the rows; only rows whose text changed are redrawn.
func (r *composerTextRenderer) Refresh() {
	c := r.t.c
	th := c.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	size, lineH := c.font()
	padX, padY := c.insets()
	fg := th.Color(theme.ColorNameForeground, v)

	for len(r.rows) < len(c.rows) {
		r.rows = append(r.rows, canvas.NewText("", fg))
	}
	r.rows = r.rows[:len(c.rows)]
	for i, s := range c.rows {
		t := r.rows[i]
		text := string(c.text[s.start:s.end])
		pos := fyne.NewPos(padX, padY+float32(i)*lineH)
		if t.Text != text || t.Color != fg || t.TextSize != size {
			t.Text, t.Color, t.TextSize = text, fg, size
			t.Refresh()
		}
		if t.Position() != pos {
			t.Move(pos)
		}
	}

	r.layoutSelection(th.Color(theme.ColorNameSelection, v), lineH, padX, padY)

	r.caret.FillColor = th.Color(theme.ColorNamePrimary, v)
	r.caret.Resize(fyne.NewSize(2, lineH))
	x := min(c.xOf(c.cur), r.t.Size().Width-2*padX)
	r.caret.Move(fyne.NewPos(padX+x-1, padY+float32(c.rowOf(c.cur))*lineH))
	r.caret.Hidden = !c.focused
	r.caret.Refresh()

	r.placeholder.Text = c.placeholder
	r.placeholder.TextSize = size
	r.placeholder.Color = th.Color(theme.ColorNamePlaceHolder, v)
	r.placeholder.Move(fyne.NewPos(padX, padY))
	r.placeholder.Hidden = len(c.text) > 0
	r.placeholder.Refresh()

	r.objects = r.objects[:0]
	for _, s := range r.sel {
		r.objects = append(r.objects, s)
	}
	r.objects = append(r.objects, r.placeholder)
	for _, t := range r.rows {
		r.objects = append(r.objects, t)
	}
	r.objects = append(r.objects, r.caret)
}

// layoutSelection puts a rectangle behind the selected part of each row.
func (r *composerTextRenderer) layoutSelection(col color.Color, lineH, padX, padY float32) {
	c := r.t.c
	a, b := c.selection()
	n := 0
	if a != b {
		for i := c.rowOf(a); i < len(c.rows) && c.rows[i].start <= b; i++ {
			s := c.rows[i]
			from, to := max(a, s.start), min(b, s.end)
			if from > to || from == to && b <= s.end {
				continue
			}
			x0 := c.meas.width(c.text[s.start:from])
			x1 := c.meas.width(c.text[s.start:to])
			if b > s.end { // the selection goes on past this row: show the line break
				x1 += lineH / 3
			}
			if n == len(r.sel) {
				r.sel = append(r.sel, canvas.NewRectangle(col))
			}
			rect := r.sel[n]
			rect.FillColor = col
			rect.Move(fyne.NewPos(padX+x0, padY+float32(i)*lineH))
			rect.Resize(fyne.NewSize(x1-x0, lineH))
			rect.Refresh()
			n++
		}
	}
	r.sel = r.sel[:n]
}
