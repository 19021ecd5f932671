package sio

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkBroadcast broadcasts b.N events as fast as they can go to 200
// sockets that read everything, with and without coalesced writes, and
// reports the process's CPU per delivery (the readers are in the process
// too, and cost the same either way) and the server's writes per delivery;
// direct queues each frame in the coalescer, engine goes through the
// engine socket's Write, per-frame has no coalescer.
// Run both in one go: the ratio holds on a loaded machine, absolute
// times do not.
func BenchmarkBroadcast(b *testing.B) {
	for _, mode := range []string{"direct", "engine", "per-frame"} {
		b.Run(mode, func(b *testing.B) { benchBroadcast(b, mode == "per-frame", mode == "engine") })
	}
}

// benchBroadcast: off writes each frame on its own (no coalescer), engine
// sends every delivery through the engine socket's Write (directwrite.go).
func benchBroadcast(b *testing.B, off, engine bool) {
	const sockets = 200
	// No socket is cut off as a slow reader: the broadcasts come as fast
	// as they go, and a dropped socket would leave the count short. For
	// the same reason a pong may come late: the clients answer each ping
	// once they have read what was queued before it, which in a long run
	// is more than PingTimeout's 5 s of reading (one socket of 200 gone
	// at 40,000 broadcasts); the wait below gives up after a minute anyway.
	srv := NewServer(Options{noCoalesce: off, noDirectWrite: engine, MaxOutbound: 1 << 40, PingTimeout: 2 * time.Minute}, admitAll{})
	hs := httptest.NewServer(srv)
	defer func() { srv.Shutdown(context.Background()); hs.Close() }() //nolint:errcheck
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + DefaultPath + "?EIO=4&transport=websocket"
	var got atomic.Int64
	var wg sync.WaitGroup
	conns := make([]*websocket.Conn, sockets)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(u, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = ws
		ws.ReadMessage()                                     //nolint:errcheck // open
		ws.WriteMessage(websocket.TextMessage, []byte("40")) //nolint:errcheck
		ws.ReadMessage()                                     //nolint:errcheck // connect
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, f, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if strings.HasPrefix(string(f), `42["b"`) {
					got.Add(1)
				} else if string(f) == "2" {
					// A ping: unanswered, every socket ended after
					// PingInterval + PingTimeout (15 s by default), and a
					// longer run failed with "N of M deliveries". This
					// goroutine is the connection's only writer now.
					ws.WriteMessage(websocket.TextMessage, []byte("3")) //nolint:errcheck // a read fails next
				}
			}
		}()
	}
	for srv.Stats().Sockets < sockets {
		time.Sleep(time.Millisecond)
	}
	text := strings.Repeat("a chat message of a usual length. ", 4)
	flushes0 := srv.flushes.flushes.Load()
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		srv.Broadcast("b", text)
	}
	for deadline := time.Now().Add(time.Minute); got.Load() < int64(b.N)*sockets; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			st := srv.Stats()
			b.Fatalf("%d of %d deliveries after a minute; %d of %d sockets connected, drops %v",
				got.Load(), int64(b.N)*sockets, st.Sockets, sockets, st.Drops)
		}
	}
	b.StopTimer()
	deliveries := float64(b.N) * sockets
	b.ReportMetric(float64(processCPU()-cpu0)/deliveries, "cpu-ns/delivery")
	b.ReportMetric(deliveries/time.Since(start).Seconds(), "deliveries/s")
	if !off {
		b.ReportMetric(float64(srv.flushes.flushes.Load()-flushes0)/deliveries, "writes/delivery")
	} else {
		b.ReportMetric(1, "writes/delivery")
	}
	for _, ws := range conns {
		ws.Close()
	}
	wg.Wait()
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru) //nolint:errcheck
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
