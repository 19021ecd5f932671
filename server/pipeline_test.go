package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/server/store"
	"confab/wire"
)

// readAcks reads frames until n acks came and returns their ids in the
// order they arrived, with each one's first argument.
func readAcks(t *testing.T, r *testserver.Raw, n int) (order []int, res map[int]map[string]any) {
	t.Helper()
	res = map[int]map[string]any{}
	for len(order) < n {
		f, err := r.Read()
		if err != nil {
			t.Fatalf("after %d acks: %v", len(order), err)
		}
		var id int
		if _, err := fmt.Sscanf(f, "43%d[", &id); err != nil {
			continue
		}
		a, err := parseAck(f, id)
		if err != nil {
			t.Fatal(err)
		}
		order, res[id] = append(order, id), a
	}
	return order, res
}

// wantStoredInOrder checks that the acks of messages first.. (the text of
// each is its ack id) came in that order, each with its message, stored
// under growing ids.
func wantStoredInOrder(t *testing.T, order []int, res map[int]map[string]any, first, n int) {
	t.Helper()
	var last float64
	for i, id := range order[:n] {
		m, ok := res[id]["message"].(map[string]any)
		if id != first+i || !ok || m["id"].(float64) <= last || m["text"] != fmt.Sprint(id) {
			t.Fatalf("ack %d of %d was for message %d: %.120v (previous id %v)", i+1, n, id, res[id], last)
		}
		last = m["id"].(float64)
	}
}

func metricsOf(t *testing.T, env *testserver.Env) func(name string) float64 {
	ms := httptest.NewServer(env.Srv.Metrics())
	t.Cleanup(ms.Close)
	return func(name string) float64 { return value(scrape(t, ms.URL)[name]) }
}

