package server

import (
	"strings"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	t.Parallel()
	now := time.Now()
	th := newThrottle(2, time.Minute, 2)
	a1, w1 := th.take("a", now)
	_, w2 := th.take("a", now)
	if w1 != 0 || w2 != 0 {
		t.Fatal("a throttled within its burst")
	}
	if _, w := th.take("a", now); w <= 0 || w > time.Minute {
		t.Fatalf("a after its burst waits %v", w)
	}
	a1.giveBack() // a success does not count: one more try
	if _, w := th.take("a", now); w != 0 {
		t.Fatalf("a token given back is not there: waits %v", w)
	}
	// The table is full of live buckets: a new key waits rather than wipe them.
	th.take("b", now)
	if _, w := th.take("c", now); w == 0 || len(th.buckets) > th.max {
		t.Fatalf("table of %d let a new key in (wait %v)", len(th.buckets), w)
	}
	// Once a bucket is full again it is swept to make room.
	if _, w := th.take("c", now.Add(3*time.Minute)); w != 0 {
		t.Fatalf("no room after the window: %v", w)
	}
	// Keys are bounded.
	th2 := newThrottle(1, time.Minute, 10)
	th2.take(strings.Repeat("k", 10_000), now)
	for k := range th2.buckets {
		if len(k) > maxThrottleKey {
			t.Fatalf("a key of %d bytes kept", len(k))
		}
	}
}
