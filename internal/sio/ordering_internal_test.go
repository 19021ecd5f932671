package sio

import (
	"sync"
	"testing"
	"time"
)

// TestGateHandsTheTurnOver: a ticket whose timer fires just after leave
// woke the next one must not run ahead of it (issue 16: under load, a
// socket's queued events ran side by side, out of order). The test holds
// the gate's lock across leave's hand-over until the later ticket's timer
// has fired, the window the old gate lost the order in. (Without the fix:
// "tickets ran in the order [2 1]" in the first rounds.)
func TestGateHandsTheTurnOver(t *testing.T) {
	t.Parallel()
	for round := 0; round < 30; round++ {
		g := newGate(5 * time.Millisecond)
		g.enter(0)
		var mu sync.Mutex
		var order []uint64
		var wg sync.WaitGroup
		for _, seq := range []uint64{1, 2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g.enter(seq)
				mu.Lock()
				order = append(order, seq)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				g.leave(seq)
			}()
			time.Sleep(2 * time.Millisecond) // 1 queues before 2
		}
		g.mu.Lock()
		time.Sleep(20 * time.Millisecond) // 2's timer fires: it queues for the lock
		g.handOver(0)                     // leave(0): 1 is woken, behind 2
		g.mu.Unlock()
		wg.Wait()
		if order[0] != 1 {
			t.Fatalf("round %d: tickets ran in the order %v, not 1 then 2", round, order)
		}
	}
}
