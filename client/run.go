package client

import (
	"context"
	"errors"
	"time"

	"confab/wire"
)

// run owns the connection: it dials, catches up, keeps the token fresh and
// reconnects with backoff until Close or the end of the session.
func (c *Chat) run() {
	defer close(c.done)
	defer c.out.close()
	state := Connecting
	attempt := 0
	for {
		c.setState(StateEvent{State: state})
		tok, _ := c.sess.Token()
		conn, err := dialSocket(c.ctx, c.sess.URL, c.sess.tls, tok, c.opts.ConnectTimeout, c.handlers())
		if c.ctx.Err() != nil {
			if conn != nil {
				conn.close()
			}
			c.stop(Offline, nil)
			return
		}
		var refused errRefused
		if errors.As(err, &refused) { // an expired token cannot be refreshed either: sign in again
			c.stop(SignedOut, &Error{Kind: ErrSignedOut, Code: refused.reason, Detail: refused.reason})
			return
		}
		if err != nil {
			wait := c.backoff(attempt)
			attempt++
			state = Reconnecting
			c.setState(StateEvent{State: Reconnecting, NextAttempt: time.Now().Add(wait), Err: err})
			select {
			case <-time.After(wait):
				continue
			case <-c.ctx.Done():
				c.stop(Offline, nil)
				return
			}
		}
		attempt = 0
		if end := c.serve(conn); end {
			return
		}
		state = Reconnecting
	}
}

// serve runs one connection until it drops (false) or the chat ends (true).
func (c *Chat) serve(conn *sioConn) bool {
	// Rooms are rejoined before the connection is published, so no message
	// goes out to a room this new socket has not joined yet.
	c.catchUp(conn)
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
	for {
		select {
		case <-conn.gone:
			conn.close() // frees the library's side of the dropped connection
			c.mu.Lock()
			c.conn = nil
			ended := c.ended
			c.mu.Unlock()
			if ended {
				return true
			}
			if conn.reason == "io server disconnect" {
				// Only a server that ends the session disconnects us itself,
				// and it says why first (unauthorized) unless it lost that.
				c.stop(SignedOut, &Error{Kind: ErrSignedOut, Detail: "disconnected by the server"})
				return true
			}
			return false
		case <-c.ctx.Done():
			c.mu.Lock()
			c.conn = nil
			c.mu.Unlock()
			conn.close()
			c.stop(Offline, nil)
			return true
		case <-refresh.C:
			refresh.Reset(c.refreshToken(conn))
		}
	}
}

// catchUp rejoins the rooms and fetches what was missed in each: the join
// brings the newest 50 (covering broadcasts that were in flight at the
// drop), then pages after the last id seen before it.
func (c *Chat) catchUp(conn *sioConn) {
	c.mu.Lock()
	type mark struct {
		room  string
		maxID int64
	}
	var rooms []mark
	for name, r := range c.rooms {
		if r.joined {
			rooms = append(rooms, mark{name, r.maxID})
		}
	}
	c.mu.Unlock()
	for _, rm := range rooms {
		if err := c.join(c.ctx, conn, rm.room); err != nil {
			continue // the next reconnect tries again; a failure here is a drop
		}
		after := rm.maxID
		for page := 0; after > 0 && page < catchUpPages; page++ {
			ctx, cancel := context.WithTimeout(c.ctx, c.opts.CallTimeout)
			res, err := conn.call(ctx, wire.EventHistory, map[string]any{"room": rm.room, "after": after, "limit": wire.MaxHistory})
			cancel()
			var msgs []wire.Message
			if err != nil || decode(res["messages"], &msgs) != nil || len(msgs) == 0 {
				break
			}
			c.deliver(msgs, true)
			after = msgs[len(msgs)-1].ID
			if len(msgs) < wire.MaxHistory {
				break
			}
		}
	}
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
	if _, err := conn.call(ctx2, wire.EventAuth, map[string]any{"token": tok}); err != nil && errors.Is(err, ErrSignedOut) {
		c.stop(SignedOut, err)
		conn.close()
		return time.Hour
	}
	return c.refreshDelay()
}

func (c *Chat) handlers() handlers {
	return handlers{
		message: func(m wire.Message) { c.deliver([]wire.Message{m}, false) },
		presence: func(p wire.Presence) {
			c.out.push(PresenceEvent{Presence: p})
		},
		unauthorized: func(reason string) {
			c.stop(SignedOut, &Error{Kind: ErrSignedOut, Code: reason, Detail: reason})
		},
	}
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
