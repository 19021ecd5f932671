package client

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/zishang520/engine.io-client-go/engine"
	"github.com/zishang520/engine.io/v2/types"
	csock "github.com/zishang520/socket.io-client-go/socket"

	"confab/internal/sioopen"
	"confab/wire"
)

// handlers receive what the server pushes; they run on library goroutines,
// one per packet (pitfall 15), so they must be safe to run concurrently.
type handlers struct {
	message      func(wire.Message)
	presence     func(wire.Presence)
	unauthorized func(reason string)
}

// sioConn is one Socket.IO connection. A new one is made for every attempt,
// with the newest token in its auth (pitfall 13: the library re-sends a
// socket's first auth map on its own reconnects), and the library's own
// reconnection is off: the Chat decides when to try again.
type sioConn struct {
	s        *csock.Socket
	gone     chan struct{} // closed on disconnect
	goneOnce sync.Once
	reason   string
}

// errRefused is a handshake refused by the server, with its reason.
type errRefused struct{ reason string }

func (e errRefused) Error() string { return "refused: " + e.reason }

func dialSocket(ctx context.Context, serverURL string, tlsCfg *tls.Config, token string, timeout time.Duration, h handlers) (*sioConn, error) {
	ws, release := sioopen.WebSocket() // pitfall 17
	defer release()
	opts := csock.DefaultOptions()
	opts.SetTransports(types.NewSet(ws))
	opts.SetForceNew(true)
	opts.SetReconnection(false)
	opts.SetTimeout(timeout)
	opts.SetAuth(map[string]any{"token": token})
	if tlsCfg != nil {
		opts.SetTLSClientConfig(tlsCfg)
	}
	opts.SetExtraHeaders(http.Header{"User-Agent": {"confab-client"}})
	s, err := csock.Connect(serverURL, opts)
	if err != nil {
		return nil, &Error{Kind: ErrNotConfab, Err: err}
	}
	c := &sioConn{s: s, gone: make(chan struct{})}
	result := make(chan error, 1)
	s.On("connect", func(...any) {
		select {
		case result <- nil:
		default:
		}
	})
	s.On("connect_error", func(args ...any) {
		var err error = errors.New("connect error")
		if len(args) > 0 {
			if e, ok := args[0].(error); ok {
				err = e
			}
		}
		var ext *csock.ExtendedError
		if errors.As(err, &ext) {
			reason := ext.Message
			if data, ok := ext.Data.(map[string]any); ok {
				if r, ok := data["reason"].(string); ok {
					reason = r
				}
			}
			err = errRefused{reason: reason}
		}
		select {
		case result <- err:
		default:
		}
	})
	s.On("disconnect", func(args ...any) {
		c.goneOnce.Do(func() {
			if len(args) > 0 {
				c.reason, _ = args[0].(string)
			}
			close(c.gone)
		})
	})
	s.On(wire.EventMessage, func(args ...any) {
		var m wire.Message
		if len(args) > 0 && decode(args[0], &m) == nil && m.ID > 0 {
			h.message(m)
		}
	})
	s.On(wire.EventPresence, func(args ...any) {
		var p wire.Presence
		if len(args) > 0 && decode(args[0], &p) == nil {
			h.presence(p)
		}
	})
	s.On(wire.EventUnauthorized, func(args ...any) {
		var u wire.Unauthorized
		if len(args) > 0 {
			decode(args[0], &u) //nolint:errcheck
		}
		h.unauthorized(u.Reason)
	})
	release() // every handler is registered: the dial may start
	select {
	case err := <-result:
		if err != nil {
			s.Close()
			return nil, err
		}
		return c, nil
	case <-time.After(timeout + time.Second): // a backstop: the library's own timer fires first
		s.Close()
		return nil, &Error{Kind: ErrUnreachable, Detail: "connect timed out"}
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// call emits an event and waits for its acknowledgement.
func (c *sioConn) call(ctx context.Context, event string, payload any) (map[string]any, error) {
	res := make(chan []any, 1)
	if err := c.s.Emit(event, payload, func(args []any, _ error) { res <- args }); err != nil {
		return nil, err
	}
	select {
	case args := <-res:
		if len(args) == 0 {
			return nil, ErrOffline // the socket closed with the call pending
		}
		m, ok := args[0].(map[string]any)
		if !ok {
			return nil, &Error{Kind: ErrServer, Detail: "unexpected acknowledgement"}
		}
		if m["ok"] != true {
			code, _ := m["error"].(string)
			return m, &Error{Kind: kindOfCode(code), Code: code}
		}
		return m, nil
	case <-c.gone:
		return nil, ErrOffline
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// closeGrace is how long a closed socket's engine may stay "closing" before
// its transport is closed directly (pitfall 22).
const closeGrace = time.Second

// close disconnects the socket and makes sure its connection goes too.
// Pitfall 22: the engine closes only on a "drain" after its write buffer
// empties; when the buffer drains between its check and its listening, it
// waits forever, and the connection (and its goroutines) stays open.
func (c *sioConn) close() {
	c.s.Close()
	e := c.s.Io().Engine()
	if e == nil {
		return
	}
	time.AfterFunc(closeGrace, func() {
		if e.ReadyState() == engine.SocketStateClosing {
			e.Transport().Close()
		}
	})
}

// decode converts a decoded JSON value into a typed one.
func decode(v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
