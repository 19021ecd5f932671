package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"confab/server/store"
)

// seenTracker keeps when each user's sockets last came or went, in memory:
// a connect storm costs no database write. The times are saved when an
// administrator lists the users and when the server closes.
type seenTracker struct {
	mu      sync.Mutex
	pending map[int64]time.Time
}

func newSeenTracker() *seenTracker { return &seenTracker{pending: map[int64]time.Time{}} }

// mark records that the user was connected just now.
func (t *seenTracker) mark(id int64) {
	t.mu.Lock()
	t.pending[id] = time.Now()
	t.mu.Unlock()
}

// flush saves the times noted since the last flush.
func (t *seenTracker) flush(ctx context.Context, st *store.Store, log *slog.Logger) {
	t.mu.Lock()
	pending := t.pending
	t.pending = map[int64]time.Time{}
	t.mu.Unlock()
	for id, at := range pending {
		if err := st.SeenNow(ctx, id, at); err != nil {
			log.Warn("save last seen", "err", err)
			return
		}
	}
}
