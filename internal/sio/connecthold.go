package sio

import (
	"time"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// Pitfall 21 (server): _doConnect sends the CONNECT reply before the Client
// registers the socket in its namespace table; an event arriving in
// between finds no socket and the library closes the whole connection
// ("invalid state"). A client that emits on connect hit it within about 50
// connections.
//
// After a CONNECT the decoder holds the connection's next packets until the
// socket is registered (onConnection runs after that) or refused, for at
// most connectHoldTimeout. The decoder reaches the handshake through the
// CONNECT payload, which becomes the socket's auth map; newSocket takes the
// key out again before anyone sees it.

const connectHoldTimeout = 2 * time.Second

// connectHoldKey carries the decoder inside the CONNECT payload.
const connectHoldKey = "\x00confab-connect-hold"

// holdAfter runs in the decoder for a CONNECT packet, with d.mu held.
func (d *guardDecoder) holdAfter(p *parser.Packet) {
	auth, _ := p.Data.(map[string]any)
	if auth == nil {
		auth = map[string]any{}
	}
	auth[connectHoldKey] = d
	p.Data = auth
	d.holdMu.Lock()
	if d.held == nil {
		d.held = make(chan struct{})
	}
	d.holdMu.Unlock()
}

// takeConnectHold returns the handshake's auth without the key, and the
// decoder to release.
func takeConnectHold(auth any) (map[string]any, *guardDecoder) {
	m, _ := auth.(map[string]any)
	out := make(map[string]any, len(m))
	var d *guardDecoder
	for k, v := range m {
		if k == connectHoldKey {
			d, _ = v.(*guardDecoder)
			continue
		}
		out[k] = v
	}
	return out, d
}

// release lets packets through again: the socket is registered, or refused.
func (d *guardDecoder) release() {
	if d == nil {
		return
	}
	d.holdMu.Lock()
	if d.held != nil {
		close(d.held)
		d.held = nil
	}
	d.holdMu.Unlock()
}

func (d *guardDecoder) waitHeld() {
	d.holdMu.Lock()
	ch := d.held
	d.holdMu.Unlock()
	if ch == nil {
		return
	}
	t := time.NewTimer(connectHoldTimeout)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		d.release()
	}
}
