package cluster_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/internal/pgtest"
	"confab/internal/testserver"
	"confab/server"
	"confab/server/cluster"
	"confab/wire"
)

// Several real servers (internal/testserver) on one PostgreSQL database with
// one signing key: a cluster in one process, each node with its own data
// directory and HTTP port.

func startNodes(t *testing.T, url string, n int, tune ...func(*server.Config)) []*testserver.Env {
	t.Helper()
	var envs []*testserver.Env
	for i := range n {
		cfg := server.Config{Database: url, NodeID: fmt.Sprintf("n%d", i+1),
			PresenceGrace: 100 * time.Millisecond, EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000}
		for _, f := range tune {
			f(&cfg)
		}
		envs = append(envs, testserver.Start(t, cfg))
	}
	for _, e := range envs {
		waitHealthy(t, e)
	}
	return envs
}

func health(t *testing.T, e *testserver.Env) (int, wire.Health) {
	t.Helper()
	resp, err := http.Get(e.URL + wire.PathHealth)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h wire.Health
	json.NewDecoder(resp.Body).Decode(&h) //nolint:errcheck // checked by the caller
	return resp.StatusCode, h
}

func waitHealthy(t *testing.T, e *testserver.Env) {
	t.Helper()
	testserver.WaitFor(t, 30*time.Second, "node healthy", func() bool { code, _ := health(t, e); return code == http.StatusOK })
}

