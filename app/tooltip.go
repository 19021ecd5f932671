package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
)

// Names cut with "…" (rooms, people, the room above the conversation)
// show whole in a tooltip while the pointer rests on them. Fyne 2.7 has
// no tooltip, and a widget.PopUp takes the pointer from the window (the
// hover, and the next click, which would only close it), so the tooltip
// is drawn on a layer above the window's content that no event reaches.

// tipDelay is how long the pointer rests before the tooltip shows.
const tipDelay = 500 * time.Millisecond

// tipLayer is where the tooltip is drawn, above the window's content.
type tipLayer struct {
	box   *fyne.Container // no layout: the tooltip is placed by hand
	bg    *canvas.Rectangle
	text  string         // shown; "" when none is
	lines []*canvas.Text // the text, broken to fit the window
}

func newTipLayer() *tipLayer {
	l := &tipLayer{bg: canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))}
	l.bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	l.bg.StrokeWidth = 1
	l.bg.CornerRadius = theme.SelectionRadiusSize()
	l.box = container.NewWithoutLayout(l.bg)
	l.hide()
	return l
}

// over is content with the layer above it: the window's content.
func (l *tipLayer) over(content fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(content, l.box)
}

// show draws text below the pointer (at, in the window's coordinates),
// inside the window, broken into lines where it is wider.
func (l *tipLayer) show(text string, at fyne.Position) {
	l.hide()
	l.text = text
	pad := theme.InnerPadding()
	room := l.box.Size()
	size := fyne.NewSize(0, pad)
	for _, line := range breakToWidth(text, room.Width-2*pad) {
		t := canvas.NewText(line, theme.Color(theme.ColorNameForeground))
		t.Move(fyne.NewPos(pad, size.Height))
		t.Resize(t.MinSize())
		size = fyne.NewSize(max(size.Width, t.MinSize().Width+2*pad), size.Height+t.MinSize().Height)
		l.lines = append(l.lines, t)
	}
	size.Height += pad
	at = at.Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(l.box))
	x := max(0, min(at.X, room.Width-size.Width))
	y := at.Y + 2*theme.Padding() + theme.IconInlineSize() // below the pointer
	if y+size.Height > room.Height {
		y = max(0, at.Y-size.Height-theme.Padding()) // no room below: above it
	}
	l.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	l.bg.Move(fyne.NewPos(x, y))
	l.bg.Resize(size)
	l.bg.Show()
	for _, t := range l.lines {
		t.Move(t.Position().AddXY(x, y))
		l.box.Add(t)
	}
	l.box.Refresh()
}

func (l *tipLayer) hide() {
	l.text = ""
	for _, t := range l.lines {
		l.box.Remove(t)
	}
	l.lines = nil
	l.bg.Hide()
	l.box.Refresh()
}

// shown is the tooltip's text, "" when none is shown.
func (l *tipLayer) shown() string { return l.text }

// breakToWidth breaks text into lines no wider than width (names have no
// spaces to break at: they break anywhere).
func breakToWidth(text string, width float32) []string {
	var lines []string
	line := []rune{}
	for _, r := range text {
		if len(line) > 0 && fyne.MeasureText(string(append(line, r)), theme.TextSize(), fyne.TextStyle{}).Width > width {
			lines = append(lines, string(line))
			line = line[:0]
		}
		line = append(line, r)
	}
	return append(lines, string(line))
}

// nameTip lies over a label cut with "…" and shows its whole text in the
// layer while the pointer rests on it. Over a list row it takes the hover
// from the row, so it draws the row's hover colour itself.
type nameTip struct {
	widget.BaseWidget
	label     *widget.Label
	layer     *tipLayer
	highlight *canvas.Rectangle // nil: no hover colour (not a list row)
	hovered   bool
	pointer   fyne.Position // absolute
	rests     int           // counts the pointer's moves: a timer that is not the last one's does nothing
}

func newNameTip(label *widget.Label, layer *tipLayer, row bool) *nameTip {
	t := &nameTip{label: label, layer: layer}
	if row {
		t.highlight = canvas.NewRectangle(theme.Color(theme.ColorNameHover))
		t.highlight.CornerRadius = theme.SelectionRadiusSize()
		t.highlight.Hide()
	}
	t.ExtendBaseWidget(t)
	return t
}

func (t *nameTip) CreateRenderer() fyne.WidgetRenderer {
	if t.highlight == nil {
		return widget.NewSimpleRenderer(container.NewWithoutLayout())
	}
	return widget.NewSimpleRenderer(t.highlight)
}

// cut says whether the label shows less than its whole text.
func (t *nameTip) cut() bool {
	l := t.label
	return fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width+2*theme.InnerPadding() > l.Size().Width
}

func (t *nameTip) MouseIn(e *desktop.MouseEvent) {
	t.hovered = true
	if t.highlight != nil {
		t.highlight.FillColor = theme.Color(theme.ColorNameHover)
		t.highlight.Show()
		t.highlight.Refresh()
	}
	t.MouseMoved(e)
}

// MouseMoved waits for the pointer to rest; a tooltip shown stays.
func (t *nameTip) MouseMoved(e *desktop.MouseEvent) {
	t.pointer = e.AbsolutePosition
	if t.layer.shown() != "" {
		return
	}
	t.rests++
	rest := t.rests
	time.AfterFunc(tipDelay, func() {
		bridge.Do(func() {
			if t.hovered && rest == t.rests && t.cut() {
				t.layer.show(t.label.Text, t.pointer)
			}
		})
	})
}

func (t *nameTip) MouseOut() {
	t.hovered = false
	t.rests++
	if t.highlight != nil {
		t.highlight.Hide()
		t.highlight.Refresh()
	}
	t.layer.hide()
}

// withTip is obj with a nameTip for label under it, in the same place
// (under: its hover colour must not cover the text).
func withTip(obj fyne.CanvasObject, label *widget.Label, layer *tipLayer, row bool) *fyne.Container {
	return container.NewStack(newNameTip(label, layer, row), obj)
}

// tipped is the object withTip put the tip under.
func tipped(c *fyne.Container) fyne.CanvasObject { return c.Objects[1] }
