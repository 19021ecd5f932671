package cluster

import (
	"math/rand/v2"
	"time"
)

// backoff is capped exponential backoff with jitter: attempt n waits a
// random time between half and all of min(base·2ⁿ, cap), so nodes that lost
// the database together do not come back in step, and a database that
// stays down costs one attempt per cap at most.
type backoff struct {
	base, cap time.Duration
	n         int
}

func (b *backoff) next() time.Duration {
	d := b.cap
	if b.n < 30 {
		d = min(b.base<<b.n, b.cap)
	}
	b.n++
	half := d / 2
	return half + rand.N(half+1)
}

func (b *backoff) reset() { b.n = 0 }
