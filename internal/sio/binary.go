package sio

import (
	"errors"
	"strings"

	"github.com/zishang520/engine.io/v2/types"
)

// Pitfall 36 (server): a BINARY_EVENT or BINARY_ACK header declares how
// many binary attachments follow ("451000000-[...]"), and the decoder keeps
// every binary message it receives until that many have come, with no
// limit on their number or bytes: one client (signed in or not: decoding
// comes before the namespace's CONNECT) sending 60 KiB binary frames grew
// the heap by 990 MB in 10 s, and the connection stayed open. Confab's
// protocol has no binary data, so the decoder refuses binary packets and
// binary messages as a protocol error: that connection closes before
// anything is kept.

var errBinaryPacket = errors.New("binary packets are not part of the protocol")

// binaryPacket reports whether data is a binary message or the text header
// of a binary packet (type 5 or 6).
func binaryPacket(data any) bool {
	var first byte
	switch d := data.(type) {
	case string:
		if d == "" {
			return false
		}
		first = d[0]
	case *types.StringBuffer:
		b := d.Bytes()
		if len(b) == 0 {
			return false
		}
		first = b[0]
	case *strings.Reader:
		c, err := d.ReadByte()
		if err != nil {
			return false
		}
		d.UnreadByte() //nolint:errcheck // the byte was just read
		first = c
	default:
		return true // []byte, an io.Reader: the attachments themselves
	}
	return first == '5' || first == '6'
}
