package sio

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Pitfall 35: a write after the request's end is refused and touches
// neither the real header map nor the body, and a write racing the end
// either completes before it or is refused (run with -race).
func TestLateWriteAfterEndIsRefused(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	g := guardLateWrites(rec)
	g.end()
	g.Header().Set("Content-Type", "text/plain")
	if _, err := g.Write([]byte("late")); !errors.Is(err, errRequestEnded) {
		t.Fatalf("write after the end: %v", err)
	}
	g.Flush()
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" || rec.Flushed {
		t.Fatalf("the real writer was touched: %q %v flushed=%v", rec.Body, rec.Header(), rec.Flushed)
	}
}

// Headers set on the guard arrive with the status; a header the guard
// deleted (the CORS fix's) does not.
func TestLateWriteGuardCarriesHeaders(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Set("Access-Control-Allow-Origin", "false")
	w := (&Server{}).withCORSFix(guardLateWrites(rec))
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(http.StatusTeapot)
	w.Write([]byte("ok")) //nolint:errcheck
	if rec.Code != http.StatusTeapot || rec.Body.String() != "ok" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/plain; charset=UTF-8" {
		t.Fatalf("Content-Type %q", got)
	}
	if _, ok := rec.Header()["Access-Control-Allow-Origin"]; ok {
		t.Fatalf("a deleted header arrived: %v", rec.Header())
	}
}

// The shape of the defect: the handler returns (end, then net/http reads
// the real headers) while another goroutine writes. Under -race this fails
// without the guard's own header map and lock.
func TestLateWriteRacesTheEnd(t *testing.T) {
	t.Parallel()
	for i := 0; i < 200; i++ {
		rec := httptest.NewRecorder()
		g := guardLateWrites(rec)
		var wg sync.WaitGroup
		wg.Go(func() {
			g.Header().Set("Content-Type", "text/plain")
			g.Write([]byte("answer")) //nolint:errcheck
		})
		g.end()
		_ = rec.Header().Clone() // what net/http's finishRequest does
		wg.Wait()
	}
}
