package sio

// WithoutBatchLossFix turns off the pitfall 1 workaround (batchloss.go), so
// the canary can show the library still loses frames without it.
func WithoutBatchLossFix(o *Options) { o.noBatchLossFix = true }

// WithoutCoalescing turns off the coalesced writes (coalesce.go) and their
// stall timeout, so a canary sees the library's own writes.
func WithoutCoalescing(o *Options) { o.noCoalesce = true }

// WithLibraryWebSocket puts the library's own websocket transport back
// (closeframe.go) until undo is called; no other server may run meanwhile.
// The table itself is left alone: a handshake still reading it would race.
func WithLibraryWebSocket() (undo func()) {
	libraryWebSocket.Store(true)
	return func() { libraryWebSocket.Store(false) }
}

// SessionsHeld is how many sessions hold a place (sessions.go), all
// addresses together.
func (s *Server) SessionsHeld() int {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	n := 0
	for _, c := range s.sessions.byAddr {
		n += c
	}
	return n
}
