package testserver

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	csock "github.com/zishang520/socket.io-client-go/socket"

	"confab/internal/sioopen"
)

// How a test socket presents its token.
const (
	ViaAuth   = "auth"
	ViaQuery  = "query"
	ViaHeader = "header"
)

// DialOpts configure a test socket.
type DialOpts struct {
	Token   string
	Via     string // ViaAuth (default), ViaQuery or ViaHeader
	Polling bool   // start on long-polling (then upgrade) instead of websocket only
	Origin  string
	TLS     *tls.Config // for https URLs
}

// Event is something the server sent to a test socket.
type Event struct {
	Name string
	Args []any
}

// Sock is a real socket.io-client-go socket that records what it receives.
type Sock struct {
	S *csock.Socket

	mu     sync.Mutex
	events []Event
	signal chan struct{}
}

// CallTimeout bounds every acknowledgement a test waits for.
const CallTimeout = 10 * time.Second

// Dial connects and waits for connect or connect_error; the error of a
// refused handshake is a *csock.ExtendedError. A websocket dial is not
// retried: with the pitfall 17 workaround (internal/sioopen) it does not
// time out on loopback. A dial starting on long-polling, which the product
// never uses and sioopen does not gate, can still lose its open: it is
// retried.
func Dial(serverURL string, o DialOpts) (*Sock, error) {
	s, err := dialOnce(serverURL, o)
	for attempt := 1; o.Polling && errors.Is(err, ErrTimeout) && attempt < pollingDialAttempts; attempt++ {
		s, err = dialOnce(serverURL, o)
	}
	return s, err
}

const pollingDialAttempts = 3

// libraryTimeout is the error the client library's connect timer reports.
const libraryTimeout = "timeout"

// connectTimeout is generous: CI machines are shared and tests run with -race.
const connectTimeout = 5 * time.Second

func dialOnce(serverURL string, o DialOpts) (*Sock, error) {
	ws, release := sioopen.WebSocket() // pitfall 17
	defer release()
	opts := csock.DefaultOptions()
	if o.Polling {
		opts.SetTransports(types.NewSet(csock.Polling, ws))
	} else {
		opts.SetTransports(types.NewSet(ws))
	}
	opts.SetForceNew(true)
	opts.SetReconnection(false)
	opts.SetTimeout(connectTimeout)
	headers := http.Header{}
	switch o.Via {
	case ViaQuery:
		opts.SetQuery(url.Values{"token": {o.Token}})
	case ViaHeader:
		headers.Set("Authorization", "Bearer "+o.Token)
	default:
		opts.SetAuth(map[string]any{"token": o.Token})
	}
	if o.TLS != nil {
		opts.SetTLSClientConfig(o.TLS)
	}
	if o.Origin != "" {
		headers.Set("Origin", o.Origin)
	}
	if len(headers) > 0 {
		opts.SetExtraHeaders(headers)
	}
	s, err := csock.Connect(serverURL, opts)
	if err != nil {
		return nil, err
	}
	ts := &Sock{S: s, signal: make(chan struct{}, 1)}
	result := make(chan error, 1)
	s.On("connect", func(...any) {
		select {
		case result <- nil:
		default:
		}
	})
	s.On("connect_error", func(args ...any) {
		var err error = errors.New("connect_error")
		if len(args) > 0 {
			if e, ok := args[0].(error); ok {
				err = e
			}
		}
		if err.Error() == libraryTimeout {
			err = ErrTimeout // the library's own connect timer: retried like ours
		}
		select {
		case result <- err:
		default:
		}
	})
	s.On("disconnect", func(args ...any) { ts.record(Event{Name: "disconnect", Args: args}) })
	s.OnAny(func(args ...any) {
		if len(args) == 0 {
			return
		}
		name, _ := args[0].(string)
		ts.record(Event{Name: name, Args: args[1:]})
	})
	release() // every handler is registered: the dial may start
	select {
	case err := <-result:
		if err != nil {
			s.Close()
			return nil, err
		}
		return ts, nil
	case <-time.After(connectTimeout + time.Second):
		s.Close()
		return nil, ErrTimeout
	}
}

func (s *Sock) record(e Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// Call emits an event with an acknowledgement and returns the ack body.
func (s *Sock) Call(event string, payload any) (map[string]any, error) {
	res := make(chan []any, 1)
	s.S.Emit(event, payload, func(args []any, _ error) { res <- args })
	select {
	case args := <-res:
		if len(args) == 0 {
			return nil, errors.New("empty ack")
		}
		m, ok := args[0].(map[string]any)
		if !ok {
			return nil, errors.New("ack is not an object")
		}
		return m, nil
	case <-time.After(CallTimeout):
		return nil, ErrTimeout
	}
}

// Events returns a copy of the events named name received so far ("" for all).
func (s *Sock) Events(name string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.events {
		if name == "" || e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// WaitEvents waits until n events named name have arrived.
func (s *Sock) WaitEvents(name string, n int, timeout time.Duration) ([]Event, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if evs := s.Events(name); len(evs) >= n {
			return evs, nil
		}
		select {
		case <-s.signal:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			return s.Events(name), ErrTimeout
		}
	}
}

// Close disconnects the socket.
func (s *Sock) Close() { s.S.Close() }
