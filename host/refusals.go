package host

import (
	"log/slog"
	"sync"
	"time"
)

// refusalLog says, at most once per refusalEvery, that connections were
// refused and from how many addresses: a flood must not flood the log.
type refusalLog struct {
	log   *slog.Logger
	mu    sync.Mutex
	last  time.Time
	count int
	addrs map[string]struct{}
}

const refusalEvery = 10 * time.Second

func newRefusalLog(l *slog.Logger) *refusalLog {
	return &refusalLog{log: l, addrs: map[string]struct{}{}}
}

func (r *refusalLog) refused(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.count++
	if len(r.addrs) < 100 {
		r.addrs[addr] = struct{}{}
	}
	now := time.Now()
	if now.Sub(r.last) < refusalEvery {
		return
	}
	r.log.Warn("connections refused: over the limits", "count", r.count, "addresses", len(r.addrs), "example", addr)
	r.last, r.count = now, 0
	clear(r.addrs)
}
