package clustertest_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/internal/clustertest"
	"confab/wire"
)

// The load: 300 sockets, 10 messages a second.
const (
	loadUsers      = 30
	socketsPerUser = 10
	loadSenders    = 5
	sendEvery      = 500 * time.Millisecond // per sender: 10 a second together
)

// loadRun is a cluster with 300 members and 5 senders running.
type loadRun struct {
	c       *clustertest.Cluster
	members []*member
	senders []*sender

	mu    sync.Mutex
	acked map[int64]bool
	acks  []ackRecord
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

type ackRecord struct {
	id            int64
	sentAt, ackAt time.Time
	ok            bool
}

// startLoad connects the members (a few at a time: the cluster is on two
// loaded cores) and starts the senders.
func startLoad(t *testing.T, ctx context.Context, c *clustertest.Cluster) *loadRun {
	t.Helper()
	mctx, cancel := context.WithCancel(ctx)
	l := &loadRun{c: c, acked: map[int64]bool{}}
	var members sync.WaitGroup
	t.Cleanup(func() { cancel(); members.Wait() }) // before the cluster's cleanup
	connected := make(chan struct{}, loadUsers*socketsPerUser)
	gate := make(chan struct{}, 16)
	for u := 0; u < loadUsers; u++ {
		token := account(t, c.URL(), fmt.Sprintf("load%d", u))
		for i := 0; i < socketsPerUser; i++ {
			m := newMember(c.URL(), token)
			l.members = append(l.members, m)
			members.Add(1)
			gate <- struct{}{}
			go func() {
				defer members.Done()
				first := make(chan struct{}, 1)
				go func() { <-first; <-gate; connected <- struct{}{} }()
				m.run(mctx, first)
			}()
		}
	}
	for range l.members {
		select {
		case <-connected:
		case <-ctx.Done():
			t.Fatal("members did not all connect")
		}
	}
	// Senders on every node.
	byNode := map[string][]*member{}
	for _, m := range l.members {
		if s := m.connectedNow(); s != nil {
			byNode[s.node] = append(byNode[s.node], m)
		}
	}
	sctx, stop := context.WithCancel(mctx)
	l.stop = stop
	for i := 0; i < loadSenders; i++ {
		node := c.NodeID(i % c.Nodes())
		if len(byNode[node]) == 0 {
			t.Fatalf("no member on %s: %v", node, nodeCounts(l.members))
		}
		m := byNode[node][0]
		byNode[node] = byNode[node][1:]
		s := &sender{m: m, name: fmt.Sprintf("s%d", i), acked: map[int64]string{}}
		l.senders = append(l.senders, s)
		l.wg.Add(1)
		go func() { defer l.wg.Done(); s.run(sctx, sendEvery, l.record) }()
	}
	return l
}

func (l *loadRun) record(id int64, sentAt, ackAt time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks = append(l.acks, ackRecord{id, sentAt, ackAt, ok})
	if ok {
		l.acked[id] = true
	}
}

// okAcks is how many messages were acknowledged ok so far.
func (l *loadRun) okAcks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// waitAcks waits for n more ok acknowledgements.
func (l *loadRun) waitAcks(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	want := l.okAcks() + n
	waitFor(t, ctx, fmt.Sprintf("%d acknowledged messages", want), func() bool { return l.okAcks() >= want })
}

// stopSending ends the senders (a message waiting for its answer gets it
// or its timeout) and returns the acknowledged ids.
func (l *loadRun) stopSending() []int64 {
	l.stop()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return sortedKeys(l.acked)
}

// verify checks that every member has every acknowledged message (live or
// caught up), none pushed twice on one connection, and that the history
// holds each once, read through every node.
func (l *loadRun) verify(t *testing.T, ctx context.Context, acked []int64) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for wctx.Err() == nil && l.missing(acked) != "" {
		sleep(wctx, 100*time.Millisecond)
	}
	if miss := l.missing(acked); miss != "" {
		t.Fatalf("acknowledged messages never reached some members:\n%s", miss)
	}
	for i, m := range l.members {
		m.mu.Lock()
		if m.liveDups > 0 {
			t.Errorf("member %d (on %v) was pushed %d messages twice on one connection", i, m.nodes, m.liveDups)
		}
		m.mu.Unlock()
	}
	clientIDs := map[string]string{}
	for _, s := range l.senders {
		for id, cid := range s.acked {
			clientIDs[fmt.Sprint(id)] = cid
		}
	}
	read := map[string]bool{}
	for _, m := range l.members {
		s := m.connectedNow()
		if s == nil || read[s.node] {
			continue
		}
		read[s.node] = true
		msgs, err := s.messages(ctx, wire.DefaultRoom, 0)
		if err != nil {
			t.Fatal(err)
		}
		byClient, have := map[string]int64{}, map[int64]bool{}
		for _, msg := range msgs {
			if prev, dup := byClient[msg.ClientID]; dup && msg.ClientID != "" {
				t.Errorf("history through %s: clientId %s stored twice (%d and %d)", s.node, msg.ClientID, prev, msg.ID)
			}
			byClient[msg.ClientID] = msg.ID
			have[msg.ID] = true
		}
		for _, id := range acked {
			if !have[id] {
				t.Errorf("history through %s lacks acknowledged message %d (%s)", s.node, id, clientIDs[fmt.Sprint(id)])
			}
		}
	}
}

