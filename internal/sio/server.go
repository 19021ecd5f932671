package sio

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"

	"confab/internal/loglimit"
)

// Server-side defaults.
const (
	DefaultPath       = "/socket.io/"
	DefaultMaxPayload = 64 << 10 // bytes per websocket frame or polling body
	// DefaultPingInterval and DefaultPingTimeout: the server pings every
	// interval and drops a socket that has not answered within the timeout;
	// a client drops a connection that sent no ping for interval + timeout.
	// So a frozen server, a dead network or a vanished client is noticed
	// within 15 s, for two small frames per idle socket every 10 s.
	DefaultPingInterval = 10 * time.Second
	DefaultPingTimeout  = 5 * time.Second
)

// Options configure a Server; the zero value of a field means its default.
type Options struct {
	Path         string
	MaxPayload   int64
	PingInterval time.Duration
	PingTimeout  time.Duration
	// Origins lists the browser origins besides the server's own that may
	// open sockets; "*" allows any. Clients that send no Origin are allowed.
	Origins []string
	// MaxOutbound is the bytes that may wait to be sent to one socket
	// (outbound.go); a socket over it is cut off.
	MaxOutbound int64
	// MaxSessionsPerAddr is how many Engine.IO sessions one address may
	// hold at once (sessions.go); more handshakes are answered 429.
	MaxSessionsPerAddr int
	// ClientAddr is the address of the client that sent a request, the key
	// of MaxSessionsPerAddr and the "remote" of log lines (default: the
	// peer's host). Package server answers it behind a trusted proxy from
	// X-Forwarded-For (package clientaddr); this package reads no header.
	ClientAddr func(r *http.Request) string
	// SessionPrefix, when set, begins every Engine.IO session id this
	// server hands out, so that a load balancer can route a session's
	// requests to it (sidprefix.go); SessionPrefixOf makes one of a node id.
	SessionPrefix string
	Logger        *slog.Logger

	noBatchLossFix   bool                          // tests only: batchloss.go
	noCoalesce       bool                          // tests only: coalesce.go
	flushHook        func(pieces int, bytes int64) // tests only: runs before each flush
	sendHook         func(p *packet.Packet)        // tests only: sees each packet our send writes (batchloss.go)
	libraryBroadcast bool                          // tests only: the library's broadcast (broadcast.go)
	noDirectWrite    bool                          // tests only: broadcasts through the engine (directwrite.go)
	claimHook        func(sock engine.Socket)      // tests only: runs before a session claims its place (sessions.go)
}

func (o Options) withDefaults() Options {
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = DefaultPingTimeout
	}
	if o.MaxOutbound <= 0 {
		o.MaxOutbound = DefaultMaxOutbound
	}
	if o.MaxSessionsPerAddr <= 0 {
		o.MaxSessionsPerAddr = DefaultMaxSessionsPerAddr
	}
	if o.ClientAddr == nil {
		o.ClientAddr = peerAddr
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.SessionPrefix = SessionPrefixOf(o.SessionPrefix)
	return o
}

// Handler is the application behind a Server. Its methods are called for
// one socket at a time in this order: Connect, then (if it admitted the
// socket) Connected, Event for each event in the order the client sent
// them, and Disconnected.
type Handler interface {
	// Connect decides on a handshake before the client learns the outcome:
	// a non-nil error refuses it (a *RefusedError chooses the message and
	// reason the client sees). It may Join rooms and SetValue.
	Connect(s *Socket) error
	// Connected runs once the socket is registered and may receive events.
	Connected(s *Socket)
	// Event handles one event; a non-nil reply is sent as its
	// acknowledgement when the client asked for one. A *Deferred reply
	// (Socket.Defer) is sent when its Reply is called, perhaps after Event
	// returned and later events of the socket ran (deferred.go).
	Event(s *Socket, name string, args []any) (reply any)
	// Disconnected runs once, when the socket is gone.
	Disconnected(s *Socket, reason string)
}

// Server is a Socket.IO endpoint (protocol v5, Engine.IO v4, namespace "/")
// as an http.Handler. Mount it at Options.Path.
type Server struct {
	opts   Options
	h      Handler
	io     *socket.Server
	engine http.Handler

	limited  *loglimit.Logger // lines a client can cause, at most one per kind per interval
	outbound sync.Map         // engine.Socket -> *outbound (outbound.go)
	sessions sessionCount     // by address (sessions.go)
	flushes  *flushStats      // coalesce.go
	stats    serverStats      // stats.go

	closing atomic.Bool
	mu      sync.Mutex
	conns   map[*hijacked]struct{} // websocket connections (hijack.go)
}

