package app

import (
	"fmt"
	"image"
	"image/draw"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"confab/app/bridge"
	"confab/client"
)

// press types a key as the window does: to the focused object, else to
// the canvas's key handler.
func press(c fyne.Canvas, key fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: key}
	if f := c.Focused(); f != nil {
		f.TypedKey(ev)
	} else if h := c.OnTypedKey(); h != nil {
		h(ev)
	}
}

// focusOrder is what Tab visits from the top, named for the test.
func focusOrder(c fyne.Canvas, names map[fyne.Focusable]string, n int) []string {
	c.Unfocus()
	var out []string
	for range n {
		c.FocusNext()
		name, ok := names[c.Focused()]
		if !ok {
			name = fmt.Sprintf("%T", c.Focused())
		}
		out = append(out, name)
	}
	return out
}

// Tab on the login screen follows the screen from top to bottom, in both
// modes, and wraps around to the top.
func TestLoginTabOrder(t *testing.T) {
	ui := newUI(t)
	bridge.DoAndWait(func() {
		f := ui.login
		names := map[fyne.Focusable]string{f.url: "address", f.port: "port", f.others: "others", f.user: "username",
			f.pass: "password", f.signIn: "sign in", f.create: "create"}
		c := ui.win.Canvas()
		f.mode.SetSelected(modeJoin)
		want := "*widget.radioItem *widget.radioItem address username password sign in create *widget.radioItem"
		if got := strings.Join(focusOrder(c, names, 8), " "); got != want {
			t.Errorf("join: Tab visits %s, want %s", got, want)
		}
		f.mode.SetSelected(modeHost)
		want = "*widget.radioItem *widget.radioItem port others username password sign in create *widget.radioItem"
		if got := strings.Join(focusOrder(c, names, 9), " "); got != want {
			t.Errorf("host: Tab visits %s, want %s", got, want)
		}
	})
}

// A focused primary button looks focused: Fyne's own mark (its focus
// colour blended into the primary colour) cannot be seen on it.
func TestFocusedPrimaryButtonIsVisible(t *testing.T) {
	ui := newUI(t)
	bridge.DoAndWait(func() {
		ui.app.Settings().SetTheme(theme.DefaultTheme()) // the test theme's colours differ
		c := ui.win.Canvas()
		for _, b := range []*focusButton{ui.login.signIn, ui.login.create} {
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
			area := image.Rect(int(pos.X), int(pos.Y), int(pos.X+b.Size().Width), int(pos.Y+b.Size().Height))
			c.Unfocus()
			before := copyImage(c.Capture()) // the canvas reuses its image
			c.Focus(b)
			after := c.Capture()
			changed := 0
			for y := area.Min.Y; y < area.Max.Y; y++ {
				for x := area.Min.X; x < area.Max.X; x++ {
					r1, g1, b1, _ := before.At(x, y).RGBA()
					r2, g2, b2, _ := after.At(x, y).RGBA()
					if max(diff(r1, r2), diff(g1, g2), diff(b1, b2)) > 0x3000 {
						changed++
					}
				}
			}
			// The ring: most of the button's outline (its corners are round).
			if perimeter := 2 * (area.Dx() + area.Dy()) * 3 / 4; changed < perimeter {
				t.Errorf("%q: %d pixels change when focused, want at least %d", b.Text, changed, perimeter)
			}
		}
	})
}

