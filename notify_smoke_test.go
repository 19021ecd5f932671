//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"confab/app/attention"
	"confab/internal/desktoptest"
	"confab/internal/netns"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// The real window on a desktop with a session bus and dunst: in the
// background, a message shows a notification, counts in the title and sets
// the urgency hint; back in the foreground, both go.
func TestSmokeNotificationAndAttention(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import", "dbus-daemon", "dunst", "dunstctl")
	if !netns.Enter(t) { // the app browses the LAN: keep that inside
		return
	}
	d := desktoptest.Start(t, true)
	artifacts, _ := filepath.Abs("test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := testserver.Start(t, server.Config{})
	home := t.TempDir()
	xenv := append(d.Env(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "LANG=C.UTF-8")
	x := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = xenv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	app := exec.Command(bin)
	app.Env = xenv
	var logs syncBuffer
	app.Stdout, app.Stderr = &logs, &logs
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { app.Process.Kill(); app.Wait() }() //nolint:errcheck
	win := strings.Fields(x("timeout", "30", "xdotool", "search", "--sync", "--name", "^Confab$"))[0]
	waitPainted(t, x)
	bob := testchat.Join(t, env.URL, "bob", "password-b")

	// Sign up as alice (the login form's Tab order as in TestSmokeRealWindow).
	x("xdotool", "windowfocus", "--sync", win)
	x("xdotool", "type", "--delay", "20", "alice")
	x("xdotool", "key", "Tab")
	x("xdotool", "type", "--delay", "20", "password-a")
	x("xdotool", "key", "shift+Tab", "shift+Tab")
	x("xdotool", "type", "--delay", "20", env.URL)
	x("xdotool", "key", "Tab", "Tab", "Tab", "Tab", "space")
	env.WaitForUser(t, 20*time.Second, "alice")
	time.Sleep(2 * time.Second) // the chat window connects
	x("xdotool", "type", "--delay", "20", "hello bob")
	x("xdotool", "key", "Return")
	select {
	case <-bob.Texts:
	case <-time.After(15 * time.Second):
		t.Fatal("alice's message did not arrive: not signed in")
	}

	// The window loses the focus (to none: there is no window manager).
	c, err := xgb.NewConnDisplay(d.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// bob writes until alice's app, in the background, notifies (it
	// hears of the focus change at its own pace).
	away := func(text string) {
		t.Helper()
		xproto.SetInputFocus(c, xproto.InputFocusNone, xproto.WindowNone, xproto.TimeCurrentTime)
		c.Sync()
		for i := 0; d.Shown() == 0; i++ {
			if i == 10 {
				t.Fatal("no notification in the background")
			}
			bob.Chat.Send("general", text)
			deadline := time.Now().Add(3 * time.Second)
			for d.Shown() == 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	away("a < b, and <b>this</b> is not bold")
	id, _ := strconv.ParseUint(win, 10, 32)
	d.WaitFor("the urgency hint", func() bool { u, err := attention.Urgent(d.Display, uintptr(id)); return err == nil && u })
	if title := x("xdotool", "getwindowname", win); !regexp.MustCompile(`^Confab \([1-9][0-9]*\)$`).MatchString(title) {
		t.Errorf("title %q in the background", title)
	}
	time.Sleep(500 * time.Millisecond) // the popup's paint
	d.Screenshot(filepath.Join(artifacts, "notify-popup.png"))

	x("xdotool", "windowfocus", "--sync", win)
	d.WaitFor("the hint cleared", func() bool { u, err := attention.Urgent(d.Display, uintptr(id)); return err == nil && !u })
	d.WaitFor("the title without a count", func() bool { return x("xdotool", "getwindowname", win) == "Confab" })
	d.WaitFor("the notification closed (seen)", func() bool { return d.Shown() == 0 })

	// Confab › Notifications › Show the sender only.
	x("xdotool", "mousemove", "38", "13", "click", "1")
	time.Sleep(700 * time.Millisecond)
	x("xdotool", "mousemove", "60", "45")
	time.Sleep(700 * time.Millisecond)
	d.Screenshot(filepath.Join(artifacts, "notify-menu.png"))
	x("xdotool", "mousemove", "230", "84", "click", "1")
	testserver.WaitFor(t, 10*time.Second, "the choice saved", func() bool {
		files, _ := filepath.Glob(filepath.Join(home, ".config", "fyne", "*", "preferences.json"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), `"notifications":"sender"`) {
				return true
			}
		}
		return false
	})
	away("a secret the screen must not show")
	time.Sleep(500 * time.Millisecond) // the popup's paint
	d.Screenshot(filepath.Join(artifacts, "notify-sender-only.png"))
	x("xdotool", "windowfocus", "--sync", win)
	d.WaitFor("the notification closed (seen)", func() bool { return d.Shown() == 0 })
	if h := d.History(); len(h) == 0 || !strings.HasSuffix(h[0].Summary, " #general") || strings.Contains(h[0].Body, "secret") {
		t.Errorf("with the sender only, dunst got %+v", h)
	}
	for _, noise := range []string{"XGB", "notification", "DBus", "dbus"} {
		if strings.Contains(logs.String(), noise) {
			t.Errorf("the app logged about %s:\n%s", noise, logs.String())
		}
	}
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
