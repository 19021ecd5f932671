package client

import (
	"context"
	"errors"
	"syscall"
	"time"

	"confab/internal/sio"
	"confab/wire"
)

// run owns the connection: it dials, catches up, keeps the token fresh and
// reconnects with backoff until Close or the end of the session.
func (c *Chat) run() {
	defer close(c.done)
	defer c.out.close()
	clock := newClockWatch(time.Now())
	state := Connecting
	attempt := 0
	for {
		c.setState(StateEvent{State: state})
		select { // a ReconnectNow before this attempt is answered by it
		case <-c.retryNow:
		default:
		}
		tok, _ := c.sess.Token()
		conn, err := dialSocket(c.ctx, c.sess.URL, c.sess.tls, tok, c.opts.ConnectTimeout)
		if c.ctx.Err() != nil {
			if conn != nil {
				conn.close()
			}
			c.stop(Offline, nil)
			return
		}
		var refused *sio.RefusedError
		var changed *CertError
		busy := errors.As(err, &refused) && refused.Reason == wire.ErrTooManySockets
		if !busy && (errors.As(err, &refused) || errors.As(err, &changed)) {
			// An expired token cannot be refreshed either; a server whose
			// key changed is asked about at the next sign-in, never here.
			c.stop(SignedOut, dialError(err))
			return
		}
		reason := dialError
		if err == nil {
			reason = func(err error) error { return err } // the catch-up's: already ours
			// Rooms are rejoined and caught up before the connection is
			// published, so no message goes out to a room this new socket
			// has not joined yet. One not caught up is not used: it would
			// be online without its room, or with a gap (catchUp).
			if err = c.catchUp(conn); err != nil {
				conn.close()
			}
		}
		if err != nil {
			wait := c.backoff(attempt)
			if errors.Is(err, syscall.ECONNREFUSED) {
				// Nothing listens: the host is stopped or restarting. Asking
				// again costs one packet each way, so ask often and find it
				// as soon as it is back.
				wait = min(wait, jitter(refusedRetry))
			}
			attempt++
			state = Reconnecting
			c.setState(StateEvent{State: Reconnecting, NextAttempt: time.Now().Add(wait), Err: reason(err)})
			if !c.waitRetry(wait, clock) {
				c.stop(Offline, nil)
				return
			}
			continue
		}
		attempt = 0
		if end := c.serve(conn, clock); end {
			return
		}
		state = Reconnecting
	}
}

// waitRetry waits before the next attempt; ReconnectNow or a jump of the
// wall clock (the computer slept) cuts it short. False: the chat is closed.
func (c *Chat) waitRetry(wait time.Duration, clock *clockWatch) bool {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	tick := time.NewTicker(clockCheck)
	defer tick.Stop()
	for {
		select {
		case <-timer.C:
			return true
		case <-c.retryNow:
			return true
		case now := <-tick.C:
			if clock.jumped(now) {
				return true
			}
		case <-c.ctx.Done():
			return false
		}
	}
}

// serve runs one connection until it drops (false) or the chat ends (true).
func (c *Chat) serve(conn *sioConn, clock *clockWatch) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		conn.close()
		return true
	}
	c.conn = conn
	c.mu.Unlock()
	c.setState(StateEvent{State: Online})
	c.pumpAll()

	refresh := time.NewTimer(c.refreshDelay())
	defer refresh.Stop()
	tick := time.NewTicker(clockCheck)
	defer tick.Stop()
	events := conn.c.Events()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return c.dropped(conn)
			}
			if e.Name == wire.EventUnauthorized && c.tokenReplaced(conn) {
				c.unpublish(conn) // a password change ended the socket's session, not ours
				return false
			}
			c.handle(e)
		case <-c.ctx.Done():
			c.unpublish(conn)
			c.stop(Offline, nil)
			return true
		case <-refresh.C:
			refresh.Reset(c.refreshToken(conn))
		case <-c.retryNow:
			c.unpublish(conn)
			return false
		case now := <-tick.C:
			if clock.jumped(now) { // after a sleep the server has long dropped this socket
				c.unpublish(conn)
				return false
			}
		}
	}
}

// dropped handles the end of a connection the server or the network ended.
func (c *Chat) dropped(conn *sioConn) bool {
	c.unpublish(conn)
	c.mu.Lock()
	ended := c.ended
	c.mu.Unlock()
	if ended {
		return true
	}
	if errors.Is(conn.c.Err(), sio.ErrServerDisconnect) && !c.tokenReplaced(conn) {
		// Only a server that ends the session disconnects us itself, and it
		// says why first (unauthorized) unless it lost that.
		c.stop(SignedOut, &Error{Kind: ErrSignedOut, Detail: "disconnected by the server"})
		return true
	}
	return false
}

// tokenReplaced reports whether the session has another token than the one
// conn was opened with (waiting for a password change under way): the
// server ended the old token's session, and the chat goes on with the new.
func (c *Chat) tokenReplaced(conn *sioConn) bool {
	ctx, cancel := context.WithTimeout(c.ctx, HTTPTimeout)
	defer cancel()
	return c.sess.replaced(ctx, conn.token)
}

// unpublish takes the connection out of use and closes it.
func (c *Chat) unpublish(conn *sioConn) {
	c.mu.Lock()
	if c.conn == conn {
		c.conn = nil
	}
	c.mu.Unlock()
	conn.close()
}

