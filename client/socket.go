package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"confab/internal/sio"
	"confab/wire"
)

// sioConn is one Socket.IO connection. A new one is made for every attempt,
// with the newest token in its handshake.
type sioConn struct {
	c     *sio.Conn
	token string // the handshake's, then the last one sent with auth (run loop only)
}

func dialSocket(ctx context.Context, serverURL string, tlsCfg *tls.Config, token string, timeout time.Duration) (*sioConn, error) {
	c, err := sio.Dial(ctx, serverURL, sio.DialOptions{
		Auth:    map[string]any{"token": token},
		Header:  http.Header{"User-Agent": {"confab-client"}},
		TLS:     tlsCfg,
		Timeout: timeout,
	})
	if err != nil {
		return nil, err
	}
	return &sioConn{c: c, token: token}, nil
}

// call emits an event and waits for its acknowledgement.
func (c *sioConn) call(ctx context.Context, event string, payload any) (map[string]any, error) {
	args, err := c.c.Call(ctx, event, payload)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrOffline // the socket closed with the call pending
	}
	var m map[string]any
	if len(args) > 0 {
		m, _ = args[0].(map[string]any)
	}
	if m == nil {
		return nil, &Error{Kind: ErrServer, Detail: "unexpected acknowledgement"}
	}
	if m["ok"] != true {
		code, _ := m["error"].(string)
		return m, &Error{Kind: kindOfCode(code), Code: code}
	}
	return m, nil
}

// close disconnects the socket; nothing of it remains when it returns.
func (c *sioConn) close() { c.c.Close() }

// dialError says why a dial failed in the words of this package.
func dialError(err error) error {
	var refused *sio.RefusedError
	switch {
	case errors.As(err, &refused) && refused.Reason == wire.ErrTooManySockets:
		return &Error{Kind: ErrServer, Code: refused.Reason} // retried, with backoff
	case errors.As(err, &refused):
		return &Error{Kind: ErrSignedOut, Code: refused.Reason, Detail: refused.Reason}
	case errors.Is(err, sio.ErrTimeout):
		return &Error{Kind: ErrUnreachable, Detail: "connect timed out"}
	case errors.Is(err, context.Canceled):
		return err
	}
	var lost *sio.LostError
	if errors.As(err, &lost) && lost.Err == nil {
		return &Error{Kind: ErrUnreachable, Detail: lost.Reason}
	}
	return netError(err)
}

// decode converts a decoded JSON value into a typed one.
func decode(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// handle applies one event the server pushed; events arrive in order, on
// the run loop.
func (c *Chat) handle(e sio.Event) {
	var arg any
	if len(e.Args) > 0 {
		arg = e.Args[0]
	}
	switch e.Name {
	case wire.EventMessage:
		var m wire.Message
		if decode(arg, &m) == nil && m.ID > 0 {
			c.deliver([]wire.Message{m}, false)
		}
	case wire.EventUpdate:
		var m wire.Message
		if decode(arg, &m) == nil && m.ID > 0 {
			c.sawChange(m)
			c.out.push(UpdateEvent{Message: m})
		}
	case wire.EventTyping:
		var t wire.Typing
		if decode(arg, &t) == nil && t.User.ID != "" {
			c.out.push(TypingEvent{Typing: t, Until: time.Now().Add(time.Duration(t.ExpiresIn) * time.Millisecond)})
		}
	case wire.EventMention:
		var m wire.Message
		if decode(arg, &m) == nil && m.ID > 0 {
			c.out.push(MentionEvent{Message: m})
		}
	case wire.EventPresence:
		var p wire.Presence
		if decode(arg, &p) == nil {
			c.out.push(PresenceEvent{Presence: p})
		}
	case wire.EventConversation:
		c.handleConversation(arg)
	case wire.EventKicked:
		c.kicked(arg) // admin.go
	case wire.EventUnauthorized:
		var u wire.Unauthorized
		decode(arg, &u) //nolint:errcheck // a reason-less refusal still ends the session
		c.stop(SignedOut, &Error{Kind: ErrSignedOut, Code: u.Reason, Detail: u.Reason})
	}
}
