package sio

import (
	"sync/atomic"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/engine"
)

// Unbounded outbound queue (server, docs/pitfalls.md 31): the engine queues
// what it writes to a socket without limit while the socket's transport is
// busy (a websocket whose client stopped reading) or waiting (a polling
// client that does not poll). A signed-in client that stopped reading and
// asked for history pages grew the server by 2.7 GB in 30 s, and stayed
// connected: its pongs kept arriving.
//
// Every packet the engine creates for a socket is counted in bytes, and
// uncounted when the engine hands it to the transport; a websocket's queue
// is then counted by the coalescer (coalesce.go) until it is written, and
// so is a broadcast's frame queued there directly (directwrite.go). A
// socket whose engine queue and coalescer together go over
// Options.MaxOutbound is dropped at once (its queue is freed with it): one
// log line with reason slow_reader, a count in Stats, and the handler's
// Disconnected says ReasonOutboundFull. Nothing more is encoded for it:
// Socket.Emit skips it and its transport discards the batches it is handed.

// DefaultMaxOutbound is the bytes that may wait to be sent to one socket.
const DefaultMaxOutbound = 4 << 20

// ReasonOutboundFull is the disconnect reason of a socket cut off because
// it did not read what it was sent.
const ReasonOutboundFull = "outbound queue full"

type outbound struct {
	queued atomic.Int64              // in the engine's buffer
	sends  atomic.Int32              // engine batches between "flush" and "drain": being handed to the transport (directwrite.go)
	co     atomic.Pointer[coalescer] // a websocket's queue; nil over polling, until an upgrade
	cut    atomic.Bool
}

// waiting is what the socket has not been sent yet, in bytes.
func (o *outbound) waiting() int64 {
	n := o.queued.Load()
	if co := o.co.Load(); co != nil {
		n += co.queued.Load()
	}
	return n
}

// dropped reports whether the socket is being dropped: nothing more is
// encoded for it.
func (o *outbound) dropped() bool { return o != nil && o.cut.Load() }

// trackOutbound counts a new engine socket's queue; it listens to the
// engine's "connection", before Socket.IO sends anything but the open
// packet.
func (s *Server) trackOutbound(args ...any) {
	if len(args) == 0 {
		return
	}
	sock, ok := args[0].(engine.Socket)
	if !ok {
		return
	}
	o := &outbound{}
	if r := sock.Request(); r != nil {
		if h := hijackedOf(r.Request()); h != nil {
			if conn, _ := h.parts(); conn != nil {
				o.co.Store(conn.co)
			}
			h.out.Store(o)
		}
	}
	s.outbound.Store(sock, o)
	sock.On("packetCreate", func(args ...any) {
		if len(args) == 0 {
			return
		}
		p, _ := args[0].(*packet.Packet)
		if p != nil && p.Type == packet.MESSAGE {
			s.stats.packets.Add(1)
		}
		o.queued.Add(packetSize(p))
		if w := o.waiting(); w > s.opts.MaxOutbound && !o.cut.Swap(true) {
			s.cutOff(sock, w)
		}
	})
	sock.On("flush", func(args ...any) {
		if len(args) == 0 {
			return
		}
		batch, _ := args[0].([]*packet.Packet)
		var n int64
		for _, p := range batch {
			n += packetSize(p)
		}
		o.sends.Add(1)
		o.queued.Add(-n)
	})
	sock.On("drain", func(...any) { o.sends.Add(-1) })
	sock.On("upgrade", func(args ...any) {
		// From polling: the websocket's queue counts from now on.
		if len(args) > 0 {
			if t, ok := args[0].(*coalescingTransport); ok && t.co != nil {
				o.co.Store(t.co)
				t.h.out.Store(o) // so a cut stops its encoding too
			}
		}
	})
	sock.Once("close", func(...any) { s.outbound.Delete(sock) })
}

// DropSlowReader is the drop reason (log and Stats) of a socket whose
// backlog passed MaxOutbound.
const DropSlowReader = "slow_reader"

// cutOff closes a socket that does not read. It runs inside the engine's
// send path, so the close is left to another goroutine.
func (s *Server) cutOff(sock engine.Socket, queued int64) {
	s.stats.drop(DropSlowReader)
	s.limited.Warn("socket dropped: it does not read what it is sent", "reason", DropSlowReader,
		"queued_bytes", queued, "limit", s.opts.MaxOutbound, "remote", s.engineAddr(sock))
	go sock.Close(true)
}

// outboundOf finds an engine socket's counter; nil if it has none.
func (s *Server) outboundOf(sock engine.Socket) *outbound {
	if v, ok := s.outbound.Load(sock); ok {
		return v.(*outbound)
	}
	return nil
}

// packetSize is a packet's payload in bytes; the engine's own framing is a
// few bytes more.
func packetSize(p *packet.Packet) int64 {
	if p == nil || p.Data == nil {
		return 1
	}
	if l, ok := p.Data.(interface{ Len() int }); ok {
		return int64(l.Len()) + 1
	}
	return 1
}
