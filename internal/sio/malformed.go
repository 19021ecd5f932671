package sio

import (
	"errors"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// Pitfall 2 (server): an EVENT or ACK packet without a data array (the
// frame "431") reaches an unchecked type assertion (socket.go:554/589) in a
// goroutine without recover, and the whole process dies. The decoder
// refuses such packets, and events whose name is not a string, as a
// protocol error: that one connection closes.

var errMalformedPacket = errors.New("malformed packet: event or ack without a data array")

func malformed(p *parser.Packet) bool {
	switch p.Type {
	case parser.EVENT, parser.BINARY_EVENT:
		data, ok := p.Data.([]any)
		if !ok || len(data) == 0 {
			return true
		}
		_, named := data[0].(string)
		return !named
	case parser.ACK, parser.BINARY_ACK:
		_, ok := p.Data.([]any)
		return !ok
	}
	return false
}
