package sio

import (
	"bytes"
	"errors"
	"io"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// Every packet from the server passes here first, in the order the
// transport read it, before the library may see it. Two defects make this
// necessary:
//
//   - Pitfall 15 (client): the manager hands each decoded packet to its own
//     goroutine, so a server's events reach listeners in any order.
//   - Hostile or broken servers (docs/pitfalls.md, 23): the library asserts
//     packet shapes unchecked on goroutines without recover. An EVENT
//     without a data array (`42`, `421`) or an ACK whose data is not an
//     array crashes the process (socket.go onevent/onack), a second OPEN
//     re-runs the engine's handshake, and an engine CLOSE packet is
//     ignored.
//
// So the server's Socket.IO packets are decoded here, once: events go to
// Conn.Events in order and never enter the library; CONNECT and ACK, which
// the library's socket must see, are forwarded only with a valid shape;
// DISCONNECT and CONNECT_ERROR end the connection here. Anything else is a
// protocol error that ends the connection.

var errProtocol = errors.New("protocol error")

type inbound struct {
	conn    *Conn
	decoder parser.Decoder
	opened  bool
	last    *parser.Packet // set by the decoder's "decoded" listener during Add
}

func newInbound(c *Conn) *inbound {
	in := &inbound{conn: c, decoder: parser.NewParser().NewDecoder()}
	in.decoder.On("decoded", func(args ...any) {
		if len(args) > 0 {
			in.last, _ = args[0].(*parser.Packet)
		}
	})
	return in
}

// admit says whether the engine may see p; it runs on the transport's read
// loop, one packet at a time.
func (in *inbound) admit(p *packet.Packet) bool {
	switch p.Type {
	case packet.OPEN:
		if in.opened {
			return in.reject("second open packet")
		}
		in.opened = true
		data, ok := readAll(p)
		if !ok || checkOpen(data) != nil { // pingexpiry.go
			return in.reject("unusable open packet")
		}
		return true
	case packet.PING, packet.PONG, packet.NOOP, packet.ERROR:
		return true
	case packet.CLOSE:
		in.conn.fail(&LostError{Reason: "closed by the server"})
		return false
	case packet.MESSAGE:
		return in.message(p)
	}
	return in.reject("unexpected engine packet " + string(p.Type))
}

func (in *inbound) message(p *packet.Packet) bool {
	if _, binary := p.Data.(*types.BytesBuffer); binary || p.Data == nil {
		return in.reject("binary or empty message")
	}
	raw, ok := readAll(p)
	if !ok {
		return in.reject("unreadable message")
	}
	sp, err := in.decode(string(raw))
	if err != nil || sp.Nsp != "/" {
		return in.reject("undecodable packet")
	}
	switch sp.Type {
	case parser.CONNECT:
		m, _ := sp.Data.(map[string]any)
		if sid, _ := m["sid"].(string); sid == "" {
			return in.reject("connect without sid")
		}
		return true
	case parser.ACK:
		_, isArray := sp.Data.([]any)
		if !isArray || sp.Id == nil {
			return in.reject("ack without id or arguments")
		}
		return true
	case parser.EVENT:
		args, _ := sp.Data.([]any)
		name, _ := firstString(args)
		if name == "" {
			return in.reject("event without a name")
		}
		in.conn.queue(Event{Name: name, Args: args[1:]})
	case parser.CONNECT_ERROR:
		in.conn.fail(refusal(sp.Data))
	case parser.DISCONNECT:
		in.conn.fail(ErrServerDisconnect)
	default:
		return in.reject("binary packet")
	}
	return false
}

// readAll reads a packet's data and leaves the library a copy to read.
func readAll(p *packet.Packet) ([]byte, bool) {
	if p.Data == nil {
		return nil, false
	}
	var raw bytes.Buffer
	if _, err := io.Copy(&raw, p.Data); err != nil {
		return nil, false
	}
	p.Data = types.NewStringBuffer(raw.Bytes())
	return raw.Bytes(), true
}

// decode runs the Socket.IO decoder on one text frame.
func (in *inbound) decode(s string) (sp *parser.Packet, err error) {
	defer func() {
		if recover() != nil {
			sp, err = nil, errProtocol
		}
	}()
	in.last = nil
	if err := in.decoder.Add(s); err != nil {
		return nil, err
	}
	if in.last == nil { // a binary header waiting for attachments
		return nil, errProtocol
	}
	return in.last, nil
}

func (in *inbound) reject(why string) bool {
	in.conn.fail(&LostError{Reason: "protocol error", Err: errors.New(why)})
	return false
}

// refusal reads a connect_error: {"message", "data": {"reason"}} from
// Socket.IO v5 servers, a bare string from older ones.
func refusal(data any) *RefusedError {
	if s, ok := data.(string); ok {
		return &RefusedError{Message: s}
	}
	m, _ := data.(map[string]any)
	e := &RefusedError{}
	e.Message, _ = m["message"].(string)
	if d, ok := m["data"].(map[string]any); ok {
		e.Reason, _ = d["reason"].(string)
	}
	if e.Message == "" {
		e.Message = "connect_error"
	}
	return e
}

func firstString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}
