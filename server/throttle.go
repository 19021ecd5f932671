package server

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// throttle is a token bucket per key (a username or an address). A request
// is refused while its bucket is empty; only what the caller counts (for
// logins: failures) takes from it, so a user who types the right password is
// never slowed by their own successes.
type throttle struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	every   rate.Limit
	burst   int
	max     int
}

func newThrottle(burst int, window time.Duration, max int) *throttle {
	return &throttle{
		buckets: map[string]*rate.Limiter{},
		every:   rate.Every(window),
		burst:   burst,
		max:     max,
	}
}

// wait returns how long key must wait before it may try again (0: now).
func (t *throttle) wait(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok || b.TokensAt(now) >= 1 {
		return 0
	}
	missing := 1 - b.TokensAt(now)
	return time.Duration(math.Ceil(missing / float64(t.every) * float64(time.Second)))
}

// take counts one against key.
func (t *throttle) take(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[key]
	if !ok {
		if len(t.buckets) >= t.max {
			t.sweep(now)
		}
		b = rate.NewLimiter(t.every, t.burst)
		t.buckets[key] = b
	}
	b.AllowN(now, 1)
}

// sweep forgets full buckets: they hold nothing a new bucket would not.
// If every bucket is in use, the table is cleared rather than grown: an
// attacker filling it gains nothing they could not get by waiting.
func (t *throttle) sweep(now time.Time) {
	for k, b := range t.buckets {
		if b.TokensAt(now) >= float64(t.burst) {
			delete(t.buckets, k)
		}
	}
	if len(t.buckets) >= t.max {
		clear(t.buckets)
	}
}
