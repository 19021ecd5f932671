package server

import (
	"testing"
	"time"
)

func TestGateOrdersAndTimesOut(t *testing.T) {
	g := newGate(100 * time.Millisecond)
	var order []uint64
	done := make(chan struct{})
	go func() {
		g.enter(1) // waits for 0
		order = append(order, 1)
		g.leave(1)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	g.enter(0)
	order = append(order, 0)
	g.leave(0)
	<-done
	if len(order) != 2 || order[0] != 0 || order[1] != 1 {
		t.Fatalf("order %v", order)
	}
	// A ticket that never comes (3) holds 4 for the timeout, no longer.
	start := time.Now()
	g.enter(4)
	if el := time.Since(start); el < 90*time.Millisecond || el > time.Second {
		t.Fatalf("waited %v for a missing ticket", el)
	}
	g.leave(4)
	g.enter(3) // late arrival: goes straight through
	g.leave(3)
}

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
