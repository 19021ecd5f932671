package sio_test

import (
	"testing"
	"time"

	"confab/internal/sio"
)

// Every session gives its place back, however its connection ends (the
// moments of TestDialCloseStress, a restart aside): a place kept would
// lock its address out for good once it held MaxSessionsPerAddr.
func TestSessionPlacesComeBack(t *testing.T) {
	t.Parallel()
	ts := startServer(t, sio.Options{MaxSessionsPerAddr: 1000})
	for i := 0; i < 60; i++ {
		closeAt(ts, moments[i%4]) // not the restart: it makes a new server
	}
	deadline := time.Now().Add(60 * time.Second) // a session that never sent CONNECT ends at the connect timeout (45 s)
	for ts.srv.SessionsHeld() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d places still held a minute after every connection ended", ts.srv.SessionsHeld())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
