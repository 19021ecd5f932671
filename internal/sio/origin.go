package sio

import (
	"net/http"
	"net/url"
	"strings"

	"confab/wire"
)

// Pitfall 5 (server): the library does not enforce origins: CORS only sets
// headers, and its websocket upgrader's CheckOrigin always says yes
// (engine/server.go:124). Every request of the Socket.IO path, polling and
// websocket alike, is checked here: no Origin (native and Node clients),
// the server's own origin, or one of Options.Origins.

// maxLoggedOrigin bounds the Origin header quoted in a log line.
const maxLoggedOrigin = 100

func (s *Server) originAllowed(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || sameOrigin(origin, r.Host) {
		return true
	}
	for _, o := range s.opts.Origins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	s.limited.Warn("socket refused", "reason", wire.ErrOriginNotAllowed,
		"origin", clip(origin, maxLoggedOrigin), "remote", s.opts.ClientAddr(r))
	writeError(w, http.StatusForbidden, wire.ErrOriginNotAllowed, "this origin may not connect to this server")
	return false
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host) && u.Path == ""
}

// corsOrigins answers browser preflights for the allowed origins only.
func corsOrigins(origins []string) any {
	list := make([]any, 0, len(origins))
	for _, o := range origins {
		if o == "*" {
			return true
		}
		list = append(list, o)
	}
	if len(list) == 0 {
		return false
	}
	return list
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