// catchUp rejoins the rooms and fetches what was missed in each: the join
// brings the newest 50 (covering broadcasts that were in flight at the
// drop), then pages after the last id seen before it, then the changes
// since the change number caught up to before. A join or page that fails
// but may work if asked again (no answer in time, rate limited, the
// server busy or without its database) fails the catch-up: the connection
// is then dropped and the next one catches up from where this one stopped.
func (c *Chat) catchUp(conn *sioConn) error {
	c.mu.Lock()
	type mark struct {
		room     string
		maxID    int64
		seq      int64
		seqKnown bool
	}
	var rooms []mark
	for name, r := range c.rooms {
		if r.joined {
			rooms = append(rooms, mark{name, r.maxID, r.seq, r.seqKnown})
		}
	}
	c.mu.Unlock()
	for _, rm := range rooms {
		if err := c.again(conn, func() error { return c.join(c.ctx, conn, rm.room) }); err != nil {
			if transient(err) {
				return err
			}
			continue // refused for good (a group we left): not ours to fetch
		}
		if err := c.catchUpPages(conn, rm.room, rm.maxID); err != nil {
			return err
		}
		if rm.seqKnown { // edits, deletes and reactions made while we were away
			if seq, done := c.catchUpChanges(conn, rm.room, rm.seq); done {
				c.mu.Lock()
				r := c.room(rm.room)
				r.seq = max(r.seq, seq)
				c.mu.Unlock()
			}
		}
	}
	return nil
}

// catchUpPages delivers a room's messages after id after. If a page
// fails, the room's last id goes back to the last one it has every
// message up to (the join's newest 50 moved it past the gap), so the
// next catch-up asks for the gap again.
func (c *Chat) catchUpPages(conn *sioConn, room string, after int64) error {
	for page := 0; after > 0 && page < catchUpPages; page++ {
		var res map[string]any
		var msgs []wire.Message
		err := c.again(conn, func() error {
			ctx, cancel := context.WithTimeout(c.ctx, c.opts.CallTimeout)
			defer cancel()
			var err error
			if res, err = conn.call(ctx, wire.EventHistory, map[string]any{"room": room, "after": after, "limit": wire.MaxHistory}); err != nil {
				return err
			}
			if err := decode(res["messages"], &msgs); err != nil {
				return &Error{Kind: ErrServer, Err: err}
			}
			return nil
		})
		if err != nil {
			if !transient(err) {
				return nil
			}
			c.mu.Lock()
			c.room(room).maxID = after
			c.mu.Unlock()
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		c.deliver(msgs, true)
		after = msgs[len(msgs)-1].ID
		if more, _ := res["more"].(bool); !more && len(msgs) < wire.MaxHistory {
			return nil // caught up (a page cut short in bytes says more)
		}
	}
	return nil
}

// again runs a catch-up call, and again after RateLimitPause while it
// fails transiently on a live connection, up to catchUpTries times: a
// reconnect would repeat the join, whose reply can cost the read budget
// that the page after it needs (rate_limited), again and again.
func (c *Chat) again(conn *sioConn, call func() error) error {
	for try := 1; ; try++ {
		err := call()
		if err == nil || !transient(err) || try == catchUpTries || conn.c.Err() != nil {
			return err
		}
		select {
		case <-time.After(c.opts.RateLimitPause):
		case <-conn.c.Done():
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// transient reports whether a call that failed may succeed if asked again:
// no answer, or the server was rate limiting, in trouble or without its
// database; not a refusal for good.
func transient(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Code == "" {
		return true
	}
	switch e.Code {
	case wire.ErrRateLimited, wire.ErrInternal, wire.ErrUnavailable:
		return true
	}
	return false
}

// refreshDelay is the time until the token should be refreshed.
func (c *Chat) refreshDelay() time.Duration {
	tok, exp := c.sess.Token()
	if tok == "" {
		return time.Hour
	}
	left := time.Until(exp)
	return max(time.Duration(float64(left)*refreshShare), 0)
}

// refreshToken renews the token over HTTP and hands it to the live socket,
// so it is not dropped at the old token's expiry. It returns the delay
// until the next refresh.
func (c *Chat) refreshToken(conn *sioConn) time.Duration {
	ctx, cancel := context.WithTimeout(c.ctx, HTTPTimeout)
	defer cancel()
	if err := c.sess.Refresh(ctx); err != nil {
		if errors.Is(err, ErrSignedOut) {
			c.stop(SignedOut, err)
			conn.close()
			return time.Hour
		}
		return refreshRetry // network trouble: try again soon, the token still lives
	}
	tok, _ := c.sess.Token()
	ctx2, cancel2 := context.WithTimeout(c.ctx, c.opts.CallTimeout)
	defer cancel2()
	_, err := conn.call(ctx2, wire.EventAuth, map[string]any{"token": tok})
	if err != nil && errors.Is(err, ErrSignedOut) {
		c.stop(SignedOut, err)
		conn.close()
		return time.Hour
	}
	if err == nil {
		conn.token = tok // the socket's token now (read on this goroutine only)
	}
	return c.refreshDelay()
}

// stop ends the chat once, with a last state event.
func (c *Chat) stop(state ConnState, err error) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.state = state
	c.mu.Unlock()
	c.out.push(StateEvent{State: state, Err: err})
}

func (c *Chat) setState(e StateEvent) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.state = e.State
	c.mu.Unlock()
	c.out.push(e)
}
