package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// focusButton is a button that shows the keyboard focus with a ring, and
// that Enter presses as well as Space. Fyne marks a focused button by
// blending its focus colour (the primary colour, half transparent) into the
// button's own: on a primary button, itself the primary colour, that
// changes nothing one can see (widget/button.go, buttonColorNames).
type focusButton struct {
	widget.Button
	ring     *canvas.Rectangle
	hasFocus bool
	onEscape func() // Escape while focused (a dialog's cancel), if set
}

func newFocusButton(label string, tapped func()) *focusButton {
	b := &focusButton{}
	b.Text, b.OnTapped = label, tapped
	b.ExtendBaseWidget(b)
	return b
}

// focusRingWidth is the ring's stroke, in pixels at scale 1.
const focusRingWidth = 2

func (b *focusButton) CreateRenderer() fyne.WidgetRenderer {
	b.ring = canvas.NewRectangle(color.Transparent)
	b.ring.StrokeWidth = focusRingWidth
	r := &ringRenderer{WidgetRenderer: b.Button.CreateRenderer(), b: b}
	r.Refresh()
	return r
}

func (b *focusButton) FocusGained() {
	b.hasFocus = true
	b.Button.FocusGained() // refreshes
}

func (b *focusButton) FocusLost() {
	b.hasFocus = false
	b.Button.FocusLost()
}

func (b *focusButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		b.Tapped(nil)
	case fyne.KeyEscape:
		if b.onEscape != nil {
			b.onEscape()
		}
	default:
		b.Button.TypedKey(ev)
	}
}

// ringRenderer draws the button, and the ring over it while it has focus.
type ringRenderer struct {
	fyne.WidgetRenderer
	b *focusButton
}

func (r *ringRenderer) Objects() []fyne.CanvasObject {
	return append(r.WidgetRenderer.Objects(), r.b.ring)
}

func (r *ringRenderer) Layout(size fyne.Size) {
	r.WidgetRenderer.Layout(size)
	r.b.ring.Resize(size)
	r.b.ring.Move(fyne.NewPos(0, 0))
}

func (r *ringRenderer) Refresh() {
	r.WidgetRenderer.Refresh()
	th := r.b.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.b.ring.StrokeColor = th.Color(theme.ColorNameForeground, v)
	r.b.ring.CornerRadius = th.Size(theme.SizeNameInputRadius)
	if r.b.hasFocus && !r.b.Disabled() {
		r.b.ring.Show()
	} else {
		r.b.ring.Hide()
	}
	r.b.ring.Refresh()
}

// escCheck is a check box on which Escape cancels the dialog it is in.
type escCheck struct {
	widget.Check
	onEscape func()
}

func newEscCheck(label string, changed func(bool), onEscape func()) *escCheck {
	c := &escCheck{onEscape: onEscape}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

func (c *escCheck) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape {
		c.onEscape()
		return
	}
	c.Check.TypedKey(ev)
}

// showKeyed shows a dialog that answers the keyboard: focus starts on
// first (Enter presses it), Escape runs cancel wherever the focus is in the
// dialog, and also when nothing has it (the window's key handler, put back
// when the dialog closes).
func showKeyed(win fyne.Window, d dialog.Dialog, first *focusButton, cancel func()) {
	c := win.Canvas()
	previous := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyEscape:
			cancel()
		case fyne.KeyReturn, fyne.KeyEnter:
			first.Tapped(nil)
		}
	})
	d.SetOnClosed(func() { c.SetOnTypedKey(previous) })
	d.Show()
	c.Focus(first)
}