// NewServer builds a Server for h.
func NewServer(o Options, h Handler) *Server {
	s := &Server{opts: o.withDefaults(), h: h, conns: map[*hijacked]struct{}{}, flushes: &flushStats{}}
	s.limited = loglimit.New(s.opts.Logger, 0)
	opts := socket.DefaultServerOptions()
	opts.SetPath(strings.TrimSuffix(s.opts.Path, "/"))
	opts.SetServeClient(false)
	opts.SetParser(guardParser{inner: parser.NewParser()})
	opts.SetMaxHttpBufferSize(s.opts.MaxPayload)
	opts.SetPingInterval(s.opts.PingInterval)
	opts.SetPingTimeout(s.opts.PingTimeout)
	avoidBatchLoss(opts, s.opts) // batchloss.go
	opts.SetCors(&types.Cors{Origin: corsOrigins(s.opts.Origins), Credentials: true})
	s.io = socket.NewServer(nil, opts)
	s.engine = s.io.ServeHandler(nil)
	s.io.Use(s.handshake)
	s.io.On("connection", s.onConnection)
	// After Socket.IO's own listener; the queue is counted before the read
	// gate lets the client's CONNECT in.
	s.io.Engine().On("connection", s.trackOutbound)      // outbound.go
	s.io.Engine().On("connection", s.onEngineConnection) // readgate.go
	s.io.Engine().On("connection", s.claimSession)       // sessions.go
	return s
}

// ServeHTTP serves the Socket.IO path, with the checks the library lacks.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		http.Error(w, "server shutting down", http.StatusServiceUnavailable)
		return
	}
	if !s.originAllowed(w, r) || !s.capBody(w, r) { // origin.go, pollbody.go
		return
	}
	r = s.withSessionPrefix(r)          // sidprefix.go
	r, done, ok := s.admitSession(w, r) // sessions.go
	if !ok {
		return
	}
	defer done()
	if hw, hr := s.hijackable(w, r); hr != r { // hijack.go
		w, r = hw, hr
	} else {
		g := guardLateWrites(w) // latewrite.go
		defer g.end()
		w = s.withCORSFix(g) // cors.go
	}
	s.engine.ServeHTTP(w, r)
}

// Broadcast sends an event to every socket.
func (s *Server) Broadcast(event string, data any) {
	if s.opts.libraryBroadcast {
		s.io.Emit(event, data) //nolint:errcheck // only a reserved name fails
		return
	}
	s.broadcast("", "", event, data) // broadcast.go
}

// Closing reports whether Shutdown has begun.
func (s *Server) Closing() bool { return s.closing.Load() }

// handshake is the namespace middleware: Handler.Connect decides.
func (s *Server) handshake(sock *socket.Socket, next func(*socket.ExtendedError)) {
	so := newSocket(s, sock)
	if err := s.h.Connect(so); err != nil {
		so.hold.release() // refused: nothing to wait for (connecthold.go)
		next(refusalError(err))
		return
	}
	// Registered before the client learns it is connected, so its first
	// event is already routed (ordering.go).
	sock.Use(so.route)
	sock.SetData(so)
	next(nil)
}

func (s *Server) onConnection(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(*socket.Socket)
	if !ok {
		return
	}
	so, ok := sock.Data().(*Socket)
	if !ok {
		sock.Disconnect(true)
		return
	}
	sock.On("disconnect", func(reason ...any) {
		why := ""
		if len(reason) > 0 {
			why, _ = reason[0].(string)
		}
		so.gone(why)
	})
	s.stats.sockets.Add(1)
	s.h.Connected(so)
	close(so.connected)
	// The socket is registered, and the handler knows it: its first event
	// may go (connecthold.go). Released earlier, an event raced Connected
	// (a users list that did not count the asker online).
	so.hold.release()
	s.closedMeanwhile(so) // lateclose.go
}

// refusalError builds the connect_error: pitfall 7, the Go client rejects
// one without a data object, so it always carries {"reason"}.
func refusalError(err error) *socket.ExtendedError {
	if r, ok := err.(*RefusedError); ok {
		return socket.NewExtendedError(r.Message, map[string]any{"reason": r.Reason})
	}
	return socket.NewExtendedError(err.Error(), map[string]any{"reason": err.Error()})
}

func (s *Server) logPanic(what string, p any) {
	s.opts.Logger.Error("socket handler panic", "in", what, "panic", fmt.Sprint(p))
}
