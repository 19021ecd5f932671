package sio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"confab/wire"
)

// Pitfall 6 (server): polling bodies are capped only by Content-Length
// (transports/polling.go:152); a chunked body is read whole, and a read
// error is ignored, so a truncated payload would be processed. The body is
// read here, capped at MaxPayload, and refused with 413 before the library
// sees it.
func (s *Server) capBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodPost || r.Body == nil {
		return true
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxPayload))
	if err != nil {
		s.limited.Warn("socket request refused", "reason", wire.ErrPayloadTooLarge, "remote", s.opts.ClientAddr(r))
		writeError(w, http.StatusRequestEntityTooLarge, wire.ErrPayloadTooLarge,
			fmt.Sprintf("a request body may have at most %d bytes", s.opts.MaxPayload))
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return true
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(wire.Error{Error: code, Message: message}) //nolint:errcheck // the client went away
}
