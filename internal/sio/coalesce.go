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
// The hijacked connection (hijack.go) queues everything written to it, in
// the order of the writes, and a goroutine of the connection's own, started
// when something waits and ended when nothing does, writes all that waits
// at once: one writev on a plain connection (small writes copied into
// pooled chunks, a broadcast's shared frame by reference), one TLS write
// per 16 KiB (one record) over TLS. What is queued while a write is under
// way goes out in the next. Nothing waits on a timer. A writer never
// waits for the network: the transport's batch (batchloss.go), a
// broadcast's frame (directwrite.go) and the websocket library's control
// frames are only queued. While the transport queues a batch the flusher
// is held (begin, end), so a burst is one write.
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

// chunkSize is the size of the pooled buffers small writes are copied
// into: the largest TLS record, so every full chunk is one record.
const chunkSize = 16 << 10

// refMin is the smallest payload queued by reference rather than copied: a
// broadcast's frame is shared by every socket's queue (pitfall 38), and a
// backlog of it costs a slice, not a copy.
const refMin = 64

var chunkPool = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

var errFlushStalled = errors.New("write stalled: the client does not read")

// writeQueue is what waits for one flush: small writes copied into pooled
// chunks (consecutive ones one slice), large payloads by reference.
type writeQueue struct {
	bufs   [][]byte
	chunks []*[]byte
	open   bool // bufs' last slice ends where the last chunk's data ends
	bytes  int64
	pieces int
}

// copyIn copies p: the websocket library reuses its buffer.
func (q *writeQueue) copyIn(p []byte) {
	q.bytes += int64(len(p))
	for len(p) > 0 {
		if n := len(q.chunks); n == 0 || len(*q.chunks[n-1]) == chunkSize {
			q.chunks = append(q.chunks, chunkPool.Get().(*[]byte))
			q.open = false
		}
		c := q.chunks[len(q.chunks)-1]
		at := len(*c)
		k := min(len(p), chunkSize-at)
		*c = append(*c, p[:k]...)
		if q.open {
			last := &q.bufs[len(q.bufs)-1]
			*last = (*last)[:len(*last)+k]
		} else {
			q.bufs = append(q.bufs, (*c)[at:at+k])
			q.open = true
		}
		p = p[k:]
	}
}

// ref queues p as it is; it must not change until it is written.
func (q *writeQueue) ref(p []byte) {
	if len(p) < refMin {
		q.copyIn(p)
		return
	}
	q.bytes += int64(len(p))
	q.bufs = append(q.bufs, p)
	q.open = false
}

// reset gives the chunks back and lets go of the references.
func (q *writeQueue) reset() {
	for _, b := range q.chunks {
		*b = (*b)[:0]
		chunkPool.Put(b)
	}
	clear(q.chunks)
	clear(q.bufs)
	q.chunks, q.bufs = q.chunks[:0], q.bufs[:0]
	q.open, q.bytes, q.pieces = false, 0, 0
}

// coalescer queues one connection's writes; a goroutine of its own, which
// runs only while something waits, writes them out.
type coalescer struct {
	out    net.Conn // where flushes go: the connection, or the TCP connection under it
	closer net.Conn // closed when a flush fails
	vector bool     // out takes net.Buffers in one writev
	stall  time.Duration

	deadline atomic.Int64 // the websocket's write deadline (unix ns, 0: none)
	closeBy  atomic.Int64 // set by Close: no flush may outlast it
	queued   atomic.Int64 // bytes queued or being written (outbound.go counts them)
	stats    *flushStats

	mu       sync.Mutex
	idle     sync.Cond // signalled when the flusher stops
	batching bool
	flushing bool       // the flusher runs
	q, spare writeQueue // waiting; the flusher's between rounds
	err      error      // the first write error; every later write returns it
	hook     func(pieces int, bytes int64)
	onStall  func() // the server counts and logs the drop
}

func newCoalescer(conn net.Conn, stats *flushStats) *coalescer {
	c := &coalescer{out: conn, closer: conn, stats: stats, stall: FlushTimeout}
	c.idle.L = &c.mu
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

// begin starts a batch: nothing is written until end.
func (c *coalescer) begin() {
	c.mu.Lock()
	c.batching = true
	c.mu.Unlock()
}

// end lets the batch go out; it returns the error of an earlier flush.
func (c *coalescer) end() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batching = false
	c.kickLocked()
	return c.err
}

// write queues a copy of p (the websocket library's writes: control
// frames, the upgrade response).
func (c *coalescer) write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	c.q.pieces++
	c.q.copyIn(p)
	c.queued.Add(int64(len(p)))
	c.kickLocked()
	return len(p), nil
}

