package sio

import (
	"sync/atomic"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
)

// Close frames (server, docs/pitfalls.md 25): when a client closes its
// websocket (a Close frame, or its end of the TCP connection), the
// websocket transport marks itself closed as its read loop ends, and the
// engine's later Close of that transport then does nothing: the server
// never closes the connection. A client closing cleanly waits for its own
// timeout (about 30 s with the Node client), and the server keeps the file
// descriptor meanwhile.
//
// The library builds its transports from a package-level table; the
// websocket entry is replaced by one that builds the same transport and,
// when the websocket ends, closes its connection. It also lets shutdown.go
// reach the websocket to say goodbye.

func init() {
	transports.Transports()[transports.WEBSOCKET] = &closingWebSocket{}
}

// closingWebSocket is the library's builder, with its New wrapped.
type closingWebSocket struct{ transports.WebSocketBuilder }

// libraryWebSocket makes New build the library's transport as it is
// (tests only: the canaries).
var libraryWebSocket atomic.Bool

func (*closingWebSocket) New(ctx *types.HttpContext) transports.Transport {
	if libraryWebSocket.Load() {
		return (&transports.WebSocketBuilder{}).New(ctx)
	}
	var co *coalescer
	var h *hijacked
	wsc := ctx.Websocket
	if wsc != nil && wsc.Conn != nil {
		if h = hijackedOf(ctx.Request()); h != nil {
			h.setWebSocket(wsc.Conn)
			if conn, _ := h.parts(); conn != nil {
				co = conn.co
			}
		}
		// The read loop, which the transport starts, emits "close" on a
		// Close frame (after the default handler has answered it) or at the
		// end of the connection.
		wsc.On("close", func(...any) { wsc.Conn.Close() })
	}
	t := (&transports.WebSocketBuilder{}).New(ctx)
	if co != nil {
		c := coalesce(t, co, h, wsc, h.srv.opts.noBatchLossFix) // coalesce.go, batchloss.go
		c.sidPrefix = sidPrefixOf(ctx)                          // sidprefix.go
		return c
	}
	if prefix := sidPrefixOf(ctx); prefix != "" {
		return &prefixedTransport{Transport: t, prefix: prefix} // sidprefix.go
	}
	return t
}
