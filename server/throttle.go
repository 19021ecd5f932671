package server

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle is a token bucket per key (a username or an address). A request
// takes its token before the expensive work (hashing a password), so
// requests that arrive together cannot all pass: a burst of n concurrent
// attempts gets at most the bucket's size through. What the caller decides
// does not count (for logins: a success) is given back.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	every   rate.Limit
	burst   int
	max     int
	// shared takes from the cluster's bucket instead (cluster.go).
	shared func(key string) (slot, time.Duration)
}

// maxThrottleKey bounds a key's length: a username in a request may be
// anything up to the body limit.
const maxThrottleKey = 64

func newThrottle(burst int, window time.Duration, max int) *throttle {
	return &throttle{
		buckets: map[string]*rate.Limiter{},
		every:   rate.Every(window),
		burst:   burst,
		max:     max,
	}
}

// slot is a token taken from a bucket, which can be given back.
type slot struct {
	r    *rate.Reservation
	now  time.Time
	back func() // a shared bucket's (cluster.go)
}

// giveBack returns the token: what it was taken for does not count.
func (s slot) giveBack() {
	if s.r != nil {
		s.r.CancelAt(s.now)
	}
	if s.back != nil {
		s.back()
	}
}

// take takes a token for key, or says how long key must wait.
func (t *throttle) take(key string, now time.Time) (slot, time.Duration) {
	if len(key) > maxThrottleKey {
		key = key[:maxThrottleKey]
	}
	if t.shared != nil {
		return t.shared(key)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= t.max && !t.sweep(now) {
			return slot{}, time.Duration(float64(time.Second) / float64(t.every)) // full of live buckets: fail closed
		}
		b = rate.NewLimiter(t.every, t.burst)
		t.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return slot{}, max(wait, time.Second)
	}
	return slot{r: r, now: now}, 0
}

// sweep forgets full buckets: they hold nothing a new bucket would not.
// It reports whether there is room now. A table full of live buckets is
// not cleared: that would hand an attacker who fills it a fresh start.
func (t *throttle) sweep(now time.Time) bool {
	for k, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
	return len(t.buckets) < t.max
}
