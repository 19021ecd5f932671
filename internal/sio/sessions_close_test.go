package sio

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/engine"
)

// A session closed before it claims its place (its client gone as the
// engine's "connection" listeners run) gives the place back: the engine
// emits "close" once, to the listeners it has then. The hook holds the
// claim until the client's close has ended the session, the moment a
// loaded scheduler picks now and then (TestSessionPlacesComeBack).
func TestPlaceOfASessionClosedBeforeItsClaimComesBack(t *testing.T) {
	t.Parallel()
	var closedFirst atomic.Bool
	opts := Options{claimHook: func(sock engine.Socket) {
		deadline := time.Now().Add(20 * time.Second) // the read gate opens within 2 s
		for sock.ReadyState() != "closed" && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		closedFirst.Store(sock.ReadyState() == "closed")
	}}
	srv := NewServer(opts, admitAll{})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Shutdown(context.Background()); hs.Close() }) //nolint:errcheck

	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"
	ws, _, err := d.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.NetConn().Close() // gone before the server has claimed the place

	deadline := time.Now().Add(30 * time.Second)
	for srv.SessionsHeld() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d places held after the session closed (closed before the claim: %v)", srv.SessionsHeld(), closedFirst.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !closedFirst.Load() {
		t.Fatal("the session was not closed before its claim: the test did not reach the case")
	}
}