// writeFrame queues one unmasked, final websocket frame (a server's) whose
// payload is prefix and payload; whole, so no other write comes between
// its parts. payload is queued by reference: it must not change.
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
	c.q.pieces++
	c.q.copyIn(hdr[:k])
	c.q.copyIn(prefix)
	c.q.ref(payload)
	c.queued.Add(int64(k + n))
	c.kickLocked()
	return nil
}

// kickLocked starts the flusher if something waits and nobody writes it.
func (c *coalescer) kickLocked() {
	if c.batching || c.flushing || len(c.q.bufs) == 0 || c.err != nil {
		return
	}
	c.flushing = true
	go c.flush()
}

// flush writes what waits, round after round, until nothing does.
func (c *coalescer) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.q.bufs) > 0 && c.err == nil && !c.batching {
		q := c.q
		c.q, c.spare = c.spare, writeQueue{}
		c.mu.Unlock()
		err := c.writeOut(&q)
		c.queued.Add(-q.bytes)
		q.reset()
		c.mu.Lock()
		c.spare = q
		if err != nil {
			c.failLocked(err)
		}
	}
	c.flushing = false
	c.idle.Broadcast()
}

// failLocked keeps a flush's error, drops what waits and closes the
// connection: the read loop ends, and with it the socket.
func (c *coalescer) failLocked(err error) {
	if c.err != nil {
		return
	}
	if errors.Is(err, os.ErrDeadlineExceeded) && c.closeBy.Load() == 0 {
		err = errFlushStalled
		if c.onStall != nil {
			c.onStall()
		}
	}
	c.err = err
	c.queued.Add(-c.q.bytes)
	c.q.reset()
	c.closer.Close()
}

// writeOut writes q in slices of at most maxFlushBytes (batchloss.go).
func (c *coalescer) writeOut(q *writeQueue) error {
	bufs, pieces := q.bufs, q.pieces
	for len(bufs) > 0 {
		var slice [][]byte
		slice, bufs = cut(bufs, maxFlushBytes)
		var n int64
		for _, b := range slice {
			n += int64(len(b))
		}
		if c.hook != nil {
			c.hook(pieces, n)
		}
		c.out.SetWriteDeadline(c.flushDeadline()) //nolint:errcheck // a failed write says it
		err := c.writeSlice(slice)
		c.stats.flushed(pieces, n)
		pieces = 0
		if err != nil {
			return err
		}
	}
	return nil
}

// cut splits bufs after max bytes (inside a slice if need be).
func cut(bufs [][]byte, max int) (head, rest [][]byte) {
	n := 0
	for i, b := range bufs {
		if n+len(b) <= max {
			n += len(b)
			continue
		}
		if k := max - n; k > 0 {
			head = append(bufs[:i:i], b[:k])
			return head, append([][]byte{b[k:]}, bufs[i+1:]...)
		}
		return bufs[:i], bufs[i:]
	}
	return bufs, nil
}

func (c *coalescer) writeSlice(bufs [][]byte) error {
	if c.vector {
		nb := net.Buffers(bufs)
		_, err := nb.WriteTo(c.out)
		return err
	}
	// TLS: one write (one record) per 16 KiB.
	stage := chunkPool.Get().(*[]byte)
	defer func() { *stage = (*stage)[:0]; chunkPool.Put(stage) }()
	for _, b := range bufs {
		for len(b) > 0 {
			k := min(len(b), chunkSize-len(*stage))
			*stage = append(*stage, b[:k]...)
			b = b[k:]
			if len(*stage) == chunkSize {
				if _, err := c.out.Write(*stage); err != nil {
					return err
				}
				*stage = (*stage)[:0]
			}
		}
	}
	if len(*stage) == 0 {
		return nil
	}
	_, err := c.out.Write(*stage)
	return err
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

// wait returns once nothing is being written: everything queued is out,
// or failed.
func (c *coalescer) wait() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.flushing {
		c.idle.Wait()
	}
	return c.err
}

// close flushes what is queued within CloseFlushTimeout; a flush stalled
// meanwhile is cut short by the same deadline.
func (c *coalescer) close() {
	by := time.Now().Add(CloseFlushTimeout)
	c.closeBy.CompareAndSwap(0, by.UnixNano())
	c.out.SetWriteDeadline(by) //nolint:errcheck // closing anyway
	c.mu.Lock()
	c.batching = false
	c.kickLocked()
	for c.flushing {
		c.idle.Wait()
	}
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.queued.Add(-c.q.bytes)
	c.q.reset()
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
