package sio

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/zishang520/engine.io-client-go/engine"
	"github.com/zishang520/engine.io/v2/types"
	csock "github.com/zishang520/socket.io-client-go/socket"
)

// Client-side defaults.
const (
	// DefaultDialTimeout bounds a whole Dial: TCP, TLS, the Engine.IO open
	// and the Socket.IO CONNECT. A LAN answers in milliseconds.
	DefaultDialTimeout = 5 * time.Second
	// MaxQueuedEvents is how many received events may wait for the reader
	// of Events; a connection whose reader falls further behind is dropped
	// (ErrTooManyEvents) rather than growing without bound.
	MaxQueuedEvents = 4096
)

// DialOptions configure Dial. The zero value dials a websocket with no auth.
type DialOptions struct {
	Auth    map[string]any // the CONNECT payload (Confab: {"token": …})
	Query   url.Values     // added to the handshake's query string
	Header  http.Header    // extra handshake headers
	TLS     *tls.Config    // for https:// URLs
	Timeout time.Duration  // for the whole dial (default DefaultDialTimeout)
	// Polling uses HTTP long-polling instead of a websocket (no upgrade).
	// Confab's clients never do; tests use it to reach the server's
	// polling paths the way browsers do.
	Polling bool
}

// Event is an event the server sent.
type Event struct {
	Name string
	Args []any
}

// Why a connection ends (Conn.Err).
var (
	ErrClosed           = errors.New("connection closed")
	ErrServerDisconnect = errors.New("disconnected by the server")
	ErrTimeout          = errors.New("connect timed out")
	ErrTooManyEvents    = fmt.Errorf("more than %d events waiting to be read", MaxQueuedEvents)
)

// RefusedError is a handshake the server refused (a connect_error): the
// message and, for Confab, data.reason. Servers refuse with it too (Socket).
type RefusedError struct {
	Message string
	Reason  string
}

func (e *RefusedError) Error() string {
	if e.Reason == "" {
		return "refused: " + e.Message
	}
	return "refused: " + e.Message + " (" + e.Reason + ")"
}

// LostError is a connection that ended by itself: the transport closed or
// failed, the server stopped answering pings, or it broke the protocol.
type LostError struct {
	Reason string // "transport close", "ping timeout", "protocol error", …
	Err    error  // the cause, when there is one
}

func (e *LostError) Error() string {
	if e.Err == nil {
		return "connection lost: " + e.Reason
	}
	return "connection lost: " + e.Reason + ": " + e.Err.Error()
}

func (e *LostError) Unwrap() error { return e.Err }

// Conn is a client's Socket.IO connection to namespace "/". Everything the
// server sends arrives in order on Events, which is closed when the
// connection ends; Err then says why. Its methods are safe to call from
// any goroutine.
type Conn struct {
	sock   *csock.Socket    // the library's socket; nil until Connect returned
	tr     *clientTransport // set by the library when it builds the transport
	events chan Event

	up       chan struct{} // the library reports the socket connected
	upOnce   sync.Once
	done     chan struct{} // the connection ended (err is set)
	finished chan struct{} // and the library has let go of it
	mu       sync.Mutex
	err      error
}

// Dial connects to a Socket.IO server's namespace "/" and returns once the
// server accepted the CONNECT. A refused handshake is a *RefusedError.
func Dial(ctx context.Context, rawURL string, o DialOptions) (*Conn, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultDialTimeout
	}
	c := &Conn{
		events:   make(chan Event, MaxQueuedEvents),
		up:       make(chan struct{}),
		done:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	gate := newOpenGate()
	sock, err := csock.Connect(rawURL, clientOptions(o, &transportBuilder{conn: c, gate: gate, polling: o.Polling, timeout: o.Timeout, tls: o.TLS}))
	if err != nil {
		gate.release()
		close(c.done)
		close(c.finished)
		return nil, &LostError{Reason: "bad address", Err: err}
	}
	c.sock = sock
	sock.On("connect", func(...any) { c.upOnce.Do(func() { close(c.up) }) })
	if e := sock.Io().Engine(); e != nil {
		e.On("close", func(args ...any) { c.fail(engineCloseError(args)) })
	}
	gate.release() // every listener is in place: the dial may start (opengate.go)
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	select {
	case <-c.up:
		return c, nil
	case <-c.done:
	case <-timer.C:
		c.fail(ErrTimeout)
	case <-ctx.Done():
		c.fail(ctx.Err())
	}
	c.Close()
	return nil, c.Err()
}

