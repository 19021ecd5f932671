package sio

import (
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/zishang520/socket.io/v2/socket"
)

// Handshake is what a client presented when it connected. Pitfall 8: the
// library's fields are loosely typed (auth is any, headers canonical); this
// is the checked copy.
type Handshake struct {
	Auth    map[string]any // the CONNECT payload; empty when there was none
	Query   url.Values
	Header  http.Header
	Address string // the client's address (Options.ClientAddr of the request that opened the session)
}

// Socket is one client's socket on the server.
type Socket struct {
	srv   *Server
	sock  *socket.Socket
	hs    Handshake
	hold  *guardDecoder // connecthold.go
	out   *outbound     // outbound.go
	value any
	ended atomic.Bool
	// waited is how long the event being handled queued for its turn
	// (ordering.go), in nanoseconds.
	waited atomic.Int64

	connected chan struct{} // closed once Handler.Connected has returned
	goneOnce  sync.Once     // Handler.Disconnected runs once (lateclose.go)
}

func newSocket(s *Server, sock *socket.Socket) *Socket {
	h := sock.Handshake()
	so := &Socket{srv: s, sock: sock, out: s.outboundOf(sock.Conn()), connected: make(chan struct{})}
	so.hs.Auth, so.hold = takeConnectHold(h.Auth)
	so.hs.Query = url.Values(h.Query)
	so.hs.Header = http.Header(h.Headers)
	so.hs.Address = s.engineAddr(sock.Conn())
	return so
}

// ID is the socket's id.
func (so *Socket) ID() string { return string(so.sock.Id()) }

// Handshake is what the client presented.
func (so *Socket) Handshake() Handshake { return so.hs }

// SetValue attaches the application's state; call it in Handler.Connect.
func (so *Socket) SetValue(v any) { so.value = v }

// Value is what SetValue attached.
func (so *Socket) Value() any { return so.value }

// Join adds the socket to a room.
func (so *Socket) Join(room string) { so.sock.Join(socket.Room(room)) }

// Leave removes the socket from a room.
func (so *Socket) Leave(room string) { so.sock.Leave(socket.Room(room)) }

// In reports whether the socket is in a room.
func (so *Socket) In(room string) bool { return so.sock.Rooms().Has(socket.Room(room)) }

// RoomCount is how many rooms the socket is in, besides the one of its own
// id that the library puts every socket in.
func (so *Socket) RoomCount() int {
	rooms := so.sock.Rooms()
	if rooms.Has(socket.Room(so.sock.Id())) {
		return rooms.Len() - 1
	}
	return rooms.Len()
}

// Emit sends the socket an event. Pitfall 4: no emit flag is ever used
// (they are shared state of the library's socket).
func (so *Socket) Emit(event string, data any) {
	if so.out.dropped() { // outbound.go: not even encoded
		return
	}
	so.sock.Emit(event, data) //nolint:errcheck // only a reserved name fails
}

// ToRoom sends an event to every other socket in room.
func (so *Socket) ToRoom(room string, event string, data any) {
	if so.srv.opts.libraryBroadcast {
		so.sock.To(socket.Room(room)).Emit(event, data) //nolint:errcheck
		return
	}
	so.srv.broadcast(room, so.ID(), event, data) // broadcast.go
}

// ToRoom sends an event to every socket in room (from the server, not a
// socket: an upload over HTTP posts a message).
func (s *Server) ToRoom(room string, event string, data any) {
	s.io.To(socket.Room(room)).Emit(event, data) //nolint:errcheck // only a reserved name fails
}

// Ended reports whether the socket was kicked or is gone: its events are
// no longer handled.
func (so *Socket) Ended() bool { return so.ended.Load() }
