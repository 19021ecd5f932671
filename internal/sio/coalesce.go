package sio

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
)

// One write per frame (server, docs/pitfalls.md 34): the engine's websocket
// transport hands its batch of packets to the websocket library one message
// at a time, and the websocket library writes each frame to the connection
// as it is finished: one write system call (and over TLS one record) per
// frame. A broadcast to 500 sockets at 80 messages a second made 400k writes
// in 10 s; about 43% of the server's CPU was in write.
//
// The hijacked connection (hijack.go) queues what the websocket writes while
// the transport sends a batch (coalescingTransport.Send up to the
// transport's "drain") and writes it all at once when the batch ends: one
// writev of pooled chunks on a plain connection, one TLS write (one record
// per 16 KiB) over TLS. Nothing waits on a timer: a batch is flushed as soon
// as the transport has handed over its last frame, and writes outside a
// batch (control frames, the upgrade response, shutdown's goodbye) go out
// at once, behind whatever is queued. Order is the order of the writes.
//
// A flush that has not finished within FlushTimeout closes the connection
// (the client stopped reading); the error is kept and returned by every
// later write, and the closed connection ends the transport's read loop,
// so the socket ends at once. Close flushes what is queued within
// CloseFlushTimeout, then closes.

// FlushTimeout bounds one flush: a client that has not taken a batch
// within it is cut off.
const FlushTimeout = 10 * time.Second

// CloseFlushTimeout bounds the flush of what is queued when the
// connection is closed.
const CloseFlushTimeout = time.Second

// chunkSize is the size of the pooled buffers a batch is queued in: the
// largest TLS record, so every full chunk is one record.
const chunkSize = 16 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

var errFlushStalled = errors.New("write stalled: the client does not read")

// coalescer queues one connection's writes during a batch.
type coalescer struct {
	out    net.Conn // where flushes go: the connection, or the TCP connection under it
	closer net.Conn // closed when a flush fails
	vector bool     // out takes net.Buffers in one writev
	stall  time.Duration

	deadline atomic.Int64 // the websocket's write deadline (unix ns, 0: none)
	closeBy  atomic.Int64 // set by Close: no flush may outlast it
	queued   atomic.Int64 // bytes queued, not yet flushed (outbound.go counts them)
	stats    *flushStats

	mu       sync.Mutex
	batching bool
	chunks   []*[]byte
	pieces   int   // writes queued
	err      error // the first write error; every later write returns it
	hook     func(pieces int, bytes int64)
	onStall  func() // the server counts and logs the drop
}

func newCoalescer(conn net.Conn, stats *flushStats) *coalescer {
	c := &coalescer{out: conn, closer: conn, stats: stats, stall: FlushTimeout}
	if raw, ok := vectored(conn); ok {
		c.out, c.vector = raw, true
	}
	return c
}

// vectored finds the TCP connection under wrappers that expose it
// (NetConn); never under TLS, whose records must be written by TLS.
func vectored(c net.Conn) (net.Conn, bool) {
	for range 8 {
		switch v := c.(type) {
		case *tls.Conn:
			return nil, false
		case *net.TCPConn, *net.UnixConn:
			return c, true
		case interface{ NetConn() net.Conn }:
			c = v.NetConn()
		default:
			return nil, false
		}
	}
	return nil, false
}

// begin starts a batch: writes queue until end.
func (c *coalescer) begin() {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
}

// end flushes the batch; an error is kept in c.err too, and the
// connection is closed.
func (c *coalescer) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batching = false
	return c.flushLocked()
}

