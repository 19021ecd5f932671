package sio

import (
	"errors"
	"net"

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

// maxFlushBytes is the most one write of a backlog carries; a backlog
// beyond it is written in several.
const maxFlushBytes = 64 << 10

// sendLoop is the websocket connection our send writes on.
type sendLoop struct {
	wsc *types.WebSocketConn // where write errors are reported, as the library does
}

// Send is the transport's. It only queues the batch in the coalescer,
// which writes it in a goroutine of its own, so it runs in the caller, under
// the engine's flush lock, and the transport stays writable: a packet
// written to the engine socket is queued for the connection, in order,
// before the write returns, unless the engine holds it (directwrite.go
// relies on it). "drain" runs the engine's callbacks of the batch; "ready"
// is not emitted: the engine's flush, which it starts, is the caller.
func (t *coalescingTransport) Send(packets []*packet.Packet) {
	prefixOpen(packets, t.sidPrefix) // sidprefix.go
	if t.libSend {
		t.sendThroughLibrary(packets)
		return
	}
	t.send(packets)
	t.Emit("drain")
}

func (t *coalescingTransport) send(packets []*packet.Packet) {
	if t.h.out.Load().dropped() {
		return // being dropped (outbound.go): nothing is encoded
	}
	t.co.begin()
	var err error
	for _, p := range packets {
		if err = t.writePacket(p); err != nil {
			break
		}
	}
	if e := t.co.end(); err == nil {
		err = e
	}
	if err != nil && t.loop.wsc != nil && !errors.Is(err, net.ErrClosed) {
		// A failed flush closed the connection already: its read loop
		// ends the socket. Only an encoding error is reported here.
		if !errors.Is(err, errFlushStalled) && !isNetError(err) {
			t.loop.wsc.Emit("error", err)
		}
	}
}

// isNetError tells a connection's failure from an encoding error.
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed)
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