// missing describes the members that lack acknowledged messages.
func (l *loadRun) missing(acked []int64) string {
	var out string
	n := 0
	for i, m := range l.members {
		if miss := m.missing(acked); len(miss) > 0 {
			n++
			if n <= 5 {
				m.mu.Lock()
				out += fmt.Sprintf("member %d (nodes %v, last %d): %d missing, first %v\n", i, m.nodes, m.last, len(miss), miss[:min(len(miss), 5)])
				m.mu.Unlock()
			}
		}
	}
	if n > 0 {
		out += fmt.Sprintf("%d of %d members lack some\n", n, len(l.members))
	}
	return out
}

func nodeCounts(ms []*member) map[string]int {
	n := map[string]int{}
	for _, m := range ms {
		if s := m.connectedNow(); s != nil {
			n[s.node]++
		} else {
			n["(away)"]++
		}
	}
	return n
}

// Kill -9 a node under load: its clients are back through HAProxy within
// 10 s, and every acknowledged message is in every client's history, none
// twice.
// Not parallel: the two load tests take their turns, each alone.
func TestKillANodeUnderLoad(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Args: testArgs})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// Some of the clients are Go clients (package client), which reconnect
	// and catch up by themselves. They join before the senders start: a
	// join gives the newest wire.JoinHistory messages, and older ones are
	// history the app asks for, never events; a Go client joining later
	// (on a loaded machine, seconds later) rightly lacks them.
	var gos []*goChat
	for i := 0; i < 6; i++ {
		gos = append(gos, connectGo(t, ctx, c, fmt.Sprintf("gokill%d", i)))
	}
	l := startLoad(t, ctx, c)
	l.waitAcks(t, ctx, 20)

	const victim = 1
	var onVictim []*member
	for _, m := range l.members {
		if s := m.connectedNow(); s != nil && s.node == c.NodeID(victim) {
			onVictim = append(onVictim, m)
		}
	}
	before := nodeCounts(l.members)
	killedAt := time.Now()
	c.Kill(victim)
	waitFor(t, ctx, "the killed node's clients to be back", func() bool {
		for _, m := range onVictim {
			m.mu.Lock()
			back := len(m.backAt) > 0 && m.sock != nil
			m.mu.Unlock()
			if !back {
				return false
			}
		}
		return true
	})
	var slowest time.Duration
	for _, m := range onVictim {
		m.mu.Lock()
		slowest = max(slowest, m.backAt[0].Sub(killedAt))
		if m.nodes[len(m.nodes)-1] == c.NodeID(victim) {
			t.Errorf("a member is back on the killed node %v", m.nodes)
		}
		m.mu.Unlock()
	}
	t.Logf("kill -9 of %s: its %d clients (of %v) all back through HAProxy after %v",
		c.NodeID(victim), len(onVictim), before, slowest.Round(time.Millisecond))
	if slowest > 10*time.Second {
		t.Errorf("the killed node's clients took %v to be back, want at most 10 s", slowest)
	}
	goBack := goClientsBack(t, ctx, gos, killedAt)
	l.waitAcks(t, ctx, 20)
	acked := l.stopSending()
	l.verify(t, ctx, acked)
	goVerify(t, ctx, c, gos, acked)
	t.Logf("%d messages acknowledged; members now on %v; Go clients that lost their node back after %v",
		len(acked), nodeCounts(l.members), goBack)
}

// goClientsBack waits until the Go clients that lost their node are
// Online again, and checks they were back within 10 s of the kill.
func goClientsBack(t *testing.T, ctx context.Context, gos []*goChat, killedAt time.Time) []time.Duration {
	t.Helper()
	waitFor(t, ctx, "the Go clients to be online", func() bool {
		for _, g := range gos {
			g.mu.Lock()
			down := !g.lost.IsZero()
			g.mu.Unlock()
			if down || g.chat.State() != client.Online {
				return false
			}
		}
		return true
	})
	var back []time.Duration
	for i, g := range gos {
		g.mu.Lock()
		for _, at := range g.back {
			if at.Before(killedAt) {
				continue // its first connection
			}
			d := at.Sub(killedAt)
			back = append(back, d.Round(time.Millisecond))
			if d > 10*time.Second {
				t.Errorf("Go client %d was back %v after the kill, want at most 10 s", i, d)
			}
			break
		}
		g.mu.Unlock()
	}
	return back
}

// goVerify checks that each Go client was given every acknowledged
// message of the others, once. If not, it says which messages each lacks,
// whether the database has them and whether the client's history shows
// them when asked now.
func goVerify(t *testing.T, ctx context.Context, c *clustertest.Cluster, gos []*goChat, acked []int64) {
	t.Helper()
	complete := func() bool {
		for _, g := range gos {
			if len(g.missing(acked)) > 0 {
				return false
			}
		}
		return true
	}
	start := time.Now()
	for !complete() && ctx.Err() == nil {
		sleep(ctx, 50*time.Millisecond)
	}
	if !complete() {
		t.Fatalf("timed out after %v waiting for every Go client to be given every acknowledged message:\n%s",
			time.Since(start).Round(time.Millisecond), goReport(c, gos, acked))
	}
	for i, g := range gos {
		g.mu.Lock()
		for id, n := range g.got {
			if n != 1 {
				t.Errorf("Go client %d was given message %d %d times", i, id, n)
			}
		}
		g.mu.Unlock()
	}
}

