package sio

import (
	"errors"
	"net"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
	eiotypes "github.com/zishang520/engine.io-go-parser/types"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// Pitfall 1 (server): a websocket write batch stops after the first
// pre-encoded (broadcast) frame (transports/websocket.go:146-170 returns
// instead of continuing): every packet queued behind it is lost. The branch
// runs only without per-message deflate, which was therefore configured;
// the price was a re-encode of every broadcast for every socket (the
// pre-encoded frame was never used).
//
// The websocket transport's Send is ours instead (coalescingTransport):
// each packet becomes one frame written straight into the connection's
// coalescer (coalesce.go), a broadcast's pre-encoded frame as it is, the
// same bytes for every socket, other packets encoded once. The library's
// send, and its faulty branch, never run, so deflate is off. The websocket
// library still writes the control frames (a Close answer, shutdown's
// goodbye), one write each; the coalescer takes writes whole, so frames
// never interleave.
//
// Where the library's own send still runs (tests and the benchmark without
// the coalescer), deflate is configured as before.

// DeflateThreshold is the smallest frame compressed where the library's
// own websocket send runs.
const DeflateThreshold = 1024

func avoidBatchLoss(opts socket.ServerOptionsInterface, o Options) {
	if o.noCoalesce && !o.noBatchLossFix {
		opts.SetPerMessageDeflate(&types.PerMessageDeflate{Threshold: DeflateThreshold})
	}
}

// maxFlushBytes is the most one write of a batch carries; a batch beyond
// it is written in several.
const maxFlushBytes = 64 << 10

// sendLoop writes a transport's batches; one batch at a time, like the
// library's send, which it replaces.
type sendLoop struct {
	mu  sync.Mutex
	wsc *types.WebSocketConn // where write errors are reported, as the library does
}

// Send is the transport's: not writable until the batch is on the wire
// (or failed), then "drain" and "ready", as the library's.
func (t *coalescingTransport) Send(packets []*packet.Packet) {
	prefixOpen(packets, t.sidPrefix) // sidprefix.go
	if t.libSend {
		t.sendThroughLibrary(packets)
		return
	}
	t.SetWritable(false)
	go t.send(packets)
}

func (t *coalescingTransport) send(packets []*packet.Packet) {
	defer func() {
		t.Emit("drain")
		t.SetWritable(true)
		t.Emit("ready")
	}()
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	if t.h.out.Load().dropped() {
		return // being dropped (outbound.go): nothing is encoded
	}
	t.co.begin()
	var err error
	for _, p := range packets {
		if err = t.writePacket(p); err != nil {
			break
		}
		if t.co.queued.Load() >= maxFlushBytes {
			// A long batch (a backlog) goes out in slices: what waits
			// stays in the engine's packets, shared with the other
			// sockets, not copied into this connection's buffers.
			if err = t.co.end(); err != nil {
				break
			}
			t.co.begin()
		}
	}
	if e := t.co.end(); err == nil {
		err = e
	}
	if err != nil && t.loop.wsc != nil {
		if errors.Is(err, net.ErrClosed) {
			t.loop.wsc.Emit("close")
		} else {
			t.loop.wsc.Emit("error", err)
		}
	}
}

// writePacket queues one packet as one frame.
func (t *coalescingTransport) writePacket(p *packet.Packet) error {
	if hook := t.h.srv.opts.sendHook; hook != nil {
		hook(p)
	}
	if p.Options != nil && p.Options.WsPreEncodedFrame != nil {
		f := p.Options.WsPreEncodedFrame
		_, text := f.(*eiotypes.StringBuffer)
		return t.co.writeFrame(text, nil, f.Bytes())
	}
	if sb, ok := p.Data.(*eiotypes.StringBuffer); ok && p.Type == packet.MESSAGE {
		return t.co.writeFrame(true, messagePrefix, sb.Bytes())
	}
	data, err := t.Parser().EncodePacket(p, t.SupportsBinary())
	if err != nil {
		return err
	}
	_, text := data.(*eiotypes.StringBuffer)
	return t.co.writeFrame(text, nil, data.Bytes())
}

// messagePrefix is Engine.IO's "message" packet type.
var messagePrefix = []byte{'4'}

// websocketOpcode is the frame's first byte: final, text or binary.
func websocketOpcode(text bool) byte {
	if text {
		return 0x80 | websocket.TextMessage
	}
	return 0x80 | websocket.BinaryMessage
}