func (c *coalescer) write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	c.pieces++
	c.queue(p)
	if c.batching {
		return len(p), nil
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeFrame queues one unmasked, final websocket frame (a server's) whose
// payload is prefix and payload; whole, so no other write comes between
// its parts.
func (c *coalescer) writeFrame(text bool, prefix, payload []byte) error {
	var hdr [10]byte
	hdr[0] = websocketOpcode(text)
	n, k := len(prefix)+len(payload), 2
	switch {
	case n < 126:
		hdr[1] = byte(n)
	case n <= 0xffff:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(n))
		k = 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
		k = 10
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.pieces++
	c.queue(hdr[:k])
	c.queue(prefix)
	c.queue(payload)
	if c.batching {
		return nil
	}
	return c.flushLocked()
}

// queue copies p into the pooled chunks: the websocket reuses its buffer.
func (c *coalescer) queue(p []byte) {
	c.queued.Add(int64(len(p)))
	for len(p) > 0 {
		if n := len(c.chunks); n == 0 || len(*c.chunks[n-1]) == chunkSize {
			c.chunks = append(c.chunks, chunkPool.Get().(*[]byte))
		}
		last := c.chunks[len(c.chunks)-1]
		k := min(len(p), chunkSize-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
}

func (c *coalescer) flushLocked() error {
	if len(c.chunks) == 0 {
		return c.err
	}
	if c.hook != nil {
		c.hook(c.pieces, c.queued.Load())
	}
	err := c.err
	if err == nil {
		c.out.SetWriteDeadline(c.flushDeadline()) //nolint:errcheck // a failed write says it
		err = c.writeChunks()
	}
	c.stats.flushed(c.pieces, c.queued.Load())
	for _, b := range c.chunks {
		*b = (*b)[:0]
		chunkPool.Put(b)
	}
	clear(c.chunks)
	c.chunks, c.pieces = c.chunks[:0], 0
	c.queued.Store(0)
	if err != nil && c.err == nil {
		if errors.Is(err, os.ErrDeadlineExceeded) && c.closeBy.Load() == 0 {
			err = errFlushStalled
			if c.onStall != nil {
				c.onStall()
			}
		}
		c.err = err
		c.closer.Close() // the read loop ends, and with it the socket
	}
	return err
}

func (c *coalescer) writeChunks() error {
	if c.vector {
		bufs := make(net.Buffers, len(c.chunks))
		for i, b := range c.chunks {
			bufs[i] = *b
		}
		_, err := bufs.WriteTo(c.out)
		return err
	}
	for _, b := range c.chunks {
		if _, err := c.out.Write(*b); err != nil {
			return err
		}
	}
	return nil
}

// flushDeadline is the earliest of the stall timeout from now, the websocket's
// own deadline and Close's.
func (c *coalescer) flushDeadline() time.Time {
	d := time.Now().Add(c.stall).UnixNano()
	for _, o := range []int64{c.deadline.Load(), c.closeBy.Load()} {
		if o != 0 && o < d {
			d = o
		}
	}
	return time.Unix(0, d)
}

func (c *coalescer) setWriteDeadline(t time.Time) {
	if t.IsZero() {
		c.deadline.Store(0)
	} else {
		c.deadline.Store(t.UnixNano())
	}
}

// close flushes what is queued within CloseFlushTimeout; a flush stalled
// meanwhile is cut short by the same deadline.
func (c *coalescer) close() {
	by := time.Now().Add(CloseFlushTimeout)
	c.closeBy.CompareAndSwap(0, by.UnixNano())
	c.out.SetWriteDeadline(by) //nolint:errcheck // closing anyway
	c.mu.Lock()
	c.batching = false
	c.flushLocked() //nolint:errcheck // closing anyway
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.mu.Unlock()
}

// coalescingTransport is the library's websocket transport with our send
// (batchloss.go), its batches written through the coalescer.
type coalescingTransport struct {
	transports.Transport
	co      *coalescer
	h       *hijacked
	loop    sendLoop
	libSend bool // the library's send (tests only: pitfall 1's canary)

	sidPrefix string // begins the session id of the open packet (sidprefix.go)
}

func coalesce(t transports.Transport, co *coalescer, h *hijacked, wsc *types.WebSocketConn, libSend bool) *coalescingTransport {
	if libSend {
		// Registered before the engine's own listeners: the batch is on
		// the wire before the engine hands the transport its next one.
		t.On("drain", func(...any) { co.end() }) //nolint:errcheck // kept in co.err
	}
	return &coalescingTransport{Transport: t, co: co, h: h, loop: sendLoop{wsc: wsc}, libSend: libSend}
}

// sendThroughLibrary is the library's send, its batch coalesced.
func (t *coalescingTransport) sendThroughLibrary(packets []*packet.Packet) {
	if t.h.out.Load().dropped() {
		// Being dropped (outbound.go): nothing is encoded. The empty
		// batch still ends with the drain and ready the engine waits for.
		t.Transport.Send(nil)
		return
	}
	t.co.begin()
	t.Transport.Send(packets)
}

// flushStats counts flushes for the metrics and the tests.
type flushStats struct {
	flushes atomic.Int64
	pieces  atomic.Int64
	bytes   atomic.Int64
	observe func(pieces int, bytes int64) // the metrics' histogram, if any
}

func (f *flushStats) flushed(pieces int, bytes int64) {
	if f == nil {
		return
	}
	f.flushes.Add(1)
	f.pieces.Add(int64(pieces))
	f.bytes.Add(bytes)
	if f.observe != nil {
		f.observe(pieces, bytes)
	}
}

func (s *Server) writeStalled() {
	s.stats.drop(DropWriteStalled)
	s.limited.Warn("socket dropped: a write did not go out in time", "reason", DropWriteStalled, "timeout", FlushTimeout)
}
