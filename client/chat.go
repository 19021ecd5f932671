package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"math"
	mrand "math/rand/v2"
	"sort"
	"sync"
	"time"

	"confab/wire"
)

// Options tune a Chat; the zero value means the defaults.
type Options struct {
	ConnectTimeout time.Duration // per attempt (default 5s)
	CallTimeout    time.Duration // per acknowledgement (default 15s)
	MinBackoff     time.Duration // first wait before reconnecting (default 400ms)
	MaxBackoff     time.Duration // longest wait (default 10s)
	RateLimitPause time.Duration // wait after rate_limited (default 1s)
}

// Defaults of Options.
const (
	DefaultConnectTimeout = 5 * time.Second // a LAN answers in milliseconds
	DefaultCallTimeout    = 15 * time.Second
	DefaultMinBackoff     = 400 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultRateLimitPause = time.Second
	backoffGrowth         = 1.5              // each wait this much longer: a host back within a few seconds is found within 2 s
	backoffJitter         = 0.2              // ± share of each wait, so clients do not return in step
	refreshShare          = 0.8              // refresh when this share of a token's life has passed
	refreshRetry          = 5 * time.Second  // after a failed refresh (network), try again this soon
	refusedRetry          = time.Second      // longest wait while the server refuses connections (it is not running)
	seenPerRoom           = 2000             // message ids remembered per room for deduplication
	catchUpPages          = 100              // at most this many history pages per room after a reconnect
	catchUpTries          = 5                // a catch-up call that fails transiently is asked this often before the connection is dropped
	logoutTimeout         = 10 * time.Second // Logout's HTTP call, when ctx has no deadline
)

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.ConnectTimeout, DefaultConnectTimeout)
	def(&o.CallTimeout, DefaultCallTimeout)
	def(&o.MinBackoff, DefaultMinBackoff)
	def(&o.MaxBackoff, DefaultMaxBackoff)
	def(&o.RateLimitPause, DefaultRateLimitPause)
	return o
}

// Chat is a live connection of a Session: it connects, reconnects, catches
// up and delivers the outbox by itself, and reports everything on Events.
// Its methods are safe to call from any goroutine.
type Chat struct {
	sess *Session
	opts Options
	out  *eventQueue

	ctx      context.Context // ends on Close
	cancel   context.CancelFunc
	done     chan struct{} // the run loop has ended
	retryNow chan struct{} // ReconnectNow: connect again at once

	mu      sync.Mutex
	conn    *sioConn // nil while not online
	state   ConnState
	rooms   map[string]*roomState
	pending map[string]*Outgoing // clientId -> message waiting, in flight or failed
	ended   bool
}

type roomState struct {
	joined   bool
	queue    []*Outgoing // pending messages, oldest first
	inflight bool
	seen     map[int64]struct{}
	seenList []int64 // for trimming seen, oldest first
	maxID    int64
	// seq is the room's change number we are caught up to (seqKnown: the
	// server said one); after a reconnect the changes since it are fetched.
	seq      int64
	seqKnown bool
	typedAt  time.Time // when we last told the room we are typing
}

// Connect starts a Chat for the session. It returns at once; watch Events.
func Connect(sess *Session, opts Options) *Chat {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Chat{
		sess:     sess,
		opts:     opts.withDefaults(),
		out:      newEventQueue(),
		ctx:      ctx,
		cancel:   cancel,
		done:     make(chan struct{}),
		retryNow: make(chan struct{}, 1),
		rooms:    map[string]*roomState{wire.DefaultRoom: {joined: true, seen: map[int64]struct{}{}}},
		pending:  map[string]*Outgoing{},
	}
	go c.run()
	return c
}

// Events delivers what happens, in order; it is closed after Close.
// Messages can arrive in any order (and history pages separately): order a
// timeline by Message.ID. No message is delivered twice.
func (c *Chat) Events() <-chan Event { return c.out.ch }

// Session is the chat's session (its token is kept fresh by the chat).
func (c *Chat) Session() *Session { return c.sess }

// State is the connection's current state.
func (c *Chat) State() ConnState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Close disconnects and stops every goroutine of the chat. Pending messages
// are dropped (they were never acknowledged).
func (c *Chat) Close() {
	c.cancel()
	<-c.done
	c.sess.http.CloseIdleConnections() // each session has its own transport (its own TLS trust)
}

// ReconnectNow connects again at once: while waiting to reconnect it
// skips the wait; while online it replaces the connection with a new one.
func (c *Chat) ReconnectNow() {
	select {
	case c.retryNow <- struct{}{}:
	default:
	}
}

// Logout signs out on the server (the token is revoked everywhere), then closes.
func (c *Chat) Logout(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, logoutTimeout)
		defer cancel()
	}
	err := c.sess.logout(ctx)
	c.stop(SignedOut, &Error{Kind: ErrSignedOut, Detail: "logged out"})
	c.Close()
	c.sess.setToken("", time.Time{})
	return err
}

func (c *Chat) room(name string) *roomState {
	r, ok := c.rooms[name]
	if !ok {
		r = &roomState{seen: map[int64]struct{}{}}
		c.rooms[name] = r
	}
	return r
}

// online returns the current connection or ErrOffline.
func (c *Chat) online() (*sioConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, ErrClosed
	}
	if c.conn == nil {
		return nil, &Error{Kind: ErrOffline}
	}
	return c.conn, nil
}

