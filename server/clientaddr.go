package server

import "net/http"

// clientAddr is the address of the client that sent r, the key of every
// per-address limit and the "remote" of log lines: the peer's, or behind a
// trusted proxy the one it forwarded (package clientaddr).
func (s *Server) clientAddr(r *http.Request) string {
	return s.proxies.Of(r)
}
