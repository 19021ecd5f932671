//go:build linux

package notify

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"confab/internal/desktoptest"
)

// logBuffer counts what a Notifier logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func testNotifier(t *testing.T, cfg Config) (*Notifier, *logBuffer) {
	logs := &logBuffer{}
	cfg.Log = slog.New(slog.NewTextHandler(logs, nil))
	n := New(cfg)
	t.Cleanup(n.Close)
	return n, logs
}

// idle: the sender has nothing left to do, after at least calls calls.
func (n *Notifier) idle(calls int) bool {
	n.mu.Lock()
	done := n.calls >= calls
	n.mu.Unlock()
	return done && n.Pending() == 0
}

func waitIdle(t *testing.T, n *Notifier, calls int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !n.idle(calls) {
		if time.Now().After(deadline) {
			t.Fatal("the notifier did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Against a real notification server: one notification per room, replaced
// with a count, expiring, its text literal, with the hints and action.
func TestDunstGroupsExpiresEscapes(t *testing.T) {
	t.Parallel()
	d := desktoptest.Start(t, true)
	n, logs := testNotifier(t, Config{Address: d.Bus, AppID: "chat.confab.desktop", Expire: 6 * time.Second})
	for i, text := range []string{"one", "two", "three"} {
		n.Post(Message{Room: "general", Sender: "bob", Text: text})
		waitIdle(t, n, i+1) // one call each: the replacing is the server's
	}
	n.Post(Message{Room: "esc", Sender: "carol", Text: "a < b && <b>x</b>"})
	waitIdle(t, n, 4)
	if got := d.Shown(); got != 2 {
		t.Fatalf("dunst shows %d notifications, want 2 (one per room)", got)
	}
	artifacts, _ := filepath.Abs("../../test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	d.Screenshot(filepath.Join(artifacts, "notify-dunst.png"))
	d.WaitFor("the notifications to expire", func() bool { return d.Shown() == 0 })

	h := d.History()
	byRoom := map[string]desktoptest.Note{}
	for _, note := range h {
		for _, room := range []string{"#general", "#esc"} {
			if strings.Contains(note.Summary, room) {
				if _, seen := byRoom[room]; seen {
					t.Errorf("two notifications for %s: %+v", room, h)
				}
				byRoom[room] = note
			}
		}
	}
	g, e := byRoom["#general"], byRoom["#esc"]
	if g.Summary != "3 new messages in #general" || g.Body != "bob: three" {
		t.Errorf("grouped notification: %q / %q", g.Summary, g.Body)
	}
	if e.Summary != "carol in #esc" || e.Body != "a &lt; b &amp;&amp; &lt;b&gt;x&lt;/b&gt;" {
		t.Errorf("escaped notification: %q / %q (want the body escaped for the server's markup)", e.Summary, e.Body)
	}
	if g.Category != "im.received" || g.App != "Confab" { // dunst's history keeps no desktop entry or urgency
		t.Errorf("hints: %+v", g)
	}
	if g.Timeout != 6_000_000 {
		t.Errorf("timeout %d µs, want 6 s", g.Timeout)
	}
	if g.DefaultActionID != "default" {
		t.Errorf("default action %q", g.DefaultActionID)
	}
	if l := logs.lines(); len(l) != 1 || l[0] != "" {
		t.Errorf("logged: %q", l)
	}
}

// A hung notification server (stopped) costs neither the caller nor the
// log: Post returns at once, the calls time out and merge, one line says so.
func TestDunstStoppedNeverBlocks(t *testing.T) {
	t.Parallel()
	d := desktoptest.Start(t, true)
	timeout := 500 * time.Millisecond
	n, logs := testNotifier(t, Config{Address: d.Bus, Timeout: timeout})
	n.Post(Message{Room: "general", Sender: "bob", Text: "before"})
	waitIdle(t, n, 1)
	d.Dunst.Process.Signal(syscall.SIGSTOP) //nolint:errcheck
	var slowest time.Duration
	for i := 0; i < 200; i++ {
		start := time.Now()
		n.Post(Message{Room: []string{"general", "dev", "random"}[i%3], Sender: "bob", Text: "while stopped"})
		slowest = max(slowest, time.Since(start))
		if i%20 == 0 {
			time.Sleep(timeout / 4) // messages arrive over a few timeouts
		}
	}
	t.Logf("slowest Post while the server is stopped: %v (call timeout %v)", slowest, timeout)
	if slowest > timeout/2 {
		t.Errorf("Post took %v: it waits for the server", slowest)
	}
	waitIdle(t, n, 4)
	n.mu.Lock()
	calls := n.calls
	n.mu.Unlock()
	if calls > 1+3*4 {
		t.Errorf("%d calls for 200 messages in 3 rooms: they did not merge", calls)
	}
	hung := 0
	for _, l := range logs.lines() {
		if strings.Contains(l, "does not answer") {
			hung++
		}
	}
	if hung != 1 {
		t.Errorf("logged %q, want one line about the hung server", logs.lines())
	}
	d.Dunst.Process.Signal(syscall.SIGCONT) //nolint:errcheck
}

// Without a bus, many messages log one line and try the bus once.
func TestNoBusLogsOnce(t *testing.T) {
	t.Parallel()
	n, logs := testNotifier(t, Config{Address: "unix:path=" + filepath.Join(t.TempDir(), "none")})
	for i := 0; i < 50; i++ {
		n.Post(Message{Room: "room" + string(rune('a'+i%10)), Sender: "bob", Text: "hi"})
	}
	waitIdle(t, n, 10)
	if l := logs.lines(); len(l) != 1 || !strings.Contains(l[0], "no notification service") {
		t.Fatalf("logged %d lines: %q", len(l), l)
	}
	svc := n.svc.(*dbusService)
	if !svc.retryAt.After(time.Now().Add(time.Minute)) {
		t.Fatalf("the next try is at %v: the bus would be tried for every message", svc.retryAt)
	}
}

// A server that hangs before the first notification is not taken for a
// missing one (left alone for minutes): once it answers again, the next
// message shows.
func TestDunstStoppedAtStartRecovers(t *testing.T) {
	t.Parallel()
	d := desktoptest.Start(t, true)
	n, logs := testNotifier(t, Config{Address: d.Bus, Timeout: 500 * time.Millisecond})
	d.Dunst.Process.Signal(syscall.SIGSTOP) //nolint:errcheck
	n.Post(Message{Room: "general", Sender: "bob", Text: "while stopped"})
	waitIdle(t, n, 1)
	d.Dunst.Process.Signal(syscall.SIGCONT) //nolint:errcheck
	n.Post(Message{Room: "general", Sender: "bob", Text: "after"})
	d.WaitFor("the notification", func() bool { return d.Shown() == 1 })
	l := logs.lines()
	if len(l) != 2 || !strings.Contains(l[0], "does not answer") || !strings.Contains(l[1], "work again") {
		t.Fatalf("logged %q", l)
	}
}
