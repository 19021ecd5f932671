package sio

import (
	"sync"
	"sync/atomic"
)

// Stats are the server's counters, for metrics: read with Server.Stats.
type Stats struct {
	Sockets     int64            // connected now
	Events      int64            // events handled since start
	Packets     int64            // packets queued for sockets since start (deliveries)
	QueuedBytes int64            // bytes waiting to be sent, all sockets together
	Flushes     int64            // writes of coalesced batches (coalesce.go)
	FlushFrames int64            // the writes they carried
	FlushBytes  int64            // and their bytes
	Drops       map[string]int64 // sockets dropped, by reason
}

// DropWriteStalled is the drop reason of a socket whose flush did not go
// out within FlushTimeout (coalesce.go).
const DropWriteStalled = "write_stalled"

type serverStats struct {
	sockets atomic.Int64
	events  atomic.Int64
	packets atomic.Int64

	mu    sync.Mutex
	drops map[string]int64
}

func (st *serverStats) drop(reason string) {
	st.mu.Lock()
	if st.drops == nil {
		st.drops = map[string]int64{}
	}
	st.drops[reason]++
	st.mu.Unlock()
}

// Stats reads the counters. QueuedBytes walks every socket: read it at
// scrape rate, not per event.
func (s *Server) Stats() Stats {
	out := Stats{
		Sockets:     s.stats.sockets.Load(),
		Events:      s.stats.events.Load(),
		Packets:     s.stats.packets.Load(),
		Flushes:     s.flushes.flushes.Load(),
		FlushFrames: s.flushes.pieces.Load(),
		FlushBytes:  s.flushes.bytes.Load(),
		Drops:       map[string]int64{DropSlowReader: 0, DropWriteStalled: 0},
	}
	s.stats.mu.Lock()
	for k, v := range s.stats.drops {
		out.Drops[k] = v
	}
	s.stats.mu.Unlock()
	s.outbound.Range(func(_, v any) bool {
		out.QueuedBytes += v.(*outbound).waiting()
		return true
	})
	return out
}

// ObserveFlushes has every coalesced flush reported (frames, bytes), for a
// histogram; set it before serving.
func (s *Server) ObserveFlushes(f func(frames int, bytes int64)) { s.flushes.observe = f }
