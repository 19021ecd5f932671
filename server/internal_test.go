package server

import (
	"testing"
	"time"
)

func TestThrottleSweep(t *testing.T) {
	now := time.Now()
	th := newThrottle(2, time.Minute, 2)
	th.take("a", now)
	th.take("a", now)
	if th.wait("a", now) <= 0 {
		t.Fatal("a not throttled after its burst")
	}
	th.take("b", now)
	th.take("c", now) // table full: nothing to sweep, so it is cleared rather than grown
	if len(th.buckets) > th.max {
		t.Fatalf("table grew past its cap: %d", len(th.buckets))
	}
	if w := th.wait("x", now); w != 0 {
		t.Fatalf("unknown key waits %v", w)
	}
	if w := th.wait("a", now.Add(2*time.Minute)); w != 0 {
		t.Fatalf("a still waits %v after the window", w)
	}
}
