package sio

import (
	"sync"

	"github.com/zishang520/engine.io/v2/events"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// guardParser wraps the server's Socket.IO decoder: the decoder is the one
// place that sees a connection's packets in order, before the library acts
// on them. Four workarounds hook in there: malformed.go (pitfall 2),
// ordering.go (pitfall 3), connecthold.go (pitfall 21) and binary.go
// (pitfall 36).
type guardParser struct{ inner parser.Parser }

func (p guardParser) NewEncoder() parser.Encoder { return p.inner.NewEncoder() }

func (p guardParser) NewDecoder() parser.Decoder {
	d := &guardDecoder{EventEmitter: events.New(), inner: p.inner.NewDecoder(), gate: newGate(gateTimeout)}
	d.inner.On("decoded", d.ondecoded)
	return d
}

type guardDecoder struct {
	events.EventEmitter
	inner parser.Decoder

	mu      sync.Mutex // Add is called by one transport at a time; this keeps the fields race-free anyway
	bad     bool       // malformed.go
	nextSeq uint64     // ordering.go
	gate    *gate      // ordering.go

	holdMu sync.Mutex    // connecthold.go
	held   chan struct{} // non-nil while a CONNECT is being handled
}

func (d *guardDecoder) Add(data any) error {
	if binaryPacket(data) { // binary.go
		return errBinaryPacket
	}
	d.waitHeld()
	d.mu.Lock()
	d.bad = false
	err := d.inner.Add(data) // emits "decoded" synchronously for complete packets
	bad := d.bad
	d.mu.Unlock()
	if err != nil {
		return err
	}
	if bad {
		return errMalformedPacket
	}
	return nil
}

func (d *guardDecoder) Destroy() {
	d.inner.Destroy()
	d.inner.RemoveAllListeners("decoded")
}

// ondecoded runs inside Add, with d.mu held.
func (d *guardDecoder) ondecoded(args ...any) {
	if len(args) == 0 {
		return
	}
	p, ok := args[0].(*parser.Packet)
	if !ok || p == nil {
		return
	}
	if d.bad = malformed(p); d.bad {
		return
	}
	switch p.Type {
	case parser.EVENT, parser.BINARY_EVENT:
		d.stamp(p)
	case parser.CONNECT:
		d.holdAfter(p)
	}
	d.Emit("decoded", p)
}
