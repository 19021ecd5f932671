package sio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestGateOrdersAndTimesOut(t *testing.T) {
	g := newGate(100 * time.Millisecond)
	var order []uint64
	done := make(chan struct{})
	go func() {
		g.enter(1) // waits for 0
		order = append(order, 1)
		g.leave(1)
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	g.enter(0)
	order = append(order, 0)
	g.leave(0)
	<-done
	if len(order) != 2 || order[0] != 0 || order[1] != 1 {
		t.Fatalf("order %v", order)
	}
	// A ticket that never comes (3) holds 4 for the timeout, no longer.
	start := time.Now()
	g.enter(4)
	if el := time.Since(start); el < 90*time.Millisecond || el > time.Second {
		t.Fatalf("waited %v for a missing ticket", el)
	}
	g.leave(4)
	g.enter(3) // late arrival: goes straight through
	g.leave(3)
}

// A slow handler is not a lost ticket: the next event waits for it however
// long it takes, so a socket's handlers never run side by side.
func TestGateWaitsForASlowHandler(t *testing.T) {
	t.Parallel()
	g := newGate(20 * time.Millisecond)
	g.enter(0)
	entered := make(chan struct{})
	go func() {
		g.enter(1)
		close(entered)
		g.leave(1)
	}()
	select {
	case <-entered:
		t.Fatal("event 1 entered while event 0 was still inside")
	case <-time.After(300 * time.Millisecond): // 15 timeouts
	}
	g.leave(0)
	<-entered
}

// After the websocket upgrade the engine keeps the response writer for the
// socket's life: it must no longer reach net/http's connection and its
// buffers, and must answer like a hijacked response.
func TestHijackLetsGoOfTheResponse(t *testing.T) {
	checked := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := NewServer(Options{}, nil)
		w, _ = s.hijackable(w, r)
		gw, ok := w.(*hijackWriter)
		if !ok {
			checked <- errors.New("upgrade request not gated")
			return
		}
		conn, brw, err := gw.Hijack()
		if err != nil {
			checked <- err
			return
		}
		defer conn.Close()
		_, isStub := gw.ResponseWriter.(gone)
		_, werr := gw.Write([]byte("x"))
		switch {
		case gw.hj != nil || !isStub:
			checked <- errors.New("the response is still referenced")
		case !errors.Is(werr, http.ErrHijacked):
			checked <- fmt.Errorf("write after hijack: %v", werr)
		case brw.Reader.Size() != hijackReaderSize:
			checked <- fmt.Errorf("reader of %d bytes", brw.Reader.Size())
		default:
			checked <- nil
		}
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	go http.DefaultClient.Do(req) //nolint:errcheck // the handler hijacks and closes
	select {
	case err := <-checked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler not reached")
	}
}

// admitAll is the smallest Handler: every socket is admitted, events are echoed.
type admitAll struct{}

func (admitAll) Connect(*Socket) error                     { return nil }
func (admitAll) Connected(*Socket)                         {}
func (admitAll) Event(_ *Socket, _ string, args []any) any { return args }
func (admitAll) Disconnected(*Socket, string)              {}

func dialAdmitAll(t *testing.T) *Conn {
	t.Helper()
	srv := NewServer(Options{}, admitAll{})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Shutdown(context.Background()); hs.Close() }) //nolint:errcheck
	c, err := Dial(context.Background(), hs.URL, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// Pitfall 26: the library's dialer is reachable, so the dial is bounded and
// abortable. Fails if the library's websocket transport changes its layout.
func TestDialerIsReachable(t *testing.T) {
	c := dialAdmitAll(t)
	tr := c.transport()
	tr.mu.Lock()
	raw := tr.raw
	tr.mu.Unlock()
	if raw == nil {
		t.Fatal("the websocket's connection was not dialled through our hook: re-check dialhooks.go against the library")
	}
}

// The library's transport closing itself (it then reports a nil error,
// pitfall 16) ends the connection.
func TestTransportCloseEndsTheConnection(t *testing.T) {
	c := dialAdmitAll(t)
	c.transport().Transport.Close() // the library's own Close: emits "close" with nil
	select {
	case <-c.Done():
		t.Logf("ended: %v", c.Err())
	case <-time.After(2 * time.Second):
		t.Fatal("the connection did not end")
	}
}

func TestRefusalReading(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		data any
		want RefusedError
	}{
		{map[string]any{"message": "unauthorized", "data": map[string]any{"reason": "token_expired"}}, RefusedError{"unauthorized", "token_expired"}},
		{map[string]any{"message": "unauthorized"}, RefusedError{"unauthorized", ""}},
		{map[string]any{"message": 5, "data": "x"}, RefusedError{"connect_error", ""}},
		{"Not authorized", RefusedError{"Not authorized", ""}},
		{nil, RefusedError{"connect_error", ""}},
		{[]any{1}, RefusedError{"connect_error", ""}},
	} {
		if got := refusal(tc.data); *got != tc.want {
			t.Errorf("%v: got %+v, want %+v", tc.data, *got, tc.want)
		}
	}
}
