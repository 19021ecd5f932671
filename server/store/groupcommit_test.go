package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Messages that arrive together share one transaction (one sync): the
// writer's first commit is held until the other senders are all queued,
// and they then go in one batch. Each sender is answered after the commit
// that holds its message, with its id.
func TestMessagesThatArriveTogetherShareACommit(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		const n = 64
		var once sync.Once
		s.writer.held = func(first int) {
			once.Do(func() {
				for first+len(s.writer.requests) < n {
					time.Sleep(time.Millisecond) // waiting for the senders, not for time
				}
			})
		}
		var wg sync.WaitGroup
		ids := make([]int64, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, _, err := s.AddMessage(context.Background(), Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: fmt.Sprint(i)})
				if err != nil {
					t.Error(err)
				}
				ids[i] = m.ID
			}()
		}
		wg.Wait()
		// One when the writer woke after every sender had queued.
		if c := s.writer.commits.Load(); c > 2 {
			t.Fatalf("%d messages sent together took %d commits, want at most 2 (the held first, then the rest)", n, c)
		}
		got, err := s.History(context.Background(), Page{Room: "r", Limit: 2 * n})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != n {
			t.Fatalf("history holds %d messages, want %d", len(got), n)
		}
		seen := map[int64]bool{}
		for _, id := range ids {
			if id == 0 || seen[id] {
				t.Fatalf("ids %v", ids)
			}
			seen[id] = true
		}
	})
}

// BenchmarkAddMessages measures messages acknowledged per second by 32
// concurrent senders, with group commit and with one commit per message.
func BenchmarkAddMessages(b *testing.B) {
	for _, batch := range []int{MaxBatch, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s.writer.maxBatch = batch
			sendAcked(b, s, 16) // 16 per core: 32 senders
		})
	}
}

// sendAcked has b.N messages sent by parallelism goroutines per core and
// reports the messages acknowledged per second and per commit.
func sendAcked(b *testing.B, s *Store, parallelism int) {
	var seq atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: fmt.Sprint(seq.Add(1))}
			if _, _, err := s.AddMessage(context.Background(), m); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acked/s")
	b.ReportMetric(float64(b.N)/float64(max(s.writer.commits.Load(), 1)), "msgs/commit")
}

// One sender that queues its messages without waiting gets them stored in
// the order it queued them, sharing commits, and a clientId queued twice
// is stored once: the second is answered with the first, uncreated.
func TestQueuedMessagesKeepTheirOrder(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		const n = 50
		var once sync.Once
		s.writer.held = func(first int) {
			once.Do(func() {
				for first+len(s.writer.requests) < n+1 {
					time.Sleep(time.Millisecond) // waiting for the queue, not for time
				}
			})
		}
		waits := make([]func() (Message, bool, error), 0, n+1)
		for i := range n {
			m := Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: fmt.Sprint(i), ClientID: fmt.Sprint("c", i)}
			waits = append(waits, s.QueueMessage(context.Background(), m))
		}
		again := Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: "again", ClientID: "c7"}
		waits = append(waits, s.QueueMessage(context.Background(), again))
		var last int64
		for i, wait := range waits[:n] {
			m, created, err := wait()
			if err != nil || !created || m.ID <= last || m.Text != fmt.Sprint(i) {
				t.Fatalf("message %d: %+v created=%v err=%v after id %d", i, m, created, err, last)
			}
			last = m.ID
		}
		m, created, err := waits[n]()
		if err != nil || created || m.Text != "7" {
			t.Fatalf("clientId queued twice: %+v created=%v err=%v", m, created, err)
		}
		if c := s.writer.commits.Load(); c > 2 {
			t.Fatalf("%d queued messages took %d commits, want at most 2 (the held first, then the rest)", n+1, c)
		}
	})
}
