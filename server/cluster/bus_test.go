package cluster_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/pgtest"
	"confab/internal/testserver"
	"confab/server/cluster"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// recorder collects what a bus hands its node.
type recorder struct {
	mu   sync.Mutex
	evs  []cluster.Event
	at   []time.Time
	ups  int
	down int
}

func (r *recorder) handle(ev cluster.Event) {
	r.mu.Lock()
	r.evs, r.at = append(r.evs, ev), append(r.at, time.Now())
	r.mu.Unlock()
}

func (r *recorder) up()           { r.mu.Lock(); r.ups++; r.mu.Unlock() }
func (r *recorder) lost()         { r.mu.Lock(); r.down++; r.mu.Unlock() }
func (r *recorder) count() int    { r.mu.Lock(); defer r.mu.Unlock(); return len(r.evs) }
func (r *recorder) upsSoFar() int { r.mu.Lock(); defer r.mu.Unlock(); return r.ups }

func open(t *testing.T, url, node string, r *recorder, logs *bytes.Buffer) *cluster.Bus {
	t.Helper()
	cfg := cluster.Config{URL: url, Node: node, Handle: r.handle, OnUp: r.up, OnDown: r.lost,
		BackoffBase: 50 * time.Millisecond, BackoffCap: 400 * time.Millisecond}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))
	}
	b, err := cluster.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	testserver.WaitFor(t, 20*time.Second, node+" listening", func() bool { return b.State().Up })
	return b
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// Events published on one node reach every node, in the order published,
// and the NOTIFY latency is what docs/cluster.md reports.
func TestEventsReachEveryNodeInOrder(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	var ra, rb recorder
	a := open(t, url, "a", &ra, nil)
	open(t, url, "b", &rb, nil)
	const n = 200
	sent := make([]time.Time, n)
	ctx := context.Background()
	for i := range n {
		sent[i] = time.Now()
		if err := a.Publish(ctx, cluster.Event{Kind: cluster.KindCommit, ID: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	testserver.WaitFor(t, 20*time.Second, "every event on b", func() bool { return rb.count() == n })
	testserver.WaitFor(t, 20*time.Second, "every event on a", func() bool { return ra.count() == n })
	rb.mu.Lock()
	defer rb.mu.Unlock()
	lat := make([]time.Duration, n)
	for i, ev := range rb.evs {
		if ev.ID != int64(i+1) || ev.Node != "a" || ev.Kind != cluster.KindCommit {
			t.Fatalf("event %d on b is %+v", i, ev)
		}
		lat[i] = rb.at[i].Sub(sent[i])
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("NOTIFY publish-to-handler, %d events in a burst: p50 %v p99 %v", n, lat[n/2], lat[n*99/100])
	// One at a time, to a node that signals each: the bus's own latency.
	got := make(chan struct{}, 1)
	c, err := cluster.Open(cluster.Config{URL: url, Node: "c", Handle: func(cluster.Event) { got <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testserver.WaitFor(t, 20*time.Second, "c listening", func() bool { return c.State().Up })
	for i := range n {
		start := time.Now()
		if err := a.Publish(ctx, cluster.Event{Kind: cluster.KindCommit, ID: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("an event was lost")
		}
		lat[i] = time.Since(start)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("NOTIFY publish-to-handler, %d events one at a time: p50 %v p99 %v", n, lat[n/2], lat[n*99/100])
}

// A payload that is not an event is ignored with a bounded log line, and
// the bus goes on.
func TestGarbledPayloadsAreIgnored(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	var r recorder
	var logs bytes.Buffer
	b := open(t, url, "a", &r, &logs)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	junk := []string{"", "not json", `{"k":"msg"}`, `{"k":"nope","n":"x"}`, `{"k":"msg","n":"x","id":-4}`,
		`{"k":"typ","n":"x","r":"` + strings.Repeat("r", 300) + `"}`, strings.Repeat("[", 7000)}
	for range 20 {
		for _, j := range junk {
			if _, err := db.Exec(`SELECT pg_notify($1, $2)`, cluster.Channel, j); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Publish(context.Background(), cluster.Event{Kind: cluster.KindCommit, ID: 7}); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 20*time.Second, "the good event", func() bool { return r.count() == 1 })
	if ev := r.evs[0]; ev.ID != 7 {
		t.Fatalf("got %+v", ev)
	}
	lines := strings.Count((&lockedWriter{w: &logs}).String(), "not an event")
	if lines < 1 || lines > 2 {
		t.Fatalf("%d log lines for 140 garbled payloads, want 1 (bounded)", lines)
	}
	if _, err := cluster.Encode(cluster.Event{Kind: cluster.KindTyping, Room: strings.Repeat("x", 2000)}); err == nil {
		t.Fatal("an event over MaxPayload was encoded")
	}
}

// listenerPID finds a node's listening backend by its application_name, in
// this test's database (the server is shared with other tests' nodes).
func listenerPID(t *testing.T, db *sql.DB, node string) int {
	t.Helper()
	var pid int
	err := db.QueryRow(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`, cluster.ApplicationName(node)).Scan(&pid)
	if err != nil {
		t.Fatalf("listener of %s: %v", node, err)
	}
	return pid
}

// A listener cut by the database (pg_terminate_backend) comes back by
// itself and asks for a catch-up; State says what happened meanwhile.
func TestListenerCutReconnects(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	var r recorder
	b := open(t, url, "a", &r, nil)
	db, _ := sql.Open("pgx", url)
	defer db.Close()
	pid := listenerPID(t, db, "a")
	cut := time.Now()
	if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 20*time.Second, "a second connect", func() bool { return r.upsSoFar() == 2 })
	t.Logf("listener back %v after pg_terminate_backend", time.Since(cut))
	st := b.State()
	if !st.Up || st.Connects != 2 || st.LastError == "" || r.down != 1 {
		t.Fatalf("state after the cut: %+v, downs %d", st, r.down)
	}
	if p := listenerPID(t, db, "a"); p == pid {
		t.Fatal("the same backend listens")
	}
	if err := b.Publish(context.Background(), cluster.Event{Kind: cluster.KindCommit, ID: 1}); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 20*time.Second, "an event after the cut", func() bool { return r.count() == 1 })
}

// While the database is down the listener retries with capped backoff (a
// handful of attempts, not a busy loop), reports down with the reason,
// and is back by itself after the restart.
func TestDatabaseDownBacksOffAndRecovers(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	url := pg.NewDB(t)
	var r recorder
	b := open(t, url, "a", &r, nil)
	pg.Stop()
	testserver.WaitFor(t, 20*time.Second, "down", func() bool { return !b.State().Up })
	before := b.State()
	const window = 3 * time.Second
	time.Sleep(window) // the measure: how many attempts in this time
	after := b.State()
	attempts := after.Attempts - before.Attempts
	// Backoff 50 ms doubling to a 400 ms cap, each wait at least half:
	// at most about 2+window/200ms attempts; a busy loop makes thousands.
	if attempts < 2 || attempts > 2+int64(window/(200*time.Millisecond))+2 {
		t.Fatalf("%d connection attempts in %v while down", attempts, window)
	}
	t.Logf("%d connection attempts in %v while the database was down", attempts, window)
	if after.Up || after.LastError == "" || strings.Contains(after.LastError, "password") {
		t.Fatalf("state while down: %+v", after)
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	testserver.WaitFor(t, 20*time.Second, "up again", func() bool { return b.State().Up })
	t.Logf("listener back %v after the database took connections", time.Since(restarted))
	if r.upsSoFar() != 2 {
		t.Fatalf("%d catch-ups asked, want 2", r.upsSoFar())
	}
}

func TestCleanHidesPasswords(t *testing.T) {
	for _, s := range []string{
		"failed to connect to postgres://bob:s3cret@db:5432/confab",
		"dial error (host=db user=bob password=s3cret)",
	} {
		if got := cluster.Clean(errors.New(s)); strings.Contains(got, "s3cret") {
			t.Fatalf("Clean(%q) = %q", s, got)
		}
	}
}
