package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"confab/internal/sio"
	"confab/wire"
)

// pipeline lets a socket's messages wait for their commits side by side
// (issue 16). A message event is checked and queued for the store's group
// commit in the socket's turn, which it then gives up: the next message is
// queued while this one waits for its fsync, and they share a commit.
// Only after its commit is a message acknowledged and sent to its room,
// by one goroutine per socket that completes them in the order they were
// sent (started when a message is queued, ended when none is left). At
// most max messages of a socket are in flight: past it the socket's next
// event waits for the oldest. Any other event waits until none is left,
// so it sees them stored (a history read after a send finds it).
type pipeline struct {
	max      int
	complete func(*inFlight)
	stats    *pipeStats
	mu       sync.Mutex
	changed  sync.Cond // n went down
	n        int       // reserved: queued, or about to be
	queue    []*inFlight
	running  bool
}

// inFlight is one message event waiting for its answer: wait (its commit)
// or, for one refused while others were in flight, res.
type inFlight struct {
	wait  func() wireResult
	res   ack
	reply *sio.Deferred
	read  time.Time // when its frame was read
}

// wireResult is a stored message's outcome, as completion needs it.
type wireResult struct {
	msg          wire.Message
	created, fed bool
	err          error
}

// pipeStats are all pipelines' counters, for the metrics.
type pipeStats struct {
	inFlight atomic.Int64 // messages reserved and not yet completed
	waits    atomic.Int64 // reserves that found max in flight
}

func newPipeline(max int, stats *pipeStats, complete func(*inFlight)) *pipeline {
	p := &pipeline{max: max, stats: stats, complete: complete}
	p.changed.L = &p.mu
	return p
}

// reserve takes a place for the next message, waiting for the oldest while
// max are in flight.
func (p *pipeline) reserve() {
	p.mu.Lock()
	if p.n >= p.max {
		p.stats.waits.Add(1)
	}
	for p.n >= p.max {
		p.changed.Wait()
	}
	p.n++
	p.mu.Unlock()
	p.stats.inFlight.Add(1)
}

// unreserve gives back a place not needed (an answer that may go at once)
// and reports true, unless earlier messages are still in flight: then the
// answer must queue behind theirs and the place is kept (false).
func (p *pipeline) unreserve() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n > 1 {
		return false
	}
	p.n--
	p.changed.Broadcast()
	p.stats.inFlight.Add(-1)
	return true
}

// push queues a reserved message's completion.
func (p *pipeline) push(f *inFlight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, f)
	if !p.running {
		p.running = true
		go p.run()
	}
}

// behind is how long ago the oldest message in flight was read: a message
// queued now is answered after it.
func (p *pipeline) behind() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return 0
	}
	return time.Since(p.queue[0].read)
}

// idle waits until no message is in flight.
func (p *pipeline) idle() {
	p.mu.Lock()
	for p.n > 0 {
		p.changed.Wait()
	}
	p.mu.Unlock()
}

func (p *pipeline) run() {
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		f := p.queue[0] // stays first until done: behind() sees it
		p.mu.Unlock()
		p.complete(f)
		p.stats.inFlight.Add(-1)
		p.mu.Lock()
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.n--
		p.changed.Broadcast()
		p.mu.Unlock()
	}
}

// message handles a message event through the socket's pipeline: it
// returns the ack at once when the message was refused and nothing is in
// flight, else a Deferred that its completion answers.
func (c *conn) message(roomKey string, args []any) any {
	c.pipe.reserve()
	res, wait := c.queueSend(roomKey, args)
	if wait == nil && c.pipe.unreserve() {
		return res
	}
	f := &inFlight{wait: wait, res: res, reply: c.sock.Defer(), read: time.Now().Add(-c.sock.Waited())}
	c.pipe.push(f)
	return f.reply
}

// queueSend checks a message event as dispatch would and queues the
// message for its commit (wait); a refusal is res.
func (c *conn) queueSend(roomKey string, args []any) (res ack, wait func() wireResult) {
	if !c.limiter.Allow() {
		return fail(wire.ErrRateLimited), nil
	}
	defer func() {
		if p := recover(); p != nil {
			c.srv.log.Error("event handler panic", "event", "message", "user_id", c.userID, "panic", fmt.Sprint(p))
			res, wait = fail(wire.ErrInternal), nil
		}
	}()
	var payload any
	if len(args) > 0 {
		payload = args[0]
	}
	m, isMap := payload.(map[string]any)
	if !isMap {
		return fail(wire.ErrBadRequest), nil
	}
	return c.send(m, roomKey)
}

// completeSend runs on the socket's pipeline once the message's turn in
// the completions came: after its commit, it is sent to its room and
// acknowledged (never before).
func (c *conn) completeSend(f *inFlight) {
	defer func() {
		if p := recover(); p != nil { // a bug costs one message's ack, not the process
			c.srv.log.Error("message completion panic", "user_id", c.userID, "panic", fmt.Sprint(p))
			f.reply.Reply(fail(wire.ErrInternal))
		}
	}()
	if f.wait == nil {
		f.reply.Reply(f.res)
		return
	}
	r := f.wait()
	if r.err != nil {
		c.srv.limited.Error("store message", "user_id", c.userID, "err", r.err) // a failing disk fails every send
		f.reply.Reply(fail(wire.ErrInternal))
		return
	}
	if r.created && !r.fed {
		c.sock.ToRoom(r.msg.Room, wire.EventMessage, r.msg)
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		c.srv.tellMentioned(ctx, c.userID, r.msg) // mentions.go
		cancel()
	}
	c.limits.typing.reset(r.msg.Room) // a message ends typing: the next keystroke is news at once
	f.reply.Reply(success(ack{"message": r.msg}))
}
