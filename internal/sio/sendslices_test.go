package sio

import (
	"sync/atomic"
	"testing"
)

// A long batch (a socket's backlog) goes out in writes of at most
// maxFlushBytes (and the frame that crossed it). The first flush is held
// until every event is queued, so the rest wait as one backlog of about
// 150 KiB.
func TestLongBatchGoesOutInSlices(t *testing.T) {
	t.Parallel()
	const n = 10000
	h := &burstHandler{pushed: make(chan struct{})}
	var armed atomic.Bool
	var flushes, largest atomic.Int64
	opts := Options{flushHook: func(_ int, bytes int64) {
		if !armed.Load() {
			return
		}
		if flushes.Add(1) == 1 {
			<-h.pushed
		}
		if bytes > largest.Load() {
			largest.Store(bytes)
		}
	}}
	_, ws := startBurstServer(t, opts, h, false)
	armed.Store(true)
	pushAndRead(t, ws, n)
	if l := largest.Load(); l > maxFlushBytes+64 {
		t.Fatalf("a write of %d bytes; want at most %d and one frame", l, maxFlushBytes)
	}
	if f := flushes.Load(); f < 3 {
		t.Fatalf("%d events in %d writes; want them sliced", n, f)
	}
}
