package app

import (
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testserver"
	"confab/server"
)

// screenshot saves the window as test-artifacts/name.
func screenshot(t *testing.T, ui *UI, name string) {
	t.Helper()
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bridge.DoAndWait(func() {
		layoutAll(ui.win.Content()) // what the window does each frame
		img := ui.win.Canvas().Capture()
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 300 {
			t.Errorf("%s: capture is %v", name, b)
		}
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Error(err)
		}
	})
}

// screenSizes are the window sizes the screenshots are taken at.
var screenSizes = []fyne.Size{{Width: 800, Height: 600}, {Width: 1400, Height: 900}}

// screenshots saves the window at every size as name-WxH.png.
func screenshots(t *testing.T, ui *UI, name string) {
	t.Helper()
	for _, s := range screenSizes {
		bridge.DoAndWait(func() { ui.win.Resize(s) })
		screenshot(t, ui, fmt.Sprintf("%s-%.0fx%.0f.png", name, s.Width, s.Height))
	}
}

// newScreenshotUI is the app in Fyne's own theme (the test theme's colours
// are not what people see).
func newScreenshotUI(t *testing.T) *UI {
	ui := newUI(t)
	bridge.DoAndWait(func() { ui.app.Settings().SetTheme(theme.DefaultTheme()) })
	return ui
}

// TestScreenshots renders, with Fyne's software renderer, the login
// screen, the question about a new key, the host panel and a chat with
// short and long messages, at 800×600 and 1400×900, into test-artifacts/
// (for people to look at, and to check that rendering works at all).
func TestScreenshots(t *testing.T) {
	ui := newScreenshotUI(t)
	screenshots(t, ui, "login")
	bridge.DoAndWait(func() {
		ui.login.user.SetText("hostess")
		ui.login.mode.SetSelected(modeHost)
		showErr(ui.login.passErr, errText(errNoAccount{user: "hostess"}))
	})
	screenshots(t, ui, "login-host-error")

	tlsEnv := testserver.StartTLS(t, server.Config{})
	signIn(t, ui, tlsEnv.URL, "alice", "password-a", true)
	waitUI(t, "the question", func() bool { return ui.trust != nil })
	screenshots(t, ui, "trust")
	bridge.DoAndWait(func() {
		test.Tap(ui.trust.details)
		ui.win.Canvas().Focus(ui.trust.accept)
	})
	screenshots(t, ui, "trust-details")
	bridge.DoAndWait(func() { test.Tap(ui.trust.cancel) })
	bridge.DoAndWait(func() {
		ui.askTrust(&client.CertError{Server: "192.168.1.5:7878", Fingerprint: tlsEnv.Cert.Fingerprint,
			Pinned: strings.Repeat("5A:", 31) + "5A"}, nil, func() {})
	})
	screenshots(t, ui, "trust-changed")
	bridge.DoAndWait(func() { test.Tap(ui.trust.cancel) })

	// Hosting: the host panel, and a conversation with a joiner.
	port := freePort(t)
	hostAs(ui, port, "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.chat != nil && ui.chat.State() == client.Online })
	url := "127.0.0.1:" + strconv.Itoa(port)
	fp := onUI(func() string { return ui.host.Fingerprint() })
	bob, err := client.Register(t.Context(), url, "bob", "password-b", client.WithFingerprint(fp))
	if err != nil {
		t.Fatal(err)
	}
	bc := client.Connect(bob, client.Options{})
	defer bc.Close()
	go func() {
		for range bc.Events() {
		}
	}()
	testserver.WaitFor(t, 20*time.Second, "bob", func() bool { return bc.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bc.Send("general", "Hi! Did you see the build is green?")
	waitUI(t, "bob's first", func() bool { return v.tl().len() == 1 })
	bridge.DoAndWait(func() { v.send("Yes, all green. Shipping it this afternoon.") })
	waitUI(t, "mine", func() bool { return v.tl().len() == 2 && v.tl().at(1).outgoing == nil })
	bc.Send("general", "Great. This is a longer message to check that wrapping works across the width of the conversation "+
		"pane without being cut off at the right edge, and that the row is as tall as its text: "+strings.Repeat("more words ", 30))
	bc.Send("general", "ok")
	waitUI(t, "4 messages", func() bool { return v.tl().len() == 4 })
	screenshots(t, ui, "host")
	bridge.DoAndWait(func() { test.Tap(v.hostPanelDetails()) })
	screenshots(t, ui, "host-details")

	// The same chat as a joiner sees it: no host panel.
	joiner := newScreenshotUI(t)
	bridge.DoAndWait(func() { joiner.pinStore.SetPin(client.ServerKey("https://"+url), fp) }) //nolint:errcheck
	signIn(t, joiner, url, "bob", "password-b", false)
	waitUI(t, "joined", func() bool { return joiner.view != nil && joiner.view.tl().len() == 4 })
	screenshots(t, joiner, "chat")
}

// hostPanelDetails is the host panel's "How others join" button.
func (v *chatView) hostPanelDetails() *focusButton { return findButton(v.content, howOthersJoin) }

// findButton finds a focusButton by its text in a tree.
func findButton(o fyne.CanvasObject, text string) *focusButton {
	switch c := o.(type) {
	case *focusButton:
		if c.Text == text {
			return c
		}
	case *fyne.Container:
		for _, child := range c.Objects {
			if b := findButton(child, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			if b := findButton(child, text); b != nil {
				return b
			}
		}
	}
	return nil
}
