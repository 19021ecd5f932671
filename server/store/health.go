package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultProbeInterval = 5 * time.Second
	DefaultProbeTimeout  = 2 * time.Second
	DefaultWriteRetry    = time.Second
	firstRetryWait       = 10 * time.Millisecond // then doubled, within WriteRetry
)

// Options tune how the store notices a failing disk and comes back from it.
// The zero value of a field means its default.
type Options struct {
	// Database is where the store is: "" for SQLite in the data directory
	// (the default), or a PostgreSQL URL (postgres://user:password@host/db
	// or postgresql://...).
	Database string
	// ProbeInterval: Health tests the database with a tiny write when
	// nothing was written for this long, at most once per interval however
	// often it is asked; while writes fail, the store tries again this often
	// by itself, so it notices (and logs) the recovery (default 5s).
	ProbeInterval time.Duration
	// ProbeTimeout is how long Health waits for that write (default 2s).
	ProbeTimeout time.Duration
	// WriteRetry is how long the writer retries a batch of messages the disk
	// refused before its senders are told it failed (default 1s; negative:
	// no retry).
	WriteRetry time.Duration
	// Logger receives one line when writes start failing and one when they
	// work again (default slog.Default()).
	Logger *slog.Logger
	// OnCommit, if set, learns each message commit: how long it took
	// (retries included) and how many messages it held. For metrics.
	OnCommit func(took time.Duration, messages int)
}

func (o Options) withDefaults() Options {
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = DefaultProbeTimeout
	}
	if o.WriteRetry == 0 {
		o.WriteRetry = DefaultWriteRetry
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ErrProbeTimeout is Health's answer when its test write did not finish in time.
var ErrProbeTimeout = errors.New("the database did not finish a test write in time")

// health remembers whether the last write worked: a batch of messages, an
// account change or a probe. Health answers from it while it is fresh and
// probes otherwise, one probe at a time and one per interval at most.
type health struct {
	o     Options
	probe func(context.Context) error
	quit  chan struct{} // closed by close
	wg    sync.WaitGroup

	mu       sync.Mutex
	err      error         // outcome of the last write (nil: it worked)
	at       time.Time     // when it was learnt (zero: nothing written yet)
	failing  bool          // writes fail: logged once, and retried in the background
	episode  int           // how many times they began to fail
	since    time.Time     // when they began to fail
	running  chan struct{} // closed when the probe in flight ends; nil: none
	started  time.Time     // when it began
	inFlight bool          // its statement has not returned (a hung disk)
	probes   int           // probes started, for tests
	closed   bool
}

func newHealth(o Options, probe func(context.Context) error) *health {
	return &health{o: o, probe: probe, quit: make(chan struct{})}
}

// wrote records the outcome of a write. A success counts only when
// something reached the disk (changed): a transaction that changed nothing
// commits without writing and proves nothing.
func (h *health) wrote(err error, changed bool) {
	if err == nil && !changed {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recordLocked(err)
}

func (h *health) recordLocked(err error) {
	if h.closed {
		return
	}
	now := time.Now()
	h.err, h.at = err, now
	switch {
	case err != nil && !h.failing:
		h.failing, h.since = true, now
		h.episode++
		h.o.Logger.Error("storage failing: messages and account changes cannot be stored until the database can be written again", "err", err)
		h.wg.Add(1)
		go h.retry(h.episode)
	case err == nil && h.failing:
		h.failing = false
		h.o.Logger.Info("storage recovered: the database can be written again", "after", now.Sub(h.since).Round(time.Millisecond))
	}
}

// retry tests the database every interval while writes fail, so that the
// recovery is noticed (and logged) without traffic.
func (h *health) retry(episode int) {
	defer h.wg.Done()
	t := time.NewTicker(h.o.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-h.quit:
			return
		case <-t.C:
		}
		if h.check() == nil {
			return
		}
		h.mu.Lock()
		done := !h.failing || h.closed || h.episode != episode
		h.mu.Unlock()
		if done {
			return
		}
	}
}

// check answers whether the database can be written: from the last write
// if it is younger than the interval, else from a probe (started here
// unless one is running), waited for at most ProbeTimeout.
func (h *health) check() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return ErrClosed
	}
	if !h.at.IsZero() && time.Since(h.at) < h.o.ProbeInterval {
		err := h.err
		h.mu.Unlock()
		return err
	}
	if h.running == nil {
		if h.inFlight { // the last probe's write has still not returned
			h.mu.Unlock()
			return ErrProbeTimeout
		}
		h.startLocked()
	}
	done, wait := h.running, h.o.ProbeTimeout-time.Since(h.started)
	h.mu.Unlock()
	if wait <= 0 {
		return ErrProbeTimeout
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		return ErrProbeTimeout
	case <-h.quit:
		return ErrClosed
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// startLocked runs one probe. Its statement runs apart, because a disk that
// hangs can hold it past any context: the probe then ends as timed out, and
// no other starts before that statement has returned.
func (h *health) startLocked() {
	done := make(chan struct{})
	h.running, h.started, h.inFlight = done, time.Now(), true
	h.probes++
	h.o.Logger.Debug("storage probe")
	ctx, cancel := context.WithTimeout(context.Background(), h.o.ProbeTimeout)
	result := make(chan error, 1)
	go func() {
		err := h.probe(ctx)
		h.mu.Lock()
		h.inFlight = false
		h.mu.Unlock()
		result <- err
	}()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer cancel()
		var err error
		select {
		case err = <-result:
		case <-ctx.Done():
			err = ErrProbeTimeout
		}
		if err != nil && !errors.Is(err, ErrProbeTimeout) {
			err = fmt.Errorf("test write: %w", err)
		}
		h.mu.Lock()
		h.recordLocked(err)
		h.running = nil
		h.mu.Unlock()
		close(done)
	}()
}

// close stops the background retry and waits for a probe in flight to end.
func (h *health) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	close(h.quit)
	h.mu.Unlock()
	h.wg.Wait()
}
