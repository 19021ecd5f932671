package main

// The single-instance test runs the real binary under Xvfb: a second
// launch with an invitation link hands it to the first and exits; after
// kill -9 of the first, the next launch starts (the lock is the dead
// one's no longer); two launches at once make one window.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/netns"
	"confab/internal/testserver"
	"confab/wire"
)

// launched is a running app whose standard error is kept.
type launched struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr strings.Builder

	waited  sync.Once // exec.Cmd.Wait may be called once: the test and its cleanup share it
	waitErr error
}

// wait waits for the process once, however many callers ask.
func (l *launched) wait() error {
	l.waited.Do(func() { l.waitErr = l.cmd.Wait() })
	return l.waitErr
}

func (l *launched) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stderr.Write(p)
}

// logged counts the times s was logged.
func (l *launched) logged(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.stderr.String(), s)
}

func launch(t *testing.T, env []string, bin string, args ...string) *launched {
	t.Helper()
	l := &launched{cmd: exec.Command(bin, args...)}
	l.cmd.Env = env
	l.cmd.Stderr = l
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.cmd.Process.Kill() //nolint:errcheck
		l.wait()             //nolint:errcheck
		if t.Failed() {
			t.Logf("%s %v logged:\n%s", bin, args, l.stderr.String())
		}
	})
	return l
}

// handOver runs a launch that must hand over to the running app and exit 0.
func handOver(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("a second launch %v: %v\n%s", args, err, out)
	}
	if !strings.Contains(string(out), "already running") {
		t.Fatalf("a second launch said %q", out)
	}
	t.Logf("a second launch %q handed over and exited in %v", strings.TrimSpace(string(out)), time.Since(start).Round(time.Millisecond))
	return string(out)
}

func TestSingleInstance(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import")
	if !netns.Enter(t) { // the app browses the LAN: keep it in a namespace
		return
	}
	artifacts, _ := filepath.Abs("test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	home, runtime := t.TempDir(), t.TempDir()
	os.Chmod(runtime, 0o700) //nolint:errcheck
	display, env, _ := startX(t, home, "1024x768", "XDG_RUNTIME_DIR="+runtime)
	windows := func() []string {
		out, _ := exec.Command("env", append([]string{"DISPLAY=" + display}, "xdotool", "search", "--onlyvisible", "--name", "^Confab$")...).Output()
		return strings.Fields(string(out))
	}
	oneWindow := func(what string) {
		t.Helper()
		testserver.WaitFor(t, 90*time.Second, what+": a window", func() bool { return len(windows()) > 0 })
		if w := windows(); len(w) != 1 {
			t.Fatalf("%s: %d windows", what, len(w))
		}
	}

	first := launch(t, env, bin)
	oneWindow("first launch")
	inv := wire.Invitation{Addr: "192.168.1.5:7878", Name: "Team chat",
		Fingerprint: wire.NormalizeFingerprint(strings.Repeat("3c", 32))}
	handOver(t, env, bin, inv.String())
	testserver.WaitFor(t, 20*time.Second, "the first launch to take the invitation", func() bool {
		return first.logged("brought the window forward with an invitation chat="+inv.Addr) == 1
	})
	time.Sleep(time.Second) // the join screen paints
	if err := exec.Command("env", "DISPLAY="+display, "import", "-window", "root", filepath.Join(artifacts, "instance-handoff.png")).Run(); err != nil {
		t.Error(err)
	}
	oneWindow("after the hand-over")

	// Hidden (as in the tray), the window is shown again and has the focus.
	xdo := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("env", append([]string{"DISPLAY=" + display, "xdotool"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	win := windows()[0]
	xdo("windowunmap", "--sync", win)
	if len(windows()) != 0 {
		t.Fatal("the window is still shown")
	}
	handOver(t, env, bin) // no link: only forward
	testserver.WaitFor(t, 20*time.Second, "the hidden window to be shown again", func() bool { return len(windows()) == 1 })
	if first.logged("another launch brought the window forward") != 2 {
		t.Error("the first launch did not log the second hand-over")
	}
	testserver.WaitFor(t, 20*time.Second, "the window to have the focus", func() bool { return xdo("getwindowfocus") == win })

	// A crash leaves the socket and the lock file: the next launch starts.
	first.cmd.Process.Kill() //nolint:errcheck
	first.wait()             //nolint:errcheck
	testserver.WaitFor(t, 10*time.Second, "the killed window to go", func() bool { return len(windows()) == 0 })
	again := launch(t, env, bin, inv.String())
	oneWindow("a launch after kill -9")
	if again.logged("opening the invitation given at launch chat="+inv.Addr) != 1 {
		t.Error("a launch with a link did not open it")
	}
	handOver(t, env, bin, inv.String()) // and it is the instance now
	again.cmd.Process.Kill()            //nolint:errcheck
	again.wait()                        //nolint:errcheck
	testserver.WaitFor(t, 10*time.Second, "the killed window to go", func() bool { return len(windows()) == 0 })

	// Two launches at once: one window, one hand-over.
	a, b := launch(t, env, bin), launch(t, env, bin)
	oneWindow("two launches at once")
	exited := 0
	for _, l := range []*launched{a, b} {
		done := make(chan error, 1)
		go func() { done <- l.wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the launch that lost the race: %v", err)
			}
			exited++
		case <-time.After(5 * time.Second):
		}
	}
	if exited != 1 {
		t.Fatalf("%d of two launches at once exited, want 1", exited)
	}
}
