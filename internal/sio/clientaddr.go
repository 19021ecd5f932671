package sio

import (
	"net/http"

	"github.com/zishang520/engine.io/v2/engine"

	"confab/internal/clientaddr"
)

// peerAddr is the default Options.ClientAddr: the peer's host.
func peerAddr(r *http.Request) string { return clientaddr.Host(r.RemoteAddr) }

// engineAddr is the client address of an engine session, read from the
// request that opened it (the one admitSession counted).
func (s *Server) engineAddr(sock engine.Socket) string {
	if c := sock.Request(); c != nil && c.Request() != nil {
		return s.opts.ClientAddr(c.Request())
	}
	return clientaddr.Host(sock.RemoteAddress())
}
