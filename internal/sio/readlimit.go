package sio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
)

// No read limit (client, docs/pitfalls.md 28): the library's websocket
// read loop reads each message whole into memory with no limit, and its
// dialer offers per-message deflate. A server that declares a 4 GiB frame
// and streams it grew the heap by 1.5 GB; a deflate bomb of 764 KB grew it
// by 2.4 GB. The gorilla connection that could be given a limit is private
// to the transport and read by its own goroutine from the start.
//
// So compression is not offered (dialhooks.go: a compressed frame is then
// a protocol error), and the connection under the websocket counts what it
// reads: it follows the frame headers of the server's stream and fails the
// read as soon as a message declares more than MaxMessageBytes, before
// its payload is read.

// MaxMessageBytes is the largest message a client accepts from a server.
const MaxMessageBytes = 8 << 20

var errMessageTooLarge = fmt.Errorf("server message larger than %d bytes", MaxMessageBytes)

// limitedConn is a client's connection, read through frameLimit.
type limitedConn struct {
	net.Conn
	limit frameLimit
}

func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if lerr := c.limit.scan(p[:n]); lerr != nil {
		c.Conn.Close()
		return 0, lerr
	}
	return n, err
}

// frameLimit follows a server's websocket stream: first the HTTP response,
// then frames (RFC 6455 5.2). It keeps the size of the message being read.
type frameLimit struct {
	max      int64
	inHTTP   bool   // still reading the upgrade response
	tail     []byte // of the response: its end may span reads
	hdr      []byte // a frame header being read
	skip     int64  // payload bytes (and masking key) left of the current frame
	msgBytes int64  // bytes declared by the frames of the current message
}

func newFrameLimit(max int64) frameLimit { return frameLimit{max: max, inHTTP: true} }

func (l *frameLimit) scan(p []byte) error {
	for len(p) > 0 {
		switch {
		case l.inHTTP:
			p = l.scanHTTP(p)
		case l.skip > 0:
			n := min(int64(len(p)), l.skip)
			l.skip -= n
			p = p[n:]
		default:
			l.hdr = append(l.hdr, p[0])
			p = p[1:]
			if err := l.header(); err != nil {
				return err
			}
		}
	}
	return nil
}

// scanHTTP consumes the upgrade response up to its blank line.
func (l *frameLimit) scanHTTP(p []byte) []byte {
	l.tail = append(l.tail, p...)
	i := bytes.Index(l.tail, []byte("\r\n\r\n"))
	if i < 0 {
		l.tail = l.tail[max(0, len(l.tail)-3):]
		return nil
	}
	rest := l.tail[i+4:]
	l.inHTTP, l.tail = false, nil
	return rest
}

// header acts once l.hdr holds a whole frame header.
func (l *frameLimit) header() error {
	if len(l.hdr) < 2 {
		return nil
	}
	need := 2
	switch l.hdr[1] & 0x7f {
	case 126:
		need += 2
	case 127:
		need += 8
	}
	if len(l.hdr) < need {
		return nil
	}
	size := int64(l.hdr[1] & 0x7f)
	switch need {
	case 4:
		size = int64(binary.BigEndian.Uint16(l.hdr[2:4]))
	case 10:
		u := binary.BigEndian.Uint64(l.hdr[2:10])
		if u > uint64(l.max) {
			return errMessageTooLarge
		}
		size = int64(u)
	}
	opcode, fin := l.hdr[0]&0x0f, l.hdr[0]&0x80 != 0
	if opcode < 0x8 { // data frames make up messages; control frames are small
		if opcode != 0 {
			l.msgBytes = 0
		}
		l.msgBytes += size
		if l.msgBytes > l.max {
			return errMessageTooLarge
		}
		if fin {
			l.msgBytes = 0
		}
	}
	if l.hdr[1]&0x80 != 0 { // a masking key follows (servers must not mask)
		size += 4
	}
	l.skip, l.hdr = size, l.hdr[:0]
	return nil
}
