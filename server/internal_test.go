package server

import (
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

func TestThrottleSweep(t *testing.T) {
	now := time.Now()
	th := newThrottle(2, time.Minute, 2)
	th.take("a", now)
	th.take("a", now)
	if th.wait("a", now) <= 0 {
		t.Fatal("a not throttled after its burst")
	}
	th.take("b", now)
	th.take("c", now) // table full: nothing to sweep, so it is cleared rather than grown
	if len(th.buckets) > th.max {
		t.Fatalf("table grew past its cap: %d", len(th.buckets))
	}
	if w := th.wait("x", now); w != 0 {
		t.Fatalf("unknown key waits %v", w)
	}
	if w := th.wait("a", now.Add(2*time.Minute)); w != 0 {
		t.Fatalf("a still waits %v after the window", w)
	}
}

// After the websocket upgrade the engine keeps the response writer for the
// socket's life: it must no longer reach net/http's connection and its
// buffers, and must answer like a hijacked response.
func TestHijackLetsGoOfTheResponse(t *testing.T) {
	checked := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w, _ = gateUpgrade(w, r)
		gw, ok := w.(*gatedWriter)
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
		_, isStub := gw.ResponseWriter.(hijacked)
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
