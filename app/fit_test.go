package app

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/netns"
)

// smallWindows are the window's content at its smallest on the screens
// the login must fit: 1280×800 at scale 2, and 1024×600 at scale 1 (fit.go).
var smallWindows = []fyne.Size{fitBudget, {Width: 960, Height: 530}}

// onScreen says whether o is drawn whole inside the window (not scrolled
// or pushed past its edge).
func onScreen(ui *UI, o fyne.CanvasObject) bool {
	if !o.Visible() {
		return false
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	end := pos.Add(o.Size())
	s := ui.win.Canvas().Size()
	return pos.X >= 0 && pos.Y >= 0 && end.X <= s.Width && end.Y <= s.Height && o.Size().Height > 0
}

// checkLoginFits checks the login screen as it is now in every small
// window: its minimum size fits, and its buttons are on screen.
func checkLoginFits(t *testing.T, ui *UI, state string) {
	t.Helper()
	for _, size := range smallWindows {
		bridge.DoAndWait(func() {
			ui.win.Resize(size)
			layoutAll(ui.win.Content())
			f := ui.login
			if m := ui.win.Content().MinSize(); m.Width > size.Width || m.Height > size.Height {
				t.Errorf("%s: the login screen needs %v, the window is %v", state, m, size)
			}
			if !onScreen(ui, f.signIn) || !onScreen(ui, f.create) {
				t.Errorf("%s in %v: Sign in at %v, Create account at %v: not on screen", state, size,
					fyne.CurrentApp().Driver().AbsolutePositionForObject(f.signIn),
					fyne.CurrentApp().Driver().AbsolutePositionForObject(f.create))
			}
		})
	}
}

// The login screen fits small screens in each of its states: its buttons
// stay on screen and the fields scroll above them.
func TestLoginFitsSmallScreens(t *testing.T) {
	ui := newUI(t)
	checkLoginFits(t, ui, "join")
	bridge.DoAndWait(func() { ui.login.mode.SetSelected(modeHost) })
	checkLoginFits(t, ui, "host")
	bridge.DoAndWait(func() {
		f := ui.login
		f.mode.SetSelected(modeJoin)
		f.url.SetText("not an address")
		f.validate(true) // creating an account: every rule shown
		showErr(f.formErr, errText(client.ErrUnreachable))
	})
	checkLoginFits(t, ui, "create account, every error shown")
	bridge.DoAndWait(func() { ui.login.mode.SetSelected(modeHost) })
	checkLoginFits(t, ui, "host, every error shown")
	if !onUI(func() bool { return ui.login.formErr.Visible() && ui.login.passErr.Visible() }) {
		t.Fatal("the errors are not shown")
	}
}

// The question about a changed key, the longest, fits with its details
// open: the answers stay on screen and the text scrolls.
func TestTrustPromptFitsSmallScreens(t *testing.T) {
	ui := newUI(t)
	for _, size := range smallWindows {
		bridge.DoAndWait(func() {
			ui.win.Resize(size)
			fp := strings.Repeat("AB:", 31) + "AB"
			picked := &client.Found{Conflict: true, Impostor: true}
			picked.Name = "alice's chat"
			ui.askTrust(&client.CertError{Server: "192.168.1.5:7878", Fingerprint: fp,
				Pinned: strings.Repeat("5A:", 31) + "5A"}, picked, func() {})
			test.Tap(ui.trust.details)
			layoutAll(ui.win.Content())
		})
		bridge.DoAndWait(func() {
			p := ui.trust
			if m := p.d.MinSize(); m.Width > size.Width || m.Height > size.Height {
				t.Errorf("%v: the question needs %v", size, m)
			}
			for name, b := range map[string]fyne.CanvasObject{"accept": p.accept, "cancel": p.cancel, "the box to tick": p.checked} {
				if !onScreen(ui, b) {
					t.Errorf("%v: %s at %v (size %v) is not on screen", size, name,
						fyne.CurrentApp().Driver().AbsolutePositionForObject(b), b.Size())
				}
			}
			// Nor is the text cut at either side.
			body := findScrollAbove(ui.win.Canvas().Overlays().Top())
			t.Logf("%v: body at %v size %v", size, fyne.CurrentApp().Driver().AbsolutePositionForObject(body), body.Size())
			if x := fyne.CurrentApp().Driver().AbsolutePositionForObject(body).X; x < 0 || x+body.Size().Width > size.Width {
				t.Errorf("%v: the question's text from x=%.0f to %.0f", size, x, x+body.Size().Width)
			}
		})
		screenshot(t, ui, fmt.Sprintf("fit-trust-%.0fx%.0f.png", size.Width, size.Height))
		bridge.DoAndWait(func() { test.Tap(ui.trust.cancel) })
	}
}

// With the most chats the list shows (and more), the join screen fits.
func TestLoginWithFoundChatsFits(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	ui := newLANUI(t)
	bridge.DoAndWait(func() {
		var hosts []client.Host
		for i := range maxFoundShown + 3 {
			hosts = append(hosts, client.Host{Name: "A chat with a rather long name " + strings.Repeat("x", i), Machine: "a-machine-name",
				Secure: i%3 != 0, Port: 7878, Addrs: []netip.Addr{netip.MustParseAddr("10.213.0.9")}, Fingerprint: "AB:CD"})
		}
		ui.login.found.show(hosts)
	})
	if n := onUI(func() int { return len(foundButtons(ui)) }); n == 0 {
		t.Fatal("no chat listed")
	}
	checkLoginFits(t, ui, "join, chats listed")
}

func TestFitSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		want         fyne.Size
		areaW, areaH int
		scale        float32
		got          fyne.Size
	}{
		{fyne.NewSize(960, 640), 1280, 800, 2, fyne.NewSize(640, 360)},
		{fyne.NewSize(960, 640), 1024, 600, 1, fyne.NewSize(960, 560)},
		{fyne.NewSize(960, 640), 1920, 1080, 1, fyne.NewSize(960, 640)},
		{fyne.NewSize(960, 640), 0, 0, 1, fyne.NewSize(960, 640)}, // unknown
	} {
		if got := fitSize(c.want, c.areaW, c.areaH, c.scale); got != c.got {
			t.Errorf("%v in %dx%d px at %v: %v, want %v", c.want, c.areaW, c.areaH, c.scale, got, c.got)
		}
	}
}