// missing lists the ids of want the client was not given (nor sent).
func (g *goChat) missing(want []int64) []int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []int64
	for _, id := range want {
		if g.got[id] == 0 && !g.sent[id] {
			out = append(out, id)
		}
	}
	return out
}

// goReport describes what each Go client lacks, for a failure message.
func goReport(c *clustertest.Cluster, gos []*goChat, acked []int64) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	for i, g := range gos {
		miss := g.missing(acked)
		g.mu.Lock()
		fmt.Fprintf(&out, "Go client %d (%s, back %v, %d live messages since, last live %v ago): given %d, lacks %d of %d acknowledged",
			i, g.chat.State(), stamps(g.back), g.liveSinceBack, time.Since(g.lastLive).Round(time.Millisecond), len(g.got), len(miss), len(acked))
		g.mu.Unlock()
		if len(miss) == 0 {
			out.WriteString("\n")
			continue
		}
		miss = miss[:min(len(miss), 20)]
		fmt.Fprintf(&out, ", first %v\n    in the database: %s\n    in its history asked now: %s\n",
			miss, inDatabase(ctx, c, miss), inHistory(ctx, g, miss))
	}
	return out.String()
}

func stamps(ts []time.Time) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Format("15:04:05.000"))
	}
	return s
}

// inDatabase says which of ids PostgreSQL holds, with room and clientId.
func inDatabase(ctx context.Context, c *clustertest.Cluster, ids []int64) string {
	db, err := sql.Open("pgx", c.DSN())
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT id, room, COALESCE(client_id, '') FROM messages WHERE id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var have []string
	for rows.Next() {
		var id int64
		var room, cid string
		if err := rows.Scan(&id, &room, &cid); err != nil {
			return err.Error()
		}
		have = append(have, fmt.Sprintf("%d #%s %s", id, room, cid))
	}
	return fmt.Sprintf("%d of %d %v", len(have), len(ids), have)
}

// inHistory says which of ids (sorted) the client's history shows now.
func inHistory(ctx context.Context, g *goChat, ids []int64) string {
	msgs, err := g.chat.History(ctx, wire.DefaultRoom, ids[len(ids)-1]+1, wire.MaxHistory)
	if err != nil {
		return err.Error()
	}
	have := map[int64]bool{}
	for _, m := range msgs {
		have[m.ID] = true
	}
	var shown []int64
	for _, id := range ids {
		if have[id] {
			shown = append(shown, id)
		}
	}
	return fmt.Sprintf("%d of %d %v", len(shown), len(ids), shown)
}

// Restart PostgreSQL under load: no message is acknowledged while it is
// down, the nodes recover by themselves, nothing acknowledged is lost.
func TestRestartPostgreSQLUnderLoad(t *testing.T) {
	c := clustertest.Start(t, clustertest.Options{Args: testArgs})
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	l := startLoad(t, ctx, c)
	l.waitAcks(t, ctx, 20)

	c.PG().Stop()
	downAt := time.Now()
	// Every node says so on /healthz, and HAProxy takes them out.
	for i := 0; i < c.Nodes(); i++ {
		if err := c.WaitNodeState(ctx, i, false); err != nil {
			t.Fatal(err)
		}
	}
	// Sends go on meanwhile; wait until some were answered while it was down.
	waitFor(t, ctx, "answers to messages sent while PostgreSQL was down", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		n := 0
		for _, a := range l.acks {
			if a.sentAt.After(downAt) {
				n++
			}
		}
		return n >= 3
	})
	upAt := time.Now()
	if err := c.PG().Restart(); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	answered := 0
	for _, a := range l.acks {
		if a.sentAt.After(downAt) && a.ackAt.Before(upAt) {
			answered++
			if a.ok {
				t.Errorf("message %d sent %v after PostgreSQL stopped was acknowledged ok while it was down", a.id, a.sentAt.Sub(downAt))
			}
		}
	}
	l.mu.Unlock()
	recoverCtx, cancelRecover := context.WithTimeout(ctx, 90*time.Second)
	defer cancelRecover()
	if err := c.WaitHealthy(recoverCtx); err != nil {
		t.Fatalf("the nodes did not recover by themselves: %v", err)
	}
	recovered := time.Since(upAt)
	l.waitAcks(t, ctx, 20)
	acked := l.stopSending()
	l.verify(t, ctx, acked)
	t.Logf("PostgreSQL down %v: %d sends answered meanwhile, none ok; every node healthy %v after its restart; %d messages acknowledged in all",
		upAt.Sub(downAt).Round(time.Millisecond), answered, recovered.Round(time.Millisecond), len(acked))
}
