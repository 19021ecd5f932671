//go:build linux || freebsd || openbsd || netbsd

package attention

import (
	"io"
	"log"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// urgencyHint is the ICCCM WM_HINTS flag that asks for attention; window
// managers and taskbars (EWMH: like _NET_WM_STATE_DEMANDS_ATTENTION)
// mark the window until it is cleared.
const urgencyHint = 1 << 8

// xgb logs to stderr on its own (a missing ~/.Xauthority, at every
// connection); failures here are reported by Urgency, once.
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

// wmHintsLen is WM_HINTS's length in 32-bit fields.
const wmHintsLen = 9

// setUrgent sets or clears the urgency hint of an X11 window on display
// ("" is $DISPLAY), keeping the window's other hints.
func setUrgent(display string, window uintptr, on bool) error {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return err
	}
	defer c.Close()
	w := xproto.Window(window)
	hints, err := wmHints(c, w)
	if err != nil {
		return err
	}
	flags := xgb.Get32(hints)
	if on {
		flags |= urgencyHint
	} else {
		flags &^= urgencyHint
	}
	xgb.Put32(hints, flags)
	return xproto.ChangePropertyChecked(c, xproto.PropModeReplace, w, xproto.AtomWmHints, xproto.AtomWmHints,
		32, wmHintsLen, hints).Check()
}

// wmHints is the window's WM_HINTS, all zero when it has none.
func wmHints(c *xgb.Conn, w xproto.Window) ([]byte, error) {
	hints := make([]byte, 4*wmHintsLen)
	r, err := xproto.GetProperty(c, false, w, xproto.AtomWmHints, xproto.AtomWmHints, 0, wmHintsLen).Reply()
	if err != nil {
		return nil, err
	}
	if r.Format == 32 {
		copy(hints, r.Value)
	}
	return hints, nil
}

// Urgent reports whether the window on display asks for attention.
func Urgent(display string, window uintptr) (bool, error) {
	c, err := xgb.NewConnDisplay(display)
	if err != nil {
		return false, err
	}
	defer c.Close()
	hints, err := wmHints(c, xproto.Window(window))
	if err != nil {
		return false, err
	}
	return xgb.Get32(hints)&urgencyHint != 0, nil
}
