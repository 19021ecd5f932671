package sio

import (
	"github.com/zishang520/engine.io-go-parser/packet"
	eiotypes "github.com/zishang520/engine.io-go-parser/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

// A broadcast copied for every socket (server, docs/pitfalls.md 38): the
// library's broadcast encodes a packet once, then Client.WriteToEngine
// hands every socket its own Clone of the encoded bytes. Our websocket
// send (batchloss.go) writes the broadcast's pre-encoded frame and never
// reads that copy: at 500 sockets it was one allocation and copy per
// delivery for nothing, and it is what a socket's backlog holds while it
// waits (a 4 MiB backlog was 4 MiB of copies).
//
// Broadcasts are built here instead: encoded once, then written to each
// socket's engine socket, in the library's adapter's order, with the
// encoded bytes shared by every socket whose transport is our websocket
// send; a long-polling socket, whose transport reads its packet's data,
// gets its own copy as before. A socket being dropped as a slow reader
// (outbound.go) is skipped: nothing is queued for it.

// broadcast sends event to the sockets in room ("" for every socket) but
// except (a socket id, "" for none).
func (s *Server) broadcast(room, except string, event string, data any) {
	nsp := s.io.Sockets()
	p := &parser.Packet{Type: parser.EVENT, Nsp: nsp.Name(), Data: []any{event, data}}
	encoded := s.io.Encoder().Encode(p)
	if len(encoded) != 1 {
		// Binary attachments (Confab sends none): the library's way.
		op := nsp.Except(socket.Room(except))
		if room != "" {
			op = op.To(socket.Room(room))
		}
		op.Emit(event, data) //nolint:errcheck // only a reserved name fails
		return
	}
	body := encoded[0]
	frame := eiotypes.NewStringBufferString("4")
	frame.Write(body.Bytes()) //nolint:errcheck // a bytes.Buffer's write
	// No flags, like the library's broadcast.
	opts := &packet.Options{WsPreEncodedFrame: frame}
	send := func(id socket.SocketId) {
		if string(id) == except {
			return
		}
		sock, ok := nsp.Sockets().Load(id)
		if !ok {
			return
		}
		conn := sock.Conn()
		out, ok := socketOutbound(sock)
		if !ok {
			out = s.outboundOf(conn)
		}
		if out.dropped() {
			return
		}
		if t, ok := conn.Transport().(*coalescingTransport); ok && !t.libSend {
			if s.writeDirect(conn, t, out, frame.Bytes()) { // directwrite.go
				return
			}
			conn.Write(body, opts, nil) // shared: our send reads only the frame
		} else {
			conn.Write(body.Clone(), opts, nil)
		}
	}
	adapter := nsp.Adapter()
	if room == "" {
		nsp.Sockets().Range(func(id socket.SocketId, _ *socket.Socket) bool {
			send(id)
			return true
		})
		return
	}
	if ids, ok := adapter.Rooms().Load(socket.Room(room)); ok {
		for _, id := range ids.Keys() {
			send(id)
		}
	}
}

// socketOutbound is the backlog counter our Socket keeps (a field, not
// the server's map: this runs once per delivery).
func socketOutbound(sock *socket.Socket) (*outbound, bool) {
	so, ok := sock.Data().(*Socket)
	if !ok || so.out == nil {
		return nil, false
	}
	return so.out, true
}
