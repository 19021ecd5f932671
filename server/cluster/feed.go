package cluster

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"confab/internal/loglimit"
)

// Feed is a node's one ordered stream of committed messages: whatever woke
// it (a commit of its own, a NOTIFY from another node, a reconnect), it
// reads every message after the last one it delivered, in id order, and
// emits each to the node's own sockets. Ids are assigned in commit order
// cluster-wide, so "after the last" never skips one still to commit, and a
// message is emitted once because last only moves forward. A client thus
// never sees id 11 before id 10, whichever node each was sent on.
type Feed[M any] struct {
	fetch func(ctx context.Context, after int64, limit int) ([]M, error)
	id    func(M) int64
	emit  func(M)
	log   *loglimit.Logger // a database that stays away: one line per interval

	// gate: a sender holds it (read) from before its commit until it has
	// said which socket sent the message (Hold); a read of the stream holds
	// it (write), so it never reads a message of this node's before that.
	gate sync.RWMutex
	last atomic.Int64
	poke chan struct{}
	done chan struct{}
}

// FeedPage is how many messages one read of the stream takes at most.
const FeedPage = 500

// NewFeed starts a stream that delivers the messages after start.
func NewFeed[M any](ctx context.Context, start int64, fetch func(context.Context, int64, int) ([]M, error),
	id func(M) int64, emit func(M), log *slog.Logger) *Feed[M] {
	f := &Feed[M]{fetch: fetch, id: id, emit: emit, log: loglimit.New(log, 0), poke: make(chan struct{}, 1), done: make(chan struct{})}
	f.last.Store(start)
	go f.run(ctx)
	return f
}

// Poke asks for a read of the stream; pokes while one is due coalesce.
func (f *Feed[M]) Poke() {
	select {
	case f.poke <- struct{}{}:
	default:
	}
}

// Hold is taken by a sender before its commit; the release it returns is
// called once the sender recorded what it must (then the stream is poked).
func (f *Feed[M]) Hold() (release func()) {
	f.gate.RLock()
	return func() {
		f.gate.RUnlock()
		f.Poke()
	}
}

// Last is the id of the last message delivered.
func (f *Feed[M]) Last() int64 { return f.last.Load() }

// Done is closed when the stream stopped (its context ended).
func (f *Feed[M]) Done() <-chan struct{} { return f.done }

func (f *Feed[M]) run(ctx context.Context) {
	defer close(f.done)
	bo := backoff{base: 50 * time.Millisecond, cap: 2 * time.Second}
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.poke:
		}
		for {
			n, err := f.step(ctx)
			if ctx.Err() != nil {
				return
			}
			if err != nil { // the database is away: retry, then wait for a poke
				f.log.Warn("cluster: reading new messages failed; retrying", "after", f.Last(), "err", Clean(err))
				select {
				case <-ctx.Done():
					return
				case <-time.After(bo.next()):
				}
				continue
			}
			bo.reset()
			if n < FeedPage {
				break
			}
		}
	}
}

// step reads and emits one page; n is how many messages it held.
func (f *Feed[M]) step(ctx context.Context) (int, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f.gate.Lock()
	page, err := f.fetch(rctx, f.last.Load(), FeedPage)
	f.gate.Unlock()
	if err != nil {
		return 0, err
	}
	for _, m := range page {
		id := f.id(m)
		if id <= f.last.Load() { // never twice, never backwards
			continue
		}
		f.emit(m)
		f.last.Store(id)
	}
	return len(page), nil
}
