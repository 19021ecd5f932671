package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composer is a multi-line entry where Enter sends and Shift+Enter starts a
// new line (Fyne's own entry does the opposite).
type composer struct {
	widget.Entry
	onSend func(string)
	shift  bool
}

func newComposer(onSend func(string)) *composer {
	c := &composer{onSend: onSend}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.SetPlaceHolder("Message (Enter sends, Shift+Enter for a new line)")
	c.ExtendBaseWidget(c)
	return c
}

func (c *composer) KeyDown(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = true
	}
	c.Entry.KeyDown(k)
}

func (c *composer) KeyUp(k *fyne.KeyEvent) {
	if k.Name == desktop.KeyShiftLeft || k.Name == desktop.KeyShiftRight {
		c.shift = false
	}
	c.Entry.KeyUp(k)
}

func (c *composer) TypedKey(k *fyne.KeyEvent) {
	if (k.Name == fyne.KeyReturn || k.Name == fyne.KeyEnter) && !c.shift {
		c.onSend(c.Text)
		return
	}
	c.Entry.TypedKey(k) // OnSubmitted is unset, so Shift+Enter inserts a newline
}