func dial(t *testing.T, e *testserver.Env, token string) *testserver.Sock {
	t.Helper()
	s, err := testserver.Dial(e.URL, testserver.DialOpts{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ids are the message ids of a socket's message events, in arrival order.
func ids(s *testserver.Sock) []int64 {
	var out []int64
	for _, e := range s.Events(wire.EventMessage) {
		if m, ok := e.Args[0].(map[string]any); ok {
			id, _ := m["id"].(float64)
			out = append(out, int64(id))
		}
	}
	return out
}

// inOrderOnce fails unless got is strictly increasing and holds want.
func inOrderOnce(t *testing.T, who string, got []int64, want map[int64]bool) {
	t.Helper()
	seen := map[int64]bool{}
	for i, id := range got {
		if i > 0 && id <= got[i-1] {
			t.Fatalf("%s: id %d after %d (out of order or twice): %v", who, id, got[i-1], got)
		}
		seen[id] = true
	}
	for id := range want {
		if !seen[id] {
			t.Fatalf("%s: message %d never arrived (%d of %d)", who, id, len(seen), len(want))
		}
	}
}

func send(s *testserver.Sock, text string) (int64, error) {
	res, err := s.Call(wire.EventMessage, map[string]any{"room": wire.DefaultRoom, "text": text})
	if err != nil {
		return 0, err
	}
	if res["ok"] != true {
		return 0, fmt.Errorf("refused: %v", res["error"])
	}
	id, _ := res["message"].(map[string]any)["id"].(float64)
	return int64(id), nil
}

// Messages sent on two nodes at once reach the members on all three in id
// order, exactly once; a sender's socket has its ack, not an echo.
func TestMessagesReachEveryNodeInOrderOnce(t *testing.T) {
	t.Parallel()
	envs := startNodes(t, pgtest.DB(t), 3)
	a, b, c := envs[0], envs[1], envs[2]
	alice, bob, carol := a.Register("alice", "password-alice"), b.Register("bob", "password-bob"), c.Register("carol", "password-carol")
	sa, sb, sc := dial(t, a, alice.Token), dial(t, b, bob.Token), dial(t, c, carol.Token)
	sa2 := dial(t, a, carol.Token) // carol on a too: a fan-out on one node
	want := map[int64]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	const each = 40
	for _, sender := range []*testserver.Sock{sa, sb} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id, err := send(sender, fmt.Sprintf("m%d", i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				want[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if _, err := sc.WaitEvents(wire.EventMessage, 2*each, 30*time.Second); err != nil {
		t.Fatalf("carol on c: %d of %d messages", len(ids(sc)), 2*each)
	}
	inOrderOnce(t, "carol on c", ids(sc), want)
	sa2.WaitEvents(wire.EventMessage, 2*each, 30*time.Second) //nolint:errcheck // checked next
	inOrderOnce(t, "carol on a", ids(sa2), want)
	sa.WaitEvents(wire.EventMessage, each, 30*time.Second) //nolint:errcheck
	sb.WaitEvents(wire.EventMessage, each, 30*time.Second) //nolint:errcheck
	time.Sleep(200 * time.Millisecond)                     // an echo would come now
	for who, s := range map[string]*testserver.Sock{"alice": sa, "bob": sb} {
		got := ids(s)
		if len(got) != each {
			t.Fatalf("%s received %d messages, want the other sender's %d (no echo of their own)", who, len(got), each)
		}
		inOrderOnce(t, who, got, nil)
	}
}

// latency sends n messages on one node, one at a time, and returns how long
// each took to reach a socket (on the same node or another), sorted.
func latency(t *testing.T, sender, receiver *testserver.Sock, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for i := range n {
		before := len(receiver.Events(wire.EventMessage))
		start := time.Now()
		if _, err := send(sender, fmt.Sprintf("lat %d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := receiver.WaitEvents(wire.EventMessage, before+1, 10*time.Second); err != nil {
			t.Fatal("message lost")
		}
		out = append(out, time.Since(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// The fan-out across nodes against one node (docs/cluster.md's numbers):
// measured, logged, not asserted (the machine is shared).
func TestFanOutLatencyAcrossNodes(t *testing.T) {
	envs := startNodes(t, pgtest.DB(t), 2)
	a, b := envs[0], envs[1]
	alice, bob := a.Register("alice", "password-alice"), b.Register("bob", "password-bob")
	sa := dial(t, a, alice.Token)
	onA, onB := dial(t, a, bob.Token), dial(t, b, bob.Token)
	const n = 100
	latency(t, sa, onA, 10) // warm up
	same := latency(t, sa, onA, n)
	testserver.WaitFor(t, 10*time.Second, "b caught up", func() bool {
		return len(onB.Events(wire.EventMessage)) == len(onA.Events(wire.EventMessage))
	})
	other := latency(t, sa, onB, n)
	// One server on SQLite, no cluster: the baseline.
	solo := testserver.Start(t, server.Config{EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000})
	alice, bob = solo.Register("alice", "password-alice"), solo.Register("bob", "password-bob")
	sa, onSolo := dial(t, solo, alice.Token), dial(t, solo, bob.Token)
	latency(t, sa, onSolo, 10)
	base := latency(t, sa, onSolo, n)
	t.Logf("send-to-delivery, %d messages one at a time: SQLite, no cluster p50 %v p99 %v; PostgreSQL node, same node p50 %v p99 %v; other node p50 %v p99 %v",
		n, base[n/2], base[n*99/100], same[n/2], same[n*99/100], other[n/2], other[n*99/100])
}

// A logout, a password change, a removal and a kick made on one node take
// effect on the sockets of the others at once.
func TestRevocationsCrossNodes(t *testing.T) {
	t.Parallel()
	envs := startNodes(t, pgtest.DB(t), 3)
	a, b, c := envs[0], envs[1], envs[2]
	admin := a.Register("admin", "password-admin") // the first account is an administrator
	bob := b.Register("bob", "password-bob")
	alice := a.Register("alice", "password-alice")

	// Logout on a: alice's socket on b is told and cut, her token refused.
	sb := dial(t, b, alice.Token)
	if code, _, _ := a.Post("/logout", "", "", alice.Token); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	unauthorized(t, sb, wire.ReasonTokenRevoked)
	if _, err := testserver.Dial(c.URL, testserver.DialOpts{Token: alice.Token}); err == nil {
		t.Fatal("a token logged out on a was taken by c")
	}

	// A password change on c ends bob's sockets on a and b.
	s1, s2 := dial(t, a, bob.Token), dial(t, b, bob.Token)
	body := `{"current":"password-bob","password":"password-bob-2"}`
	if code, _, res := c.Post(wire.PathPassword, "application/json", body, bob.Token); code != http.StatusOK {
		t.Fatalf("password change: %d %v", code, res)
	}
	unauthorized(t, s1, wire.ReasonPasswordChanged)
	unauthorized(t, s2, wire.ReasonPasswordChanged)

	// A kick on b takes alice's socket on c out of the room.
	alice = c.Login("alice", "password-alice")
	sc := dial(t, c, alice.Token)
	kick := `{"room":"` + wire.DefaultRoom + `"}`
	path := strings.Replace(wire.PathAdminKick, "{name}", "alice", 1)
	if code, _, res := b.Post(path, "application/json", kick, admin.Token); code != http.StatusNoContent {
		t.Fatalf("kick: %d %v", code, res)
	}
	if _, err := sc.WaitEvents(wire.EventKicked, 1, 10*time.Second); err != nil {
		t.Fatal("alice's socket on c was not kicked")
	}
	if res, _ := sc.Call(wire.EventMessage, map[string]any{"room": wire.DefaultRoom, "text": "still here?"}); res["error"] != wire.ErrNotInRoom {
		t.Fatalf("a kicked socket sent to the room: %v", res)
	}

	// A removal on a ends alice's socket on c.
	path = strings.Replace(wire.PathAdminRemove, "{name}", "alice", 1)
	if code, _, res := a.Post(path, "application/json", "{}", admin.Token); code != http.StatusNoContent {
		t.Fatalf("remove: %d %v", code, res)
	}
	unauthorized(t, sc, wire.ReasonUnknownUser)
}

func unauthorized(t *testing.T, s *testserver.Sock, reason string) {
	t.Helper()
	evs, err := s.WaitEvents(wire.EventUnauthorized, 1, 10*time.Second)
	if err != nil {
		t.Fatalf("no %s on the other node", reason)
	}
	if got := evs[0].Args[0].(map[string]any)["reason"]; got != reason {
		t.Fatalf("unauthorized %v, want %s", got, reason)
	}
}

// A node whose listener was cut missed no revocation: after it reconnects
// it reloads them from the database and refuses the token.
func TestMissedRevocationIsReloaded(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	envs := startNodes(t, url, 2)
	a, b := envs[0], envs[1]
	alice := a.Register("alice", "password-alice")
	sb := dial(t, b, alice.Token)
	db := openDB(t, url)
	// b's listener goes; while it is away, alice logs out on a.
	pid := listenerPID(t, db, "n2")
	if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := a.Post("/logout", "", "", alice.Token); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	unauthorized(t, sb, wire.ReasonTokenRevoked) // live, or from the reload after the reconnect
	waitHealthy(t, b)
	if _, err := testserver.Dial(b.URL, testserver.DialOpts{Token: alice.Token}); err == nil {
		t.Fatal("b took a token logged out while its listener was away")
	}
}

func openDB(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Presence is the cluster's: a user on b is online for a's sockets, and
// offline once they leave b; typing crosses nodes and is never stored.
func TestPresenceAndTypingAcrossNodes(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	envs := startNodes(t, url, 2)
	a, b := envs[0], envs[1]
	alice, bob := a.Register("alice", "password-alice"), b.Register("bob", "password-bob")
	sa := dial(t, a, alice.Token)
	sb := dial(t, b, bob.Token)
	presence := func(online bool) {
		t.Helper()
		testserver.WaitFor(t, 10*time.Second, fmt.Sprintf("bob online=%v on a", online), func() bool {
			for _, e := range sa.Events(wire.EventPresence) {
				m := e.Args[0].(map[string]any)
				if m["user"].(map[string]any)["username"] == "bob" && m["online"] == online {
					return true
				}
			}
			return false
		})
	}
	presence(true)
	res, err := sa.Call(wire.EventUsers, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res["users"].([]any) {
		if u := u.(map[string]any); u["username"] == "bob" && u["online"] != true {
			t.Fatalf("a lists bob offline: %v", u)
		}
	}
	db := openDB(t, url)
	var before int
	db.QueryRow(`SELECT count(*) FROM messages`).Scan(&before) //nolint:errcheck
	if _, err := sb.Call(wire.EventTyping, map[string]any{"room": wire.DefaultRoom}); err != nil {
		t.Fatal(err)
	}
	evs, err := sa.WaitEvents(wire.EventTyping, 1, 10*time.Second)
	if err != nil {
		t.Fatal("typing on b did not reach a")
	}
	if u := evs[0].Args[0].(map[string]any)["user"].(map[string]any); u["username"] != "bob" {
		t.Fatalf("typing of %v", u)
	}
	var after int
	db.QueryRow(`SELECT count(*) FROM messages`).Scan(&after) //nolint:errcheck
	if after != before {
		t.Fatal("typing was stored")
	}
	sb.Close()
	presence(false)
}

// The listener of a node is cut (pg_terminate_backend) three times while
// messages flow from another node: every message reaches the cut node's
// member once, in order (catch-up by id fills each gap).
func TestListenerCutWhileMessagesFlow(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	envs := startNodes(t, url, 2)
	a, b := envs[0], envs[1]
	alice, carol := a.Register("alice", "password-alice"), b.Register("carol", "password-carol")
	sa, sb := dial(t, a, alice.Token), dial(t, b, carol.Token)
	db := openDB(t, url)
	want := map[int64]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 150 {
			id, err := send(sa, fmt.Sprintf("m%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			want[id] = true
			time.Sleep(5 * time.Millisecond)
		}
	}()
	cuts := 0
	for ; cuts < 3; cuts++ {
		time.Sleep(100 * time.Millisecond)
		pid := listenerPID(t, db, "n2")
		if _, err := db.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		testserver.WaitFor(t, 20*time.Second, "a new listener", func() bool {
			var n int
			db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND pid <> $2 AND datname = current_database()`, //nolint:errcheck
				cluster.ApplicationName("n2"), pid).Scan(&n)
			return n == 1
		})
		waitHealthy(t, b)
	}
	<-done
	if t.Failed() {
		return
	}
	if _, err := sb.WaitEvents(wire.EventMessage, len(want), 30*time.Second); err != nil {
		t.Fatalf("%d of %d messages reached b after %d cuts", len(ids(sb)), len(want), cuts)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate would come now
	inOrderOnce(t, "carol on b", ids(sb), want)
	if got := len(ids(sb)); got != len(want) {
		t.Fatalf("%d messages for %d sent", got, len(want))
	}
}

// While PostgreSQL is down no send is acknowledged and /healthz says 503
// with the reason; after its restart the nodes recover by themselves and
// messages cross them again.
func TestDatabaseRestart(t *testing.T) {
	t.Parallel()
	pg := pgtest.Start(t)
	envs := startNodes(t, pg.NewDB(t), 2)
	a, b := envs[0], envs[1]
	alice, bob := a.Register("alice", "password-alice"), b.Register("bob", "password-bob")
	sa, sb := dial(t, a, alice.Token), dial(t, b, bob.Token)
	if _, err := send(sa, "before"); err != nil {
		t.Fatal(err)
	}
	// A real client too: what it sends while the database is down waits
	// in its outbox, and goes once the node takes messages again.
	ctx := context.Background()
	sess, err := client.Login(ctx, a.URL, "alice", "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	chat := client.Connect(sess, client.Options{RateLimitPause: 200 * time.Millisecond})
	t.Cleanup(chat.Close)
	testserver.WaitFor(t, 10*time.Second, "the client online", func() bool { return chat.State() == client.Online })
	pg.Stop()
	stopped := time.Now()
	for _, e := range envs {
		testserver.WaitFor(t, 30*time.Second, "503 while the database is down", func() bool {
			code, h := health(t, e)
			return code == http.StatusServiceUnavailable && h.Message != "" && h.Node != ""
		})
	}
	res, err := sa.Call(wire.EventMessage, map[string]any{"room": wire.DefaultRoom, "text": "while down"})
	if err == nil && res["ok"] == true {
		t.Fatal("a message was acknowledged while the database was down")
	}
	if err == nil && res["error"] != wire.ErrUnavailable {
		t.Fatalf("refused with %v, want %s", res["error"], wire.ErrUnavailable)
	}
	t.Logf("both nodes 503 %v after the database stopped", time.Since(stopped))
	queued, err := chat.Send(wire.DefaultRoom, "queued while down")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a few tries of the outbox, all refused
	for len(chat.Events()) > 0 {
		if d, ok := (<-chat.Events()).(client.DeliveryEvent); ok && d.Outgoing.ClientID == queued && d.Outgoing.State != client.Pending {
			t.Fatalf("the client's message settled while the database was down: %+v", d.Outgoing)
		}
	}
	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	for _, e := range envs {
		waitHealthy(t, e)
	}
	t.Logf("both nodes healthy %v after the database took connections again", time.Since(restarted))
	testserver.WaitFor(t, 30*time.Second, "a send after the restart", func() bool {
		_, err := send(sa, "after")
		return err == nil
	})
	testserver.WaitFor(t, 30*time.Second, "bob gets it", func() bool {
		for _, e := range sb.Events(wire.EventMessage) {
			if e.Args[0].(map[string]any)["text"] == "after" {
				return true
			}
		}
		return false
	})
	for _, e := range sb.Events(wire.EventMessage) {
		if e.Args[0].(map[string]any)["text"] == "while down" {
			t.Fatal("a refused message was delivered")
		}
	}
	for {
		select {
		case ev := <-chat.Events():
			if d, ok := ev.(client.DeliveryEvent); ok && d.Outgoing.ClientID == queued && d.Outgoing.State != client.Pending {
				if d.Outgoing.State != client.Sent {
					t.Fatalf("the queued message ended %v: %v", d.Outgoing.State, d.Outgoing.Err)
				}
				return
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the client's queued message never went after the restart")
		}
	}
}

// The login throttle and a user's message rate hold for the cluster: spread
// over three nodes, the attempts and messages let through are one node's.
func TestLimitsHoldAcrossNodes(t *testing.T) {
	t.Parallel()
	envs := startNodes(t, pgtest.DB(t), 3, func(c *server.Config) {
		c.UserMessageRate, c.UserMessageBurst = 0.01, 10
	})
	envs[0].Register("alice", "password-alice")
	refused := 0
	for i := range 12 { // 5 failures allowed per username, whichever node
		e := envs[i%3]
		code, _, _ := e.Post("/login", "application/json", testserver.JSON("alice", "wrong-password"), "")
		if code == http.StatusTooManyRequests {
			refused++
		}
	}
	if refused != 12-server.DefaultLoginPerUser {
		t.Fatalf("%d of 12 failed logins over 3 nodes refused, want %d", refused, 12-server.DefaultLoginPerUser)
	}
	bob := envs[1].Register("bob", "password-bob")
	socks := []*testserver.Sock{dial(t, envs[0], bob.Token), dial(t, envs[1], bob.Token), dial(t, envs[2], bob.Token)}
	sent := 0
	for i := range 30 {
		res, err := socks[i%3].Call(wire.EventMessage, map[string]any{"room": wire.DefaultRoom, "text": "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if res["ok"] == true {
			sent++
		} else if res["error"] != wire.ErrRateLimited {
			t.Fatalf("refused with %v", res["error"])
		}
	}
	if sent != 10 {
		t.Fatalf("bob sent %d messages over 3 nodes, want the burst of 10", sent)
	}
}

func call(t *testing.T, s *testserver.Sock, event string, payload map[string]any) map[string]any {
	t.Helper()
	res, err := s.Call(event, payload)
	if err != nil || res["ok"] != true {
		t.Fatalf("%s: %v %v", event, res, err)
	}
	return res
}

// Edits and reactions, private groups (created, joined, left) and
// mentions made on one node reach the sockets on the other.
func TestChangesGroupsAndMentionsCrossNodes(t *testing.T) {
	t.Parallel()
	envs := startNodes(t, pgtest.DB(t), 2)
	a, b := envs[0], envs[1]
	alice, bob := a.Register("alice", "password-alice"), b.Register("bob", "password-bob")
	sa, sb := dial(t, a, alice.Token), dial(t, b, bob.Token)

	id, err := send(sa, "first draft")
	if err != nil {
		t.Fatal(err)
	}
	call(t, sa, wire.EventEdit, map[string]any{"id": id, "text": "final"})
	call(t, sb, wire.EventReact, map[string]any{"id": id, "emoji": wire.Reactions[0]})
	if _, err := sb.WaitEvents(wire.EventUpdate, 1, 10*time.Second); err != nil {
		t.Fatal("alice's edit on a did not reach bob on b")
	}
	testserver.WaitFor(t, 10*time.Second, "bob's reaction on b in an update to alice on a", func() bool {
		for _, e := range sa.Events(wire.EventUpdate) {
			if rs, _ := e.Args[0].(map[string]any)["reactions"].([]any); len(rs) == 1 {
				return true
			}
		}
		return false
	})

	// A group made on a: bob's socket on b is told, joins, reads and leaves.
	res := call(t, sa, wire.EventGroup, map[string]any{"name": "plans", "members": []any{"bob"}})
	room := res["conversation"].(map[string]any)["room"].(string)
	if _, err := sb.WaitEvents(wire.EventConversation, 1, 10*time.Second); err != nil {
		t.Fatal("bob on b was not told of the group made on a")
	}
	call(t, sb, wire.EventJoin, map[string]any{"room": room})
	before := len(ids(sb))
	if _, err := sa.Call(wire.EventJoin, map[string]any{"room": room}); err != nil {
		t.Fatal(err)
	}
	res, err = sa.Call(wire.EventMessage, map[string]any{"room": room, "text": "secret plan"})
	if err != nil || res["ok"] != true {
		t.Fatalf("send to the group: %v %v", res, err)
	}
	if _, err := sb.WaitEvents(wire.EventMessage, before+1, 10*time.Second); err != nil {
		t.Fatal("the group's message did not reach bob on b")
	}
	call(t, sb, wire.EventLeaveGroup, map[string]any{"room": room})
	testserver.WaitFor(t, 10*time.Second, "alice told bob left", func() bool {
		return len(sa.Events(wire.EventConversation)) >= 1
	})
	send(sa, "@bob look") //nolint:errcheck // a mention in the public room bob is in: a message, not a mention
	res, err = sa.Call(wire.EventMessage, map[string]any{"room": room, "text": "after bob left"})
	if err != nil || res["ok"] != true {
		t.Fatalf("send to the group: %v %v", res, err)
	}
	// bob's socket left the group's room: a message there is not his.
	time.Sleep(300 * time.Millisecond)
	for _, e := range sb.Events(wire.EventMessage) {
		if e.Args[0].(map[string]any)["text"] == "after bob left" {
			t.Fatal("bob on b got a message of a group he left")
		}
	}

	// A mention of bob in a room his socket is not in reaches him on b.
	call(t, sa, wire.EventJoin, map[string]any{"room": "elsewhere"})
	if _, err := sa.Call(wire.EventMessage, map[string]any{"room": "elsewhere", "text": "hey @bob"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.WaitEvents(wire.EventMention, 1, 10*time.Second); err != nil {
		t.Fatal("a mention made on a did not reach bob on b")
	}
}

// A node cut off from the database for good (its role may no longer log
// in, its connections ended: no heartbeat, no cleanup, as a node that
// died) has its users go offline on the others within 30 s, and drains
// itself (503).
func TestDeadNodesUsersGoOffline(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	db := openDB(t, url)
	role := fmt.Sprintf("node_%d", time.Now().UnixNano())
	if _, err := db.Exec(`CREATE ROLE ` + role + ` LOGIN SUPERUSER`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec(`DROP ROLE IF EXISTS ` + role) }) //nolint:errcheck // a shared server's leftovers
	a := startNodes(t, url, 1)[0]
	b := testserver.Start(t, server.Config{Database: strings.Replace(url, "postgres@", role+"@", 1), NodeID: "doomed",
		PresenceGrace: 100 * time.Millisecond})
	waitHealthy(t, b)
	alice, bob := a.Register("alice", "password-alice"), b.Register("bob", "password-bob")
	sa := dial(t, a, alice.Token)
	dial(t, b, bob.Token)
	bobIs := func(online bool) func() bool {
		return func() bool {
			res, err := sa.Call(wire.EventUsers, nil)
			if err != nil {
				return false
			}
			for _, u := range res["users"].([]any) {
				if u := u.(map[string]any); u["username"] == "bob" {
					return u["online"] == online
				}
			}
			return false
		}
	}
	testserver.WaitFor(t, 10*time.Second, "bob online on a", bobIs(true))
	if _, err := db.Exec(`ALTER ROLE ` + role + ` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role); err != nil {
		t.Fatal(err)
	}
	died := time.Now()
	testserver.WaitFor(t, 30*time.Second, "bob offline on a", bobIs(false))
	t.Logf("the dead node's user offline on the other %v after it lost the database", time.Since(died))
	told := false
	for _, e := range sa.Events(wire.EventPresence) {
		m := e.Args[0].(map[string]any)
		told = told || m["user"].(map[string]any)["username"] == "bob" && m["online"] == false
	}
	if !told {
		t.Fatal("alice's socket was not told bob went")
	}
	if code, h := health(t, b); code != http.StatusServiceUnavailable || h.Node != "doomed" {
		t.Fatalf("the cut-off node answers %d %+v", code, h)
	}
}

// A revocation whose event never reached a node (written straight into the
// database here, as a node that died before its NOTIFY would leave it) is
// refused by that node where a token is taken: a socket's connect and a
// refresh. b has taken alice's token before, so it knows her.
func TestRevocationWithoutItsEventIsRefused(t *testing.T) {
	t.Parallel()
	url := pgtest.DB(t)
	envs := startNodes(t, url, 2)
	a, b := envs[0], envs[1]
	alice := a.Register("alice", "password-alice")
	dial(t, b, alice.Token).Close()
	var claims struct {
		Sid string `json:"sid"`
	}
	part := strings.Split(alice.Token, ".")[1]
	raw, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil || json.Unmarshal(raw, &claims) != nil || claims.Sid == "" {
		t.Fatalf("no sid in the token: %v", err)
	}
	db := openDB(t, url)
	if _, err := db.Exec(`INSERT INTO revoked_sessions(sid, expires_at) VALUES ($1, $2)`,
		claims.Sid, time.Now().Add(time.Hour).Unix()); err != nil {
		t.Fatal(err)
	}
	if _, err := testserver.Dial(b.URL, testserver.DialOpts{Token: alice.Token}); err == nil {
		t.Fatal("b took a token revoked in the database for a new socket")
	}
	if code, _, res := b.Post(wire.PathRefresh, "", "", alice.Token); code != http.StatusUnauthorized || res["error"] != wire.ReasonTokenRevoked {
		t.Fatalf("b refreshed a token revoked in the database: %d %v", code, res)
	}
}
