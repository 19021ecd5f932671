package main

// The smoke test runs the real binary in a real X server (Xvfb), signs up and
// chats through its window with the keyboard (xdotool), and saves screenshots
// (ImageMagick's import) in test-artifacts/.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"confab/internal/need"
	"confab/internal/netns"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// needTools skips the test, or fails it under `make test`, while a tool is missing.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			need.Tool(t, tool+" is missing (make test installs it)")
		}
	}
}

// freeDisplay finds an X display number nobody uses; a lock file left by a
// process that is gone does not count.
func freeDisplay() string {
	for n := 90; n < 200; n++ {
		b, err := os.ReadFile(fmt.Sprintf("/tmp/.X%d-lock", n))
		if os.IsNotExist(err) {
			return fmt.Sprintf(":%d", n)
		}
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			if _, serr := os.Stat(fmt.Sprintf("/proc/%d", pid)); os.IsNotExist(serr) {
				os.Remove(fmt.Sprintf("/tmp/.X%d-lock", n))     //nolint:errcheck
				os.Remove(fmt.Sprintf("/tmp/.X11-unix/X%d", n)) //nolint:errcheck
				return fmt.Sprintf(":%d", n)
			}
		}
	}
	return ":199"
}

func TestSmokeRealWindow(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import")
	// The app looks for chats on the LAN (multicast DNS): keep that inside a
	// network namespace of the test's own.
	if !netns.Enter(t) {
		return
	}
	artifacts, _ := filepath.Abs("test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	env := testserver.Start(t, server.Config{})

	home := t.TempDir()
	_, xenv, x := startX(t, home, "1024x768")

	start := time.Now()
	app := exec.Command(bin)
	app.Env = xenv
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { app.Process.Kill(); app.Wait() }() //nolint:errcheck
	win := x("timeout", "30", "xdotool", "search", "--sync", "--name", "^Confab$")
	t.Logf("window %s after %v", strings.Fields(win)[0], time.Since(start).Round(time.Millisecond))
	waitPainted(t, x)
	x("import", "-window", "root", filepath.Join(artifacts, "smoke-login.png"))

	bob := testchat.Join(t, env.URL, "bob", "password-b") // someone to talk to

	// The username field has the focus; Tab order: address, username, password, Sign in, Create account.
	x("xdotool", "windowfocus", "--sync", strings.Fields(win)[0])
	x("xdotool", "type", "--delay", "20", "alice")
	x("xdotool", "key", "Tab")
	x("xdotool", "type", "--delay", "20", "password-a")
	x("xdotool", "key", "shift+Tab", "shift+Tab")
	x("xdotool", "type", "--delay", "20", env.URL) // plain HTTP typed explicitly; TLS joins are tested in app/
	x("xdotool", "key", "Tab", "Tab", "Tab", "Tab", "space")
	env.WaitForUser(t, 20*time.Second, "alice")
	time.Sleep(2 * time.Second) // the chat window connects and takes the focus
	x("xdotool", "type", "--delay", "20", "hello from a real window")
	x("xdotool", "key", "Return")
	select {
	case text := <-bob.Texts:
		if text != "hello from a real window" {
			t.Fatalf("bob got %q", text)
		}
	case <-time.After(15 * time.Second):
		x("import", "-window", "root", filepath.Join(artifacts, "smoke-failed.png"))
		t.Fatal("the message typed in the window did not arrive")
	}
	bob.Chat.Send("general", "hello from bob")
	time.Sleep(time.Second)
	x("import", "-window", "root", filepath.Join(artifacts, "smoke-chat.png"))
}
