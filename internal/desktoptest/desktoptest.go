//go:build linux

// Package desktoptest gives a test a small Linux desktop of its own: an X
// server (Xvfb), a D-Bus session bus (dbus-daemon) and a real notification
// server (dunst). A missing program skips the test, or fails it under
// CONFAB_REQUIRE_ALL (`make test` installs them).
package desktoptest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"confab/internal/need"
)

// Desktop is a running X server and session bus, and dunst when asked for.
type Desktop struct {
	Display string // DISPLAY
	Bus     string // DBUS_SESSION_BUS_ADDRESS
	Dunst   *exec.Cmd
	t       *testing.T
}

// Need skips the test when a program is missing, or fails it where `make
// test` or CI requires everything (internal/need decides).
func Need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			need.Tool(t, tool+" is missing (make test installs it)")
		}
	}
}

// Start starts Xvfb and a session bus, and dunst if withDunst. All of
// them stop when the test ends.
func Start(t *testing.T, withDunst bool) *Desktop {
	t.Helper()
	Need(t, "Xvfb", "dbus-daemon")
	if withDunst {
		Need(t, "dunst", "dunstctl")
	}
	d := &Desktop{t: t}
	d.Display = ":" + startXvfb(t) // xvfb.go
	d.Bus = startPrinting(t, "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=3")
	if withDunst {
		d.startDunst()
	}
	return d
}

// Env is the environment for a program on this desktop.
func (d *Desktop) Env() []string {
	return append(os.Environ(), "DISPLAY="+d.Display, "DBUS_SESSION_BUS_ADDRESS="+d.Bus)
}

// dunstrc: notifications expire even though nobody touches the keyboard
// (dunst keeps them while the user is idle), and show the app's markup.
const dunstrc = `[global]
idle_threshold = 0
markup = full
format = "<b>%s</b>\n%b"
font = DejaVu Sans 10
width = 360
offset = 10x40
origin = top-right
`

func (d *Desktop) startDunst() {
	t := d.t
	dir := t.TempDir()
	conf := filepath.Join(dir, "dunstrc")
	if err := os.WriteFile(conf, []byte(dunstrc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dunst", "-config", conf)
	cmd.Env = append(d.Env(), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
	cmd.SysProcAttr = orphanless()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.Dunst = cmd
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT) //nolint:errcheck // a test may have stopped it
		cmd.Process.Kill()                  //nolint:errcheck
		cmd.Wait()                          //nolint:errcheck
	})
	waitFor(t, "dunst on the bus", func() bool { _, err := d.Dunstctl("count", "displayed"); return err == nil })
}

// startPrinting starts a server that prints what to reach it by on fd 3
// (a display number, a bus address) and returns that.
func startPrinting(t *testing.T, name string, args ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = orphanless()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // TERM: Xvfb removes its lock file
		cmd.Wait()                          //nolint:errcheck
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		got <- strings.TrimSpace(line)
	}()
	select {
	case s := <-got:
		if s == "" {
			t.Fatalf("%s printed no address", name)
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start", name)
	}
	return ""
}

// orphanless: the program ends with the test process, even one killed by
// a timeout before its cleanups ran.
func orphanless() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// Dunstctl runs dunstctl on this bus.
func (d *Desktop) Dunstctl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dunstctl", args...)
	cmd.Env = d.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("dunstctl %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// Shown is how many notifications dunst shows now.
func (d *Desktop) Shown() int {
	out, err := d.Dunstctl("count", "displayed")
	if err != nil {
		d.t.Fatal(err)
	}
	var n int
	fmt.Sscan(out, &n) //nolint:errcheck
	return n
}

// Note is one notification in dunst's history.
type Note struct {
	ID              int
	Summary, Body   string
	App, Category   string
	Timeout         int64 // µs
	DefaultActionID string
}

// History is what dunst has shown and closed (expired or dismissed), newest first.
func (d *Desktop) History() []Note {
	out, err := d.Dunstctl("history")
	if err != nil {
		d.t.Fatal(err)
	}
	var h struct {
		Data [][]map[string]struct {
			Data any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		d.t.Fatalf("dunstctl history: %v\n%s", err, out)
	}
	var notes []Note
	for _, list := range h.Data {
		for _, m := range list {
			s := func(k string) string { v, _ := m[k].Data.(string); return v }
			f := func(k string) float64 { v, _ := m[k].Data.(float64); return v }
			notes = append(notes, Note{ID: int(f("id")), Summary: s("summary"), Body: s("body"), App: s("appname"),
				Category: s("category"),
				Timeout:  int64(f("timeout")), DefaultActionID: s("default_action_name")})
		}
	}
	return notes
}

// Screenshot saves the whole screen as a PNG (ImageMagick's import).
func (d *Desktop) Screenshot(path string) {
	cmd := exec.Command("import", "-window", "root", path)
	cmd.Env = d.Env()
	if out, err := cmd.CombinedOutput(); err != nil {
		d.t.Logf("screenshot: %v: %s", err, out)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor waits (up to 30 s) for cond.
func (d *Desktop) WaitFor(what string, cond func() bool) {
	d.t.Helper()
	waitFor(d.t, what, cond)
}