// findScrollAbove finds the first container laid out by scrollAbove.
func findScrollAbove(o fyne.CanvasObject) fyne.CanvasObject {
	var children []fyne.CanvasObject
	switch c := o.(type) {
	case *fyne.Container:
		if _, ok := c.Layout.(*scrollAbove); ok {
			return c
		}
		children = c.Objects
	case fyne.Widget:
		children = test.WidgetRenderer(c).Objects()
	}
	for _, child := range children {
		if found := findScrollAbove(child); found != nil {
			return found
		}
	}
	return nil
}

// The field with the focus is in view when the login screen shows, and
// when the window shrinks: at scale 2 the typing went into a field below
// the edge.
func TestLoginFocusedFieldInView(t *testing.T) {
	ui := newUI(t)
	for _, user := range []string{"", "alice"} { // focus: username, then password
		bridge.DoAndWait(func() {
			ui.app.Preferences().SetString(prefUsername, user)
			ui.win.Resize(fyne.NewSize(960, 640))
			ui.showLogin("")
			ui.win.Resize(fitBudget)
			layoutAll(ui.win.Content())
			focused, _ := ui.win.Canvas().Focused().(fyne.CanvasObject)
			if focused == nil || (focused != ui.login.user && focused != ui.login.pass) || !onScreen(ui, focused) {
				t.Errorf("with username %q, the field with the focus is at %v, not in view", user,
					fyne.CurrentApp().Driver().AbsolutePositionForObject(focused))
			}
		})
	}
}
