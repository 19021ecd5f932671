package sio

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Pitfall 11 (server): the library's Close ends the sockets without a word:
// their connections are closed when it gets to them, and a websocket whose
// engine still has a write pending stays open. A stopped host was then
// noticed by its joiners only when they next sent something.
//
// Shutdown refuses new requests, then tells every websocket client with a
// Close frame ("going away") and closes its connection, all at once, before
// the library closes what remains (long-polling clients get their pending
// poll answered with a close packet). Clients reconnect when the server is
// back.

// goodbyeTimeout bounds the Close frame's write to a client that does not read.
const goodbyeTimeout = time.Second

// Shutdown stops the server; Handler.Disconnected runs for every socket.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	var wg sync.WaitGroup
	for _, h := range s.tracked() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.goodbye()
		}()
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		s.io.Close(nil)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hijacked) goodbye() {
	conn, ws := h.parts()
	if ws != nil {
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
		ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(goodbyeTimeout)) //nolint:errcheck // closing anyway
	}
	if conn != nil {
		conn.Close()
	}
}