func (c *Chat) call(ctx context.Context, event string, payload any) (map[string]any, error) {
	conn, err := c.online()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	return conn.call(ctx, event, payload)
}

// Join enters a room; its recent history arrives as MessageEvents, and the
// room is rejoined after every reconnect until Leave.
func (c *Chat) Join(ctx context.Context, room string) error {
	if !wire.ValidConversation(room) {
		return &Error{Kind: ErrBadInput, Code: wire.ErrInvalidRoom, Detail: "room names are 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit"}
	}
	conn, err := c.online()
	if err != nil {
		return err
	}
	return c.join(ctx, conn, room)
}

func (c *Chat) join(ctx context.Context, conn *sioConn, room string) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.CallTimeout)
	defer cancel()
	res, err := conn.call(ctx, wire.EventJoin, map[string]any{"room": room})
	if err != nil {
		c.forgetIfGone(room, err)
		return err
	}
	var msgs []wire.Message
	if err := decode(res["history"], &msgs); err != nil {
		return &Error{Kind: ErrServer, Err: err}
	}
	var seq int64
	hasSeq := decode(res["seq"], &seq) == nil && res["seq"] != nil
	c.mu.Lock()
	r := c.room(room)
	r.joined = true
	if hasSeq && !r.seqKnown { // later, only a finished catch-up moves it
		r.seq, r.seqKnown = seq, true
	}
	c.mu.Unlock()
	c.deliver(msgs, true)
	c.pump(room)
	return nil
}

// Leave leaves a room.
func (c *Chat) Leave(ctx context.Context, room string) error {
	if _, err := c.call(ctx, wire.EventLeave, map[string]any{"room": room}); err != nil {
		return err
	}
	c.mu.Lock()
	c.room(room).joined = false
	c.mu.Unlock()
	return nil
}

// History returns up to limit messages of a room older than before (0: the
// newest), oldest first. They are not repeated on Events.
//
// The server may cut a page short to bound its size in bytes (it then says
// "more"); the rest is asked for here, so fewer than limit means the
// beginning of the room was reached.
func (c *Chat) History(ctx context.Context, room string, before int64, limit int) ([]wire.Message, error) {
	var msgs []wire.Message
	for len(msgs) < limit {
		page, more, err := c.historyPage(ctx, room, before, limit-len(msgs))
		if err != nil {
			return nil, err
		}
		msgs = append(page, msgs...)
		if !more || len(page) == 0 {
			break
		}
		before = page[0].ID
	}
	c.mu.Lock()
	r := c.room(room)
	for _, m := range msgs {
		r.markSeen(m.ID)
	}
	c.mu.Unlock()
	return msgs, nil
}

// historyPage is one history request: messages older than before, and
// whether the server left some out to bound the reply.
func (c *Chat) historyPage(ctx context.Context, room string, before int64, limit int) ([]wire.Message, bool, error) {
	p := map[string]any{"room": room, "limit": limit}
	if before > 0 {
		p["before"] = before
	}
	res, err := c.call(ctx, wire.EventHistory, p)
	if err != nil {
		return nil, false, err
	}
	var msgs []wire.Message
	if err := decode(res["messages"], &msgs); err != nil {
		return nil, false, &Error{Kind: ErrServer, Err: err}
	}
	more, _ := res["more"].(bool)
	return msgs, more, nil
}

// Users lists the server's users with their online state.
func (c *Chat) Users(ctx context.Context) ([]wire.User, error) {
	res, err := c.call(ctx, wire.EventUsers, map[string]any{})
	if err != nil {
		return nil, err
	}
	var users []wire.User
	if err := decode(res["users"], &users); err != nil {
		return nil, &Error{Kind: ErrServer, Err: err}
	}
	return users, nil
}

// User looks one user up by id.
func (c *Chat) User(ctx context.Context, id string) (wire.User, error) {
	res, err := c.call(ctx, wire.EventGetUser, map[string]any{"id": id})
	if err != nil {
		return wire.User{}, err
	}
	var u wire.User
	err = decode(res["user"], &u)
	return u, err
}

// deliver hands messages not seen before to the app, in id order.
func (c *Chat) deliver(msgs []wire.Message, historic bool) {
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].ID < msgs[j].ID })
	c.mu.Lock()
	var fresh []wire.Message
	for _, m := range msgs {
		if c.room(m.Room).markSeen(m.ID) {
			fresh = append(fresh, m)
		}
	}
	c.mu.Unlock()
	for _, m := range fresh {
		c.out.push(MessageEvent{Message: m, Historic: historic})
	}
}

// markSeen records id and reports whether it is new.
func (r *roomState) markSeen(id int64) bool {
	if _, dup := r.seen[id]; dup {
		return false
	}
	r.seen[id] = struct{}{}
	r.seenList = append(r.seenList, id)
	if len(r.seenList) > seenPerRoom {
		delete(r.seen, r.seenList[0])
		r.seenList = r.seenList[1:]
	}
	r.maxID = max(r.maxID, id)
	return true
}

// backoff is the wait before reconnect attempt n (0-based), with jitter.
func (c *Chat) backoff(n int) time.Duration {
	d := float64(c.opts.MinBackoff) * math.Pow(backoffGrowth, float64(min(n, 32)))
	return jitter(time.Duration(min(d, float64(c.opts.MaxBackoff))))
}

// jitter spreads d by ± backoffJitter, so clients do not return in step.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (1 + backoffJitter*(2*mrand.Float64()-1)))
}

func newClientID() string {
	var b [12]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}
