package cluster_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"confab/internal/pgtest"
	"confab/internal/testserver"
	"confab/server/cluster"
)

type node struct {
	bus *cluster.Bus
	p   *cluster.Presence

	mu   sync.Mutex
	seen map[int64]bool // presence changes this node's sockets were told
}

func (n *node) online(u int64) (bool, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	on, ok := n.seen[u]
	return on, ok
}

func startNode(t *testing.T, url, name string) *node {
	t.Helper()
	n := &node{seen: map[int64]bool{}}
	var p atomic.Pointer[cluster.Presence]
	bus, err := cluster.Open(cluster.Config{URL: url, Node: name, Handle: func(ev cluster.Event) {
		if q := p.Load(); q != nil && ev.Kind == cluster.KindPresence {
			q.Apply(ev)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	ctx := context.Background()
	if err := cluster.Migrate(ctx, bus.DB()); err != nil {
		t.Fatal(err)
	}
	q, err := cluster.StartPresence(ctx, bus.DB(), name, slog.Default(), func(int64) bool { return false },
		func(u int64, _ string, on bool) { n.mu.Lock(); n.seen[u] = on; n.mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.Abandon)
	p.Store(q)
	n.bus, n.p = bus, q
	testserver.WaitFor(t, 20*time.Second, name+" listening", func() bool { return bus.State().Up })
	return n
}

// A user online on one node is online on the others at once; when that
// node dies (its heartbeat stops, nothing cleaned up), the others see the
// user offline within 30 s.
func TestPresenceAcrossNodesAndADeadNode(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	a, b := startNode(t, url, "a"), startNode(t, url, "b")
	ctx := context.Background()
	if _, err := b.p.Came(ctx, 42, "zoe"); err != nil {
		t.Fatal(err)
	}
	if err := b.bus.Publish(ctx, cluster.Event{Kind: cluster.KindPresence, User: 42, Name: "zoe", On: true}); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "zoe online on a", func() bool { on, _ := a.online(42); return on })
	if !a.p.Online(42) || b.p.Online(42) {
		t.Fatal("zoe is online on b only")
	}
	// A third node that starts now learns it from the table, not an event.
	c := startNode(t, url, "c")
	if !c.p.Online(42) {
		t.Fatal("a node that started later does not see zoe online")
	}
	died := time.Now()
	b.p.Abandon() // b dies: no heartbeat, no cleanup, no event
	testserver.WaitFor(t, 30*time.Second, "zoe offline on a", func() bool { on, _ := a.online(42); return !on })
	t.Logf("a dead node's user went offline on the others %v after its last heartbeat", time.Since(died))
	if a.p.Online(42) || c.p.Online(42) {
		t.Fatal("zoe still online somewhere")
	}
}

// A bucket holds for every node together: with a burst of 5, twenty
// attempts spread over two nodes at once let exactly 5 through.
func TestLimitsHoldForTheCluster(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	a, b := startNode(t, url, "a"), startNode(t, url, "b")
	la, lb := cluster.NewLimits(a.bus.DB()), cluster.NewLimits(b.bus.DB())
	ctx := context.Background()
	var passed atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		l := la
		if i%2 == 1 {
			l = lb
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, wait, err := l.Take(ctx, "login:zoe", 5, 1.0/60)
			if err != nil {
				t.Error(err)
			}
			if ok {
				passed.Add(1)
			} else if wait < 50*time.Second {
				t.Errorf("wait %v, want about a minute", wait)
			}
		}()
	}
	wg.Wait()
	if passed.Load() != 5 {
		t.Fatalf("%d of 20 attempts passed, want 5", passed.Load())
	}
	if err := lb.GiveBack(ctx, "login:zoe", 5); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := la.Take(ctx, "login:zoe", 5, 1.0/60); !ok {
		t.Fatal("a token given back on b is not there on a")
	}
	// The cost of a shared bucket: one statement.
	const n = 200
	start := time.Now()
	for i := range n {
		la.Take(ctx, "user:7", 60, 30) //nolint:errcheck
		_ = i
	}
	t.Logf("one shared token-bucket take: %v on average", time.Since(start)/n)
}
