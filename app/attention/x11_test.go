//go:build linux

package attention

import (
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"confab/internal/desktoptest"
)

// On a real X server: the hint is set and cleared, the window's other
// hints stay.
func TestUrgencyHint(t *testing.T) {
	t.Parallel()
	d := desktoptest.Start(t, false)
	c, err := xgb.NewConnDisplay(d.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id, err := c.NewId()
	if err != nil {
		t.Fatal(err)
	}
	w := xproto.Window(id)
	screen := xproto.Setup(c).DefaultScreen(c)
	if err := xproto.CreateWindowChecked(c, screen.RootDepth, w, screen.Root, 0, 0, 100, 100, 0,
		xproto.WindowClassInputOutput, screen.RootVisual, 0, nil).Check(); err != nil {
		t.Fatal(err)
	}
	hints := make([]byte, 4*wmHintsLen)
	xgb.Put32(hints, 1)     // InputHint, as GLFW sets it
	xgb.Put32(hints[4:], 1) // input: true
	if err := xproto.ChangePropertyChecked(c, xproto.PropModeReplace, w, xproto.AtomWmHints, xproto.AtomWmHints, 32, wmHintsLen, hints).Check(); err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{true, false, true} {
		if err := setUrgent(d.Display, uintptr(w), on); err != nil {
			t.Fatal(err)
		}
		if got, err := Urgent(d.Display, uintptr(w)); err != nil || got != on {
			t.Fatalf("urgent %v (%v), want %v", got, err, on)
		}
		got, _ := wmHints(c, w)
		if xgb.Get32(got)&1 == 0 || xgb.Get32(got[4:]) != 1 {
			t.Fatalf("the window's input hint was lost: % x", got)
		}
	}
}
