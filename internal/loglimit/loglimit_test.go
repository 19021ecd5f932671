package loglimit

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestOneLinePerKindPerInterval(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), time.Hour)
	for range 1000 {
		l.Warn("socket refused", "remote", "10.0.0.1")
	}
	l.Info("other kind")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("1001 events of 2 kinds wrote %d lines, want 2:\n%s", len(lines), buf.String())
	}
}

func TestSuppressedCountIsReported(t *testing.T) {
	t.Parallel()
	l := New(slog.New(slog.DiscardHandler), time.Second)
	start := time.Unix(1000, 0)
	tests := []struct {
		at       time.Duration
		admitted bool
		skipped  int
	}{
		{0, true, 0},
		{500 * time.Millisecond, false, 0},
		{999 * time.Millisecond, false, 0},
		{time.Second, true, 2}, // the edge: exactly one interval later
		{1500 * time.Millisecond, false, 0},
		{3 * time.Second, true, 1},
	}
	for _, tc := range tests {
		skipped, ok := l.admit("x", "x", start.Add(tc.at))
		if ok != tc.admitted || skipped != tc.skipped {
			t.Errorf("at %v: admitted %v skipped %d, want %v %d", tc.at, ok, skipped, tc.admitted, tc.skipped)
		}
	}
}

func TestKindsAreBounded(t *testing.T) {
	t.Parallel()
	l := New(slog.New(slog.DiscardHandler), time.Hour)
	written := 0
	for i := range 10 * maxKinds {
		if _, ok := l.admit(fmt.Sprint("socket connected\x00", i), "socket connected", time.Now()); ok {
			written++
		}
	}
	if n := len(l.kinds); n > maxKinds+1 {
		t.Fatalf("%d kinds tracked, at most %d allowed", n, maxKinds+1)
	}
	if written != maxKinds+1 {
		t.Fatalf("%d lines written for %d keys, want %d: one per key, then one for the rest", written, 10*maxKinds, maxKinds+1)
	}
}

// Lines below the log level keep no kind: the per-user lines of every
// socket's connect and disconnect cost nothing on a quiet server.
func TestLinesBelowTheLevelKeepNothing(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})), time.Hour)
	for i := range 100 {
		l.InfoBy(fmt.Sprint(i), "socket connected")
	}
	if n := len(l.kinds); n != 0 || buf.Len() != 0 {
		t.Fatalf("100 lines below the level kept %d kinds and wrote %q", n, buf.String())
	}
}
