package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"confab/internal/testserver"
)

// startX starts an X server of the test's own (Xvfb) with a screen of the
// given size ("1024x768"); it stops when the test ends. It returns the
// display, the environment of a program on it (home as HOME, its XDG
// folders, a C.UTF-8 locale, then extra) and a function that runs a command
// there and returns its output, failing the test if the command fails.
// -noreset: Xvfb otherwise resets when its last client goes (a killed app,
// each xdotool) and refuses connections meanwhile.
func startX(t *testing.T, home, screen string, extra ...string) (display string, xenv []string, x func(args ...string) string) {
	t.Helper()
	display = freeDisplay()
	xvfb := exec.Command("Xvfb", display, "-screen", "0", screen+"x24", "-nolisten", "tcp", "-noreset")
	if err := xvfb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xvfb.Process.Signal(syscall.SIGTERM); xvfb.Wait() }) //nolint:errcheck // TERM: Xvfb removes its lock file
	xenv = append(os.Environ(), "DISPLAY="+display, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "LANG=C.UTF-8")
	xenv = append(xenv, extra...)
	x = func(args ...string) string {
		t.Helper()
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = xenv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	testserver.WaitFor(t, 10*time.Second, "Xvfb", func() bool {
		_, err := os.Stat("/tmp/.X11-unix/X" + strings.TrimPrefix(display, ":"))
		return err == nil
	})
	return display, xenv, x
}

// waitPainted waits until the screen shows more than black, then a second
// more for the first frames to settle. xdotool finds the window as soon as
// GLFW creates it, before Fyne has drawn it or fitted it to the screen, and
// keys typed then are lost: a fixed second after it appeared was not
// enough at load 10 (TestSmokeSmallScreens failed so in CI: its login
// screenshot was all black and its window not yet fitted).
func waitPainted(t *testing.T, x func(args ...string) string) {
	t.Helper()
	testserver.WaitFor(t, 30*time.Second, "the window's first paint", func() bool {
		mean, err := strconv.ParseFloat(x("import", "-window", "root", "-format", "%[fx:mean]", "info:"), 64)
		return err == nil && mean > 0.02
	})
	time.Sleep(time.Second)
}