func copyImage(img image.Image) image.Image {
	out := image.NewRGBA(img.Bounds())
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// The question about a new key answers the keyboard: the focus starts on
// "Do not trust" (Enter pressed without reading trusts nothing), Escape
// cancels wherever the focus is, and trusting takes moving to the button.
func TestTrustDialogKeys(t *testing.T) {
	ui := newUI(t)
	fp := strings.Repeat("CD:", 31) + "CD"
	ce := &client.CertError{Server: "10.0.0.9:7878", Fingerprint: fp}
	retried := 0
	ask := func() fyne.Canvas {
		c := ui.win.Canvas()
		ui.askTrust(ce, nil, func() { retried++ })
		return c
	}
	closed := func(what string) {
		t.Helper()
		if ui.trust != nil || ui.win.Canvas().Overlays().Top() != nil {
			t.Fatalf("%s: the dialog is still open", what)
		}
		if ui.pinStore.Pin(ce.Server) != "" || retried != 0 {
			t.Fatalf("%s: the key was trusted", what)
		}
	}
	// The window's own key handler (shortcuts), to be back after each dialog.
	handler := func(c fyne.Canvas) uintptr { return reflect.ValueOf(c.OnTypedKey()).Pointer() }
	before := onUI(func() uintptr { return handler(ui.win.Canvas()) })
	bridge.DoAndWait(func() {
		c := ask()
		if shown := strings.Join(labels(c.Overlays().Top()), "\n"); !strings.Contains(shown, fingerprintLines(fp)) {
			t.Errorf("the fingerprint is not shown as in the host panel:\n%s", shown)
		}
		if c.Focused() != fyne.Focusable(ui.trust.cancel) || !ui.trust.cancel.hasFocus {
			t.Fatalf("the focus starts on %T, not on %q", c.Focused(), ui.trust.cancel.Text)
		}
		press(c, fyne.KeyReturn)
		closed("Enter")

		c = ask()
		c.FocusNext() // to the next control, whatever it is
		press(c, fyne.KeyEscape)
		closed("Escape on the next control")

		c = ask()
		c.Unfocus()
		press(c, fyne.KeyEscape)
		closed("Escape with nothing focused")
		if handler(c) != before {
			t.Fatal("the dialog's key handler outlived it")
		}

		c = ask()
		for range 5 {
			if c.Focused() == fyne.Focusable(ui.trust.accept) {
				break
			}
			c.FocusNext()
		}
		press(c, fyne.KeyReturn)
		if ui.trust != nil || ui.pinStore.Pin(ce.Server) != fp || retried != 1 {
			t.Fatal("Enter on the trust button did not trust the key")
		}
	})
}

// The question about a chat without encryption answers Escape and Enter.
func TestPlainDialogKeys(t *testing.T) {
	ui := newUI(t)
	retried := 0
	bridge.DoAndWait(func() {
		c := ui.win.Canvas()
		ui.askPlain("http://10.0.0.9:7878", func() { retried++ })
		press(c, fyne.KeyEscape)
		if ui.trust != nil || retried != 0 {
			t.Fatal("Escape did not cancel")
		}
		ui.askPlain("http://10.0.0.9:7878", func() { retried++ })
		c.FocusNext()
		if c.Focused() != fyne.Focusable(ui.trust.accept) {
			t.Fatalf("Tab went to %T", c.Focused())
		}
		press(c, fyne.KeyReturn)
		if ui.trust != nil || retried != 1 {
			t.Fatal("Enter on the join button did not join")
		}
	})
}

// Enter in a login field goes on to the next one; in the password, it signs in.
func TestLoginEnterMovesOn(t *testing.T) {
	ui := newUI(t)
	bridge.DoAndWait(func() {
		f, c := ui.login, ui.win.Canvas()
		for _, step := range []struct {
			from, to fyne.Focusable
			mode     string
		}{{f.url, f.user, modeJoin}, {f.port, f.user, modeHost}, {f.user, f.pass, modeJoin}} {
			f.mode.SetSelected(step.mode)
			c.Focus(step.from)
			press(c, fyne.KeyReturn)
			if c.Focused() != step.to {
				t.Errorf("Enter moved the focus to %T", c.Focused())
			}
		}
		press(c, fyne.KeyReturn) // in the password, empty: the form says what is missing
		if f.passErr.Hidden {
			t.Error("Enter in the password did not submit")
		}
	})
}
