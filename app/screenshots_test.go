package app

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"

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

// TestScreenshots renders the login screen and a chat with Fyne's software
// renderer and saves them in test-artifacts/ (for people, and to check that
// rendering works at all).
func TestScreenshots(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	save := func(name string) { screenshot(t, ui, name) }
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(960, 640)) })
	save("login.png")
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	bob, _ := client.Register(t.Context(), env.URL, "bob", "password-b")
	bc := client.Connect(bob, client.Options{})
	defer bc.Close()
	go func() {
		for range bc.Events() {
		}
	}()
	testserver.WaitFor(t, 20*time.Second, "bob", func() bool { return bc.State() == client.Online })
	bc.Send("general", "Hi Alice! Did you see the build is green?")
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { v.send("Yes, all green. Shipping it this afternoon.") })
	bc.Send("general", "Great. This is a longer message to check that wrapping works across the width of the conversation pane without being cut off at the right edge.")
	waitUI(t, "3 msgs", func() bool { return v.tl().len() == 3 && v.tl().at(1).outgoing == nil })
	save("chat.png")
}