func clientOptions(o DialOptions, tb *transportBuilder) csock.OptionsInterface {
	opts := csock.DefaultOptions()
	opts.SetTransports(types.NewSet[engine.TransportCtor](tb))
	opts.SetForceNew(true)
	opts.SetReconnection(false)            // Confab decides when to try again, with a fresh token
	opts.SetUpgrade(false)                 // one transport: no probe (docs/pitfalls.md 29)
	opts.SetTimeout(libraryConnectTimeout) // connecttimer.go
	auth := map[string]any{}
	for k, v := range o.Auth {
		auth[k] = v
	}
	opts.SetAuth(auth)
	if o.Query != nil {
		opts.SetQuery(o.Query)
	}
	if o.TLS != nil {
		opts.SetTLSClientConfig(o.TLS)
	}
	if len(o.Header) > 0 {
		opts.SetExtraHeaders(o.Header)
	}
	return opts
}

// engineCloseError reads the engine's "close" event (reason, error-or-nil),
// whatever it carries.
func engineCloseError(args []any) error {
	reason := "transport close"
	var cause error
	if len(args) > 0 {
		if s, ok := args[0].(string); ok && s != "" {
			reason = s
		}
	}
	if len(args) > 1 {
		cause, _ = args[1].(error)
	}
	return &LostError{Reason: reason, Err: cause}
}

// Events delivers the server's events in the order they arrived. It is
// closed once the connection has ended and every event before the end was
// delivered.
func (c *Conn) Events() <-chan Event { return c.events }

// Done is closed when the connection ends (queued events may remain).
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why the connection ended: ErrClosed after Close,
// ErrServerDisconnect, ErrTooManyEvents, or a *LostError. Nil while it lives.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Call emits an event with one payload and waits for its acknowledgement's
// arguments.
func (c *Conn) Call(ctx context.Context, event string, payload any) ([]any, error) {
	res := make(chan []any, 1)
	ack := func(args []any, _ error) {
		select {
		case res <- args:
		default:
		}
	}
	if err := c.emit(event, payload, ack); err != nil {
		return nil, err
	}
	select {
	case args := <-res:
		if args == nil { // the library gave up on it: the socket closed
			return nil, c.endError()
		}
		return args, nil
	case <-c.done:
		return nil, c.endError()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Emit sends an event with one payload and no acknowledgement.
func (c *Conn) Emit(event string, payload any) error { return c.emit(event, payload) }

func (c *Conn) emit(event string, args ...any) (err error) {
	select {
	case <-c.done:
		return c.endError()
	default:
	}
	defer func() {
		// Pitfall 27: Emit's check of an expired ping deadline can panic
		// (pingexpiry.go).
		if p := recover(); p != nil {
			lost := &LostError{Reason: "ping timeout", Err: fmt.Errorf("%v", p)}
			c.fail(lost)
			err = lost
		}
	}()
	return c.sock.Emit(event, args...)
}

func (c *Conn) endError() error {
	if err := c.Err(); err != nil {
		return err
	}
	return &LostError{Reason: "transport close"}
}

// Close ends the connection and returns once the library has let go of it:
// its transport is closed and nothing of it reaches the network any more.
// Safe to call at any moment, more than once.
func (c *Conn) Close() {
	c.fail(ErrClosed)
	<-c.finished
}

// fail ends the connection with err (the first reason wins) and tears the
// library's side down in the background: it may be called from the
// library's own goroutines, which teardown waits for.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	close(c.done)
	c.mu.Unlock()
	go c.teardown()
}

// teardown stops every packet on its way into the library, closes the
// library's socket, makes sure its transport closes (drain.go,
// halfclose.go) and then closes Events.
func (c *Conn) teardown() {
	defer close(c.finished)
	defer close(c.events)
	if c.sock == nil {
		return
	}
	if tr := c.transport(); tr != nil {
		tr.block()      // closepanic.go: the library sees nothing more from the network
		defer tr.shut() // halfclose.go
	}
	// closepanic.go makes a panic here unreachable; should the library still
	// find one, it must not take the app down.
	defer func() { _ = recover() }()
	c.sock.Close()
	finishEngineClose(c.sock.Io().Engine()) // drain.go
}

func (c *Conn) setTransport(t *clientTransport) {
	c.mu.Lock()
	c.tr = t
	c.mu.Unlock()
}

func (c *Conn) transport() *clientTransport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tr
}

// queue hands an event to the reader; a reader too far behind costs the
// connection, not memory.
func (c *Conn) queue(e Event) {
	select {
	case c.events <- e:
	default:
		c.fail(ErrTooManyEvents)
	}
}
