package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MaxBatch is the most messages one transaction commits. Larger batches
// share an fsync among more senders but make the first of them wait longer.
const MaxBatch = 256

type addResult struct {
	msg     Message
	created bool
	err     error
}

type addRequest struct {
	ctx   context.Context
	msg   Message
	reply chan addResult
}

// writer owns message inserts: one goroutine, so ids and sentAt increase
// together and concurrent senders are committed in groups.
type writer struct {
	db       *sql.DB
	retry    time.Duration // how long a batch the disk refused is retried
	engine   engine        // its locks, and which failures are retried
	health   *health
	requests chan addRequest
	maxBatch int          // MaxBatch; tests set 1 to measure without grouping
	commits  atomic.Int64 // transactions committed, for tests and metrics
	held     func(n int)  // tests only: runs before each batch of n is written
	onCommit func(took time.Duration, messages int)
	quit     chan struct{}
	done     chan struct{}
	once     sync.Once
}

func newWriter(db *sql.DB, eng engine, retry time.Duration, h *health) *writer {
	w := &writer{
		db:       db,
		engine:   eng,
		retry:    retry,
		health:   h,
		requests: make(chan addRequest, MaxBatch),
		maxBatch: MaxBatch,
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *writer) add(ctx context.Context, m Message) (Message, bool, error) {
	return w.queue(ctx, m)()
}

// queue puts m in line for the next group commit and returns at once; wait
// blocks until that commit and gives its outcome. Messages queued one after
// the other are committed in that order, so a sender that queues its next
// message while the previous one waits for its fsync shares the commit.
func (w *writer) queue(ctx context.Context, m Message) (wait func() (Message, bool, error)) {
	req := addRequest{ctx: ctx, msg: m, reply: make(chan addResult, 1)}
	select {
	case w.requests <- req:
	case <-w.quit:
		return func() (Message, bool, error) { return Message{}, false, ErrClosed }
	case <-ctx.Done():
		err := ctx.Err()
		return func() (Message, bool, error) { return Message{}, false, err }
	}
	// Once queued the request is answered even if ctx ends: the message may
	// already be committed and the caller must learn its id. Only a request
	// queued after the writer's last drain is never taken, and never stored.
	return func() (Message, bool, error) {
		select {
		case r := <-req.reply:
			return r.msg, r.created, r.err
		case <-w.done:
			select {
			case r := <-req.reply:
				return r.msg, r.created, r.err
			default:
				return Message{}, false, ErrClosed
			}
		}
	}
}

func (w *writer) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]addRequest, 0, MaxBatch)
	for {
		select {
		case req := <-w.requests:
			batch = append(batch[:0], req)
		case <-w.quit:
			w.drain()
			return
		}
	fill:
		for len(batch) < w.maxBatch {
			select {
			case req := <-w.requests:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// drain answers whatever was queued before close.
func (w *writer) drain() {
	for {
		select {
		case req := <-w.requests:
			w.commit([]addRequest{req})
		default:
			return
		}
	}
}

// commit stores a batch and answers its senders. A batch the disk refused is
// tried again, on another connection (see conn.go), for up to w.retry; only
// a committed message is ever answered with success.
func (w *writer) commit(batch []addRequest) {
	if w.held != nil {
		w.held(len(batch))
	}
	results := make([]addResult, len(batch))
	start := time.Now()
	err := w.insertAll(batch, results)
	deadline := time.Now().Add(w.retry)
	for wait := firstRetryWait; err != nil && w.engine.retryable(err); wait *= 2 {
		if !time.Now().Add(wait).Before(deadline) || !w.sleep(wait) {
			break
		}
		err = w.insertAll(batch, results)
	}
	changed := false
	for _, r := range results {
		changed = changed || (err == nil && r.created)
	}
	w.health.wrote(err, changed)
	if w.onCommit != nil && err == nil {
		w.onCommit(time.Since(start), len(batch))
	}
	for i, req := range batch {
		if err != nil {
			results[i] = addResult{err: err}
		}
		req.reply <- results[i]
	}
}

// sleep waits d, or less when the writer is closing (then it returns false).
func (w *writer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.quit:
		return false
	}
}

func (w *writer) insertAll(batch []addRequest, results []addResult) error {
	tx, err := w.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("store message: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if err := w.engine.lockMessages(context.Background(), tx); err != nil {
		return fmt.Errorf("store message: %w", err)
	}
	for i, req := range batch {
		m := req.msg
		if m.ClientID != "" {
			existing, err := findByClientID(tx, m.AuthorID, m.ClientID)
			if err == nil {
				results[i] = addResult{msg: existing}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store message: %w", err)
			}
		}
		m.SentAt = time.Now().UTC().Truncate(time.Millisecond)
		var clientID any
		if m.ClientID != "" {
			clientID = m.ClientID
		}
		cols, vals := `room, author_id, author_name, text, sent_at, client_id`, `?,?,?,?,?,?`
		args := []any{m.Room, m.AuthorID, m.AuthorName, m.Text, m.SentAt.UnixMilli(), clientID}
		if col, val, arg := w.engine.searchWords(m.Text); col != "" {
			cols, vals, args = cols+`, `+col, vals+`, `+val, append(args, arg)
		}
		err := tx.QueryRow(`INSERT INTO messages(`+cols+`) VALUES(`+vals+`) RETURNING id`, args...).Scan(&m.ID)
		if err != nil {
			return fmt.Errorf("store message: %w", err)
		}
		if m.Attachment != nil { // files.go
			if err := insertAttachment(tx, m.ID, m.Attachment); err != nil {
				return fmt.Errorf("store attachment: %w", err)
			}
		}
		results[i] = addResult{msg: m, created: true}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store message: %w", &commitError{err})
	}
	w.commits.Add(1)
	return nil
}

// findByClientID returns a message already stored under a clientId, in
// its current state (edited or deleted since, perhaps).
func findByClientID(tx *sql.Tx, author int64, clientID string) (Message, error) {
	m, err := scanMessage(tx.QueryRow(`SELECT `+msgCols+` FROM messages WHERE author_id = ? AND client_id = ?`, author, clientID))
	if err != nil {
		return m, err
	}
	return m, loadReactions(context.Background(), tx, []*Message{&m})
}

// commitError is a failed COMMIT: over a network its outcome may be
// unknown, so PostgreSQL does not retry it (pgEngine.retryable).
type commitError struct{ err error }

func (e *commitError) Error() string { return e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }
