package sio_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"confab/internal/sio"
)

// deferHandler defers the ack of "later" (the test replies through
// deferred), replies to "early" from another goroutine before Event
// returns, and answers "now" at once.
type deferHandler struct {
	deferred chan *sio.Deferred
	gone     chan struct{}
}

func (h *deferHandler) Connect(*sio.Socket) error { return nil }
func (h *deferHandler) Connected(*sio.Socket)     {}
func (h *deferHandler) Disconnected(*sio.Socket, string) {
	close(h.gone)
}

func (h *deferHandler) Event(s *sio.Socket, name string, args []any) any {
	switch name {
	case "later":
		d := s.Defer()
		h.deferred <- d
		return d
	case "early":
		d := s.Defer()
		done := make(chan struct{})
		go func() { d.Reply("early"); close(done) }()
		<-done
		return d
	}
	return "now"
}

func startDeferServer(t *testing.T) (*deferHandler, string) {
	t.Helper()
	h := &deferHandler{deferred: make(chan *sio.Deferred, 8), gone: make(chan struct{})}
	srv := sio.NewServer(sio.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln) //nolint:errcheck
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck
		hs.Close()
	})
	return h, "http://" + ln.Addr().String()
}

// A deferred ack is sent when Reply is called from another goroutine after
// Event returned, once; the socket's next event ran meanwhile; a Reply
// that came before Event returned is sent too.
func TestDeferredReplyAfterReturn(t *testing.T) {
	t.Parallel()
	h, url := startDeferServer(t)
	c := dial(t, url, sio.DialOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	later := make(chan []any, 1)
	go func() {
		res, err := c.Call(ctx, "later", nil)
		if err != nil {
			t.Error(err)
		}
		later <- res
	}()
	d := <-h.deferred
	if res, err := c.Call(ctx, "now", nil); err != nil || res[0] != "now" {
		t.Fatalf("the event after a deferred one: %v %v", res, err)
	}
	go func() { d.Reply("first"); d.Reply("second") }()
	if res := <-later; len(res) != 1 || res[0] != "first" {
		t.Fatalf("deferred ack %v, want [first]", res)
	}
	if res, err := c.Call(ctx, "early", nil); err != nil || res[0] != "early" {
		t.Fatalf("a reply before Event returned: %v %v", res, err)
	}
}

// A Reply after the socket is gone sends nothing and does not fail.
func TestDeferredReplyAfterDisconnect(t *testing.T) {
	t.Parallel()
	h, url := startDeferServer(t)
	c, err := sio.Dial(context.Background(), url, sio.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	go c.Call(context.Background(), "later", nil) //nolint:errcheck // ends with the connection
	d := <-h.deferred
	c.Close()
	<-h.gone
	d.Reply("too late")
}
