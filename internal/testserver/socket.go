package testserver

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"confab/internal/sio"
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
	Polling bool   // long-polling instead of a websocket
	Origin  string
	TLS     *tls.Config // for https URLs
}

// Event is something the server sent to a test socket. When the connection
// ends, a last event named "disconnect" carries the reason (Conn.Err).
type Event struct {
	Name string
	Args []any
}

// Sock is a socket dialled through the product's own Socket.IO client
// (internal/sio) that records what it receives.
type Sock struct {
	Conn *sio.Conn

	mu     sync.Mutex
	events []Event
	signal chan struct{}
	read   chan struct{} // closed once every event is recorded
}

// CallTimeout bounds every acknowledgement a test waits for.
const CallTimeout = 10 * time.Second

// connectTimeout is generous: CI machines are shared and tests run with -race.
const connectTimeout = 5 * time.Second

// Dial connects and waits for the CONNECT reply; a refused handshake is a
// *sio.RefusedError. It is never retried: a dial that fails is a defect.
func Dial(serverURL string, o DialOpts) (*Sock, error) {
	opts := sio.DialOptions{Timeout: connectTimeout, TLS: o.TLS, Polling: o.Polling, Header: http.Header{}}
	switch o.Via {
	case ViaQuery:
		opts.Query = url.Values{"token": {o.Token}}
	case ViaHeader:
		opts.Header.Set("Authorization", "Bearer "+o.Token)
	default:
		opts.Auth = map[string]any{"token": o.Token}
	}
	if o.Origin != "" {
		opts.Header.Set("Origin", o.Origin)
	}
	c, err := sio.Dial(context.Background(), serverURL, opts)
	if err != nil {
		return nil, err
	}
	s := &Sock{Conn: c, signal: make(chan struct{}, 1), read: make(chan struct{})}
	go s.record()
	return s, nil
}

func (s *Sock) record() {
	defer close(s.read)
	for e := range s.Conn.Events() {
		s.add(Event{Name: e.Name, Args: e.Args})
	}
	reason := ""
	if err := s.Conn.Err(); err != nil {
		reason = err.Error()
	}
	s.add(Event{Name: "disconnect", Args: []any{reason}})
}

func (s *Sock) add(e Event) {
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
	ctx, cancel := context.WithTimeout(context.Background(), CallTimeout)
	defer cancel()
	args, err := s.Conn.Call(ctx, event, payload)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, ErrTimeout
	}
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("empty ack")
	}
	m, ok := args[0].(map[string]any)
	if !ok {
		return nil, errors.New("ack is not an object")
	}
	return m, nil
}

// Emit sends an event without an acknowledgement.
func (s *Sock) Emit(event string, payload any) error { return s.Conn.Emit(event, payload) }

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
func (s *Sock) Close() {
	s.Conn.Close()
	<-s.read
}
