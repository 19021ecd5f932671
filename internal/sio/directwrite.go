package sio

import (
	"github.com/zishang520/engine.io/v2/engine"
)

// Every delivery through the engine (server, docs/pitfalls.md 39): a
// broadcast is encoded once (broadcast.go), but each of its deliveries
// still went through the engine socket's Write: a packet object, the
// "packetCreate", "flush" and "drain" events through the library's event
// emitter (each a lookup in its listener map, on the socket and the
// server), the engine's write buffer, and the transport's send. At 500
// sockets and 32 senders x 20 msg/s that was about a quarter of the
// server's CPU, more than the frame's own write.
//
// A broadcast's frame is queued straight into each websocket's coalescer
// (coalesce.go) when nothing of the socket waits in the engine: our send
// (batchloss.go) queues a batch in the coalescer before the engine's write
// returns, so a packet written to the engine socket earlier, by this
// goroutine or one it waited for, is already queued, and per-socket order
// holds. Otherwise (a packet still in the engine's buffer, a socket not
// open, a long-polling socket, a websocket upgraded from polling until the
// engine says "upgrade") the frame goes the engine's way, behind the
// packets waiting there. The engine's buffer is read from the backlog
// counter (outbound.go), which counts a packet from its creation until
// the engine hands it to the transport, and a batch being handed over
// (between the engine's "flush" and "drain" events) counts too: after an
// upgrade the engine sends what waited for it in one batch, and a frame
// queued meanwhile came between that batch's packets, ahead of a writer's
// earlier ones (TestOrderAcrossTheUpgrade). A direct frame counts in the
// socket's backlog like any other (MaxOutbound, slow_reader); pings,
// acknowledgements and emits keep the engine's path.

// writeDirect queues a broadcast's frame for one socket, unless the engine
// must: false means the caller writes it through the engine.
func (s *Server) writeDirect(conn engine.Socket, t *coalescingTransport, out *outbound, frame []byte) bool {
	if s.opts.noDirectWrite || out == nil || out.co.Load() != t.co ||
		out.queued.Load() != 0 || out.sends.Load() != 0 || conn.ReadyState() != "open" {
		return false
	}
	s.stats.packets.Add(1)
	if t.co.writeFrame(true, nil, frame) != nil {
		return true // the connection failed: its socket is ending
	}
	if w := out.waiting(); w > s.opts.MaxOutbound && !out.cut.Swap(true) {
		s.cutOff(conn, w)
	}
	return true
}