// A socket that sends 50 messages without waiting (within the default
// limits) gets them acknowledged in the order sent, stored in that order,
// sharing commits (one commit each before pipelining); a history read sent
// after them sees all 50.
func TestOneSocketsMessagesShareCommits(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	metric := metricsOf(t, env)
	r, err := testserver.DialRaw(env.URL, env.Register("alice", "password-a").Token)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 50
	for i := 1; i <= n; i++ {
		if err := r.Emit(i, wire.EventMessage, map[string]any{"text": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Emit(n+1, wire.EventHistory, map[string]any{"room": wire.DefaultRoom, "limit": n}); err != nil {
		t.Fatal(err)
	}
	order, res := readAcks(t, r, n+1)
	wantStoredInOrder(t, order, res, 1, n)
	if order[n] != n+1 || len(res[n+1]["messages"].([]any)) != n {
		t.Fatalf("history after %d sends: ack %d, %d messages", n, order[n], len(res[n+1]["messages"].([]any)))
	}
	commits := metric("confab_store_commit_messages") // its sample count
	if commits >= n {
		t.Fatalf("%d messages of one socket took %v commits: none shared", n, commits)
	}
	t.Logf("%d messages in %v commits", n, commits)
}

// holdWrites takes SQLite's write lock on env's database, as another
// process would: the server's writer waits for it (busy_timeout, 10 s), so
// messages stay in flight until release.
func holdWrites(t *testing.T, env *testserver.Env) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(env.Cfg.DataDir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		c.ExecContext(context.Background(), "ROLLBACK") //nolint:errcheck
		c.Close()
		db.Close()
	}
}

// MaxInFlight at its edge: 4 messages go in flight without waiting, and an
// event after them waits until they are acknowledged; a 5th message waits
// for the oldest. Everything is acknowledged in the order sent.
func TestInFlightBoundAtTheEdge(t *testing.T) {
	t.Parallel()
	const max = 4
	env := testserver.Start(t, server.Config{MaxInFlight: max})
	metric := metricsOf(t, env)
	r, err := testserver.DialRaw(env.URL, env.Register("alice", "password-a").Token)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	emit := func(from, to int) {
		for i := from; i <= to; i++ {
			if err := r.Emit(i, wire.EventMessage, map[string]any{"text": fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	release := holdWrites(t, env)
	emit(1, max)
	r.Emit(max+1, wire.EventTyping, map[string]any{"room": wire.DefaultRoom}) //nolint:errcheck
	testserver.WaitFor(t, 5*time.Second, "4 messages in flight", func() bool { return metric("confab_messages_in_flight") == max })
	if w := metric("confab_in_flight_waits_total"); w != 0 {
		t.Fatalf("%d messages waited at %d in flight", int(w), max)
	}
	release()
	order, res := readAcks(t, r, max+1)
	wantStoredInOrder(t, order, res, 1, max)
	if order[max] != max+1 {
		t.Fatalf("typing after %d messages was answered as ack %d of %d", max, len(order), max+1)
	}

	release = holdWrites(t, env)
	emit(max+2, 2*max+2) // 5 more
	testserver.WaitFor(t, 5*time.Second, "a message waiting for the oldest", func() bool {
		return metric("confab_in_flight_waits_total") == 1 && metric("confab_messages_in_flight") == max
	})
	release()
	order, res = readAcks(t, r, max+1)
	wantStoredInOrder(t, order, res, max+2, max+1)
}

// A socket that goes with messages in flight: they are still committed
// (and sent to the room), and the socket's completion goroutine ends.
func TestMessagesInFlightOutliveTheirSocket(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	metric := metricsOf(t, env)
	r, err := testserver.DialRaw(env.URL, env.Register("alice", "password-a").Token)
	if err != nil {
		t.Fatal(err)
	}
	bob := dial(t, env, env.Register("bob", "password-b").Token)
	release := holdWrites(t, env)
	for i := 1; i <= 5; i++ {
		if err := r.Emit(i, wire.EventMessage, map[string]any{"text": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	testserver.WaitFor(t, 5*time.Second, "5 messages in flight", func() bool { return metric("confab_messages_in_flight") == 5 })
	r.Close()
	testserver.WaitFor(t, 5*time.Second, "alice's socket gone", func() bool { return metric("confab_sockets") == 1 })
	release()
	testserver.WaitFor(t, 10*time.Second, "nothing in flight", func() bool { return metric("confab_messages_in_flight") == 0 })
	if _, err := bob.WaitEvents(wire.EventMessage, 5, 10*time.Second); err != nil {
		t.Fatalf("bob got %d of the 5 messages: %v", len(bob.Events(wire.EventMessage)), err)
	}
	testserver.WaitFor(t, 5*time.Second, "no pipeline goroutine left", func() bool {
		buf := make([]byte, 1<<20)
		return !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "server.(*pipeline).run")
	})
}

// A message that would be answered after one in flight for longer than
// MaxMessageWait is refused as unavailable, unstored, and answered in its
// place in the socket's order.
func TestMessageBehindALateOneIsRefused(t *testing.T) {
	t.Parallel()
	const limit = time.Second
	env := testserver.Start(t, server.Config{MaxMessageWait: limit})
	metric := metricsOf(t, env)
	r, err := testserver.DialRaw(env.URL, env.Register("alice", "password-a").Token)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	release := holdWrites(t, env)
	r.Emit(1, wire.EventMessage, map[string]any{"text": "1"}) //nolint:errcheck
	testserver.WaitFor(t, 5*time.Second, "a message in flight", func() bool { return metric("confab_messages_in_flight") == 1 })
	time.Sleep(limit + limit/5)                                                         // now in flight for longer than the limit
	r.Emit(2, wire.EventMessage, map[string]any{"text": "2"})                           //nolint:errcheck
	r.Emit(3, wire.EventHistory, map[string]any{"room": wire.DefaultRoom, "limit": 10}) //nolint:errcheck
	testserver.WaitFor(t, 5*time.Second, "the refusal queued", func() bool { return metric("confab_messages_in_flight") == 2 })
	release()
	order, res := readAcks(t, r, 3)
	if order[0] != 1 || order[1] != 2 || res[1]["ok"] != true || res[2]["error"] != wire.ErrUnavailable {
		t.Fatalf("acks %v: %v", order, res)
	}
	if n := len(res[3]["messages"].([]any)); n != 1 {
		t.Fatalf("%d messages stored, want the first alone", n)
	}
}
