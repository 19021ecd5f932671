package main

// The real window on small screens, under Xvfb: 1024×600 at scale 1 and
// 1280×800 at FYNE_SCALE=2. The window opens inside the screen, and the
// screenshots (test-artifacts/fit-*.png) show the login and the chat.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"confab/internal/netns"
	"confab/internal/testserver"
	"confab/server"
)

func TestSmokeSmallScreens(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import")
	if !netns.Enter(t) { // the app looks for chats on the LAN
		return
	}
	artifacts, _ := filepath.Abs("test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := testserver.Start(t, server.Config{})
	for _, c := range []struct {
		scale, w, h int
	}{{1, 1024, 600}, {2, 1280, 800}} {
		name := fmt.Sprintf("fit-scale%d-%dx%d", c.scale, c.w, c.h)
		t.Run(name, func(t *testing.T) {
			smallScreen(t, bin, env, c.scale, c.w, c.h, filepath.Join(artifacts, name))
		})
	}
}

var geometry = regexp.MustCompile(`Position: (-?\d+),(-?\d+).*\n\s*Geometry: (\d+)x(\d+)`)

// smallScreen starts the app on a w×h screen at scale, checks its window
// is inside the screen at login and in the chat, and saves screenshots as
// shots-login.png and shots-chat.png.
func smallScreen(t *testing.T, bin string, env *testserver.Env, scale, w, h int, shots string) {
	home := t.TempDir()
	_, xenv, x := startX(t, home, fmt.Sprintf("%dx%d", w, h), "FYNE_SCALE="+strconv.Itoa(scale))
	app := exec.Command(bin)
	app.Env = xenv
	var logs strings.Builder
	app.Stdout, app.Stderr = &logs, &logs
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { app.Process.Kill(); app.Wait() }() //nolint:errcheck
	win := strings.Fields(x("timeout", "30", "xdotool", "search", "--sync", "--name", "^Confab$"))[0]
	inside := func(what string) {
		t.Helper()
		m := geometry.FindStringSubmatch(x("xdotool", "getwindowgeometry", win))
		if m == nil {
			t.Fatalf("no geometry for %s", win)
		}
		px, _ := strconv.Atoi(m[1])
		py, _ := strconv.Atoi(m[2])
		ww, _ := strconv.Atoi(m[3])
		wh, _ := strconv.Atoi(m[4])
		t.Logf("%s: the window is %dx%d at %d,%d on a %dx%d screen", what, ww, wh, px, py, w, h)
		if px < 0 || py < 0 || px+ww > w || py+wh > h {
			t.Errorf("%s: the window (%dx%d at %d,%d) is not inside the %dx%d screen", what, ww, wh, px, py, w, h)
		}
	}
	waitPainted(t, x)
	inside("login")
	x("import", "-window", "root", shots+"-login.png")

	// Create an account with the keyboard, as the smoke test does: the
	// username field has the focus; Tab order: address, username,
	// password, Sign in, Create account.
	user := fmt.Sprintf("fit%d", scale)
	x("xdotool", "windowfocus", "--sync", win)
	x("xdotool", "type", "--delay", "20", user)
	x("xdotool", "key", "Tab")
	x("xdotool", "type", "--delay", "20", "password-f")
	x("xdotool", "key", "shift+Tab", "shift+Tab")
	x("xdotool", "type", "--delay", "20", env.URL)
	x("xdotool", "key", "Tab", "Tab", "Tab", "Tab", "space")
	env.WaitForUser(t, 20*time.Second, user)
	time.Sleep(2 * time.Second) // the chat window connects and draws
	inside("chat")
	x("import", "-window", "root", shots+"-chat.png")

	// A room with a long name (Ctrl+K: the room box), shown, then general
	// again (Ctrl+1): the bold mark follows; the pointer resting on the
	// long name shows it whole.
	x("xdotool", "key", "ctrl+k")
	x("xdotool", "type", "--delay", "20", "a-room-with-a-rather-long-name")
	x("xdotool", "key", "Return")
	time.Sleep(2 * time.Second)
	x("import", "-window", "root", shots+"-long-room.png")
	x("xdotool", "key", "ctrl+1")
	x("xdotool", "mousemove", strconv.Itoa(80*scale), strconv.Itoa(125*scale))
	time.Sleep(2 * time.Second) // the tooltip's delay, and a frame
	x("import", "-window", "root", shots+"-tooltip.png")
	for _, word := range []string{"Fyne error", "panic"} {
		if strings.Contains(logs.String(), word) {
			t.Errorf("the app logged %q:\n%s", word, logs.String())
		}
	}
}
