package clustertest_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/internal/clustertest"
	"confab/wire"
)

// testArgs lift the per-address limits: behind HAProxy on loopback every
// client comes from 127.0.0.1 (docs/loadbalancer.md).
var testArgs = []string{"--signup-burst", "1000", "--max-conns-per-addr", "5000", "--log-level", "warn"}

// goChat is a Go client (package client) that records what it is given.
type goChat struct {
	chat *client.Chat
	mu   sync.Mutex
	got  map[int64]int // message id -> times it arrived as a MessageEvent
	sent map[int64]bool
	// For a failure's report: live messages since the last time back
	// (none: the room was not rejoined), and when the last live one came.
	liveSinceBack int
	lastLive      time.Time
	lost          time.Time   // when it last left Online; zero while online
	back          []time.Time // when it was Online again, after each loss
}

func connectGo(t *testing.T, ctx context.Context, c *clustertest.Cluster, name string) *goChat {
	t.Helper()
	sess, err := client.Register(ctx, c.URL(), name, "password-"+name, client.AllowPlainHTTP())
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	g := &goChat{chat: client.Connect(sess, client.Options{}), got: map[int64]int{}, sent: map[int64]bool{}}
	t.Cleanup(g.chat.Close)
	go func() {
		for ev := range g.chat.Events() {
			g.mu.Lock()
			switch e := ev.(type) {
			case client.MessageEvent:
				g.got[e.Message.ID]++
				if !e.Historic {
					g.liveSinceBack++
					g.lastLive = time.Now()
				}
			case client.DeliveryEvent:
				if e.Outgoing.State == client.Sent {
					g.sent[e.Outgoing.Message.ID] = true
				}
			case client.StateEvent:
				switch {
				case e.State == client.Online && !g.lost.IsZero():
					g.back, g.lost = append(g.back, time.Now()), time.Time{}
					g.liveSinceBack = 0
				case e.State != client.Online && g.lost.IsZero():
					g.lost = time.Now()
				}
			}
			g.mu.Unlock()
		}
	}()
	waitFor(t, ctx, name+" to connect", func() bool { return g.chat.State() == client.Online })
	if err := g.chat.Join(ctx, wire.DefaultRoom); err != nil {
		t.Fatalf("%s join: %v", name, err)
	}
	return g
}

// Clients spread over three nodes behind HAProxy, raw sockets and Go
// clients: every message reaches every member once, in id order.
func TestEveryMessageReachesEveryMemberOnceInOrder(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, clustertest.Options{Args: testArgs})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	var raws []*rawSocket
	nodes := map[string]int{}
	for u := 0; u < 4; u++ {
		token := account(t, c.URL(), fmt.Sprintf("raw%d", u))
		for i := 0; i < 3; i++ {
			s, err := dialRaw(ctx, c.URL(), token)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.close)
			raws = append(raws, s)
			nodes[s.node]++
		}
	}
	if len(nodes) != c.Nodes() {
		t.Fatalf("sockets reached %v, want all %d nodes", nodes, c.Nodes())
	}
	var gos []*goChat
	for i := 0; i < 3; i++ {
		gos = append(gos, connectGo(t, ctx, c, fmt.Sprintf("gochat%d", i)))
	}

	// Everyone sends at once: 3 messages per raw socket, 3 per Go client.
	var mu sync.Mutex
	acked := map[int64]*rawSocket{} // id -> the raw socket that sent it (nil: a Go client)
	var wg sync.WaitGroup
	for i, s := range raws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				var r sendReply
				err := s.call(ctx, wire.EventMessage, map[string]string{"text": fmt.Sprintf("raw %d says %d", i, j), "clientId": fmt.Sprintf("r%d-%d", i, j)}, &r)
				if err != nil || !r.OK {
					t.Errorf("send: %v %s", err, r.Error)
					return
				}
				mu.Lock()
				acked[r.Message.ID] = s
				mu.Unlock()
			}
		}()
	}
	for i, g := range gos {
		for j := 0; j < 3; j++ {
			if _, err := g.chat.Send(wire.DefaultRoom, fmt.Sprintf("go %d says %d", i, j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	waitFor(t, ctx, "every Go client's messages acknowledged", func() bool {
		for _, g := range gos {
			g.mu.Lock()
			n := len(g.sent)
			g.mu.Unlock()
			if n < 3 {
				return false
			}
		}
		return true
	})
	for _, g := range gos {
		g.mu.Lock()
		for id := range g.sent {
			acked[id] = nil
		}
		g.mu.Unlock()
	}
	total := len(acked)
	if total != 3*len(raws)+3*len(gos) {
		t.Fatalf("%d distinct ids acknowledged, want %d", total, 3*len(raws)+3*len(gos))
	}

	// Each raw socket receives every message but its own, once, in order.
	waitFor(t, ctx, "every raw socket to receive every other message", func() bool {
		for _, s := range raws {
			if len(s.received()) < total-3 {
				return false
			}
		}
		return true
	})
	for i, s := range raws {
		ids := s.received()
		if err := checkOrderOnce(ids); err != nil {
			t.Errorf("raw socket %d on %s: %v", i, s.node, err)
		}
		for _, id := range ids {
			if from, ok := acked[id]; !ok || from == s {
				t.Errorf("raw socket %d received %d (acknowledged: %v, its own: %v)", i, id, ok, from == s)
			}
		}
	}
	// Each Go client is given every other message once.
	waitFor(t, ctx, "every Go client to be given every other message", func() bool {
		for _, g := range gos {
			g.mu.Lock()
			n := len(g.got)
			g.mu.Unlock()
			if n < total-3 {
				return false
			}
		}
		return true
	})
	for i, g := range gos {
		g.mu.Lock()
		for id, n := range g.got {
			if n != 1 || g.sent[id] {
				t.Errorf("Go client %d: message %d given %d times (its own: %v)", i, id, n, g.sent[id])
			}
		}
		g.mu.Unlock()
	}
	// And the history, read through every node, has each once, in order.
	ids := sortedKeys(acked)
	for _, s := range raws[:c.Nodes()] {
		h, err := s.history(ctx, wire.DefaultRoom, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(h) != fmt.Sprint(ids) {
			t.Errorf("history through %s: %v\nwant %v", s.node, h, ids)
		}
	}
	t.Logf("%d messages, %d raw sockets on %v, %d Go clients", total, len(raws), nodes, len(gos))
}

func sortedKeys[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
