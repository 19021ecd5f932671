package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/faildisk"
	"confab/internal/testserver"
	"confab/server"
	"confab/server/store"
	"confab/wire"
)

// Bounds of TestStorageRecoversByItself, generous for a loaded machine: on
// an idle one the disk's failure shows within milliseconds, and so does its
// recovery (the first send after it is stored).
const (
	probeInterval = 200 * time.Millisecond
	noticeWithin  = 5 * time.Second // /healthz says degraded, or ok again
	recoverWithin = 5 * time.Second // sends are stored again
)

func health(t *testing.T, env *testserver.Env) (int, wire.Health) {
	t.Helper()
	resp, err := http.Get(env.URL + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz: %v", err)
	}
	defer resp.Body.Close()
	var h wire.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("/healthz body: %v", err)
	}
	return resp.StatusCode, h
}

// sent is one send of the test's client: when it left, when its answer came.
type sent struct {
	cid        string
	start, end time.Time
	ok         bool
	id         float64
	answer     string
}

// The data directory turns read-only while a client sends, then writable
// again: sends fail honestly (never acknowledged ok) and /healthz says 503
// degraded meanwhile; once the disk is back, sends are stored again within
// recoverWithin, /healthz says ok, and every acknowledged message is in
// history once. Before the fix, a connection the pool opened while the disk
// was read-only stayed read-only, and sends failed until a minute passed
// without traffic.
func TestStorageRecoversByItself(t *testing.T) {
	dir := t.TempDir()
	env := testserver.Start(t, server.Config{DataDir: dir, HealthProbeInterval: probeInterval})
	alice := env.Register("alice", "password-a")
	sender := dial(t, env, alice.Token)
	readers := make([]*testserver.Sock, 8)
	for i := range readers {
		readers[i] = dial(t, env, alice.Token)
	}
	if code, h := health(t, env); code != http.StatusOK || h.Status != wire.HealthOK {
		t.Fatalf("/healthz before: %d %+v", code, h)
	}

	// The client: one message in flight, the failed one sent again with the
	// same clientId, as the client library's outbox does.
	var mu sync.Mutex
	var log []sent
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for n := 0; ; {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			s := sent{cid: fmt.Sprint("m", n), start: time.Now()}
			res, err := sender.Call(wire.EventMessage, map[string]any{"text": s.cid, "clientId": s.cid})
			s.end, s.answer = time.Now(), fmt.Sprint(res, err)
			if err == nil && res["ok"] == true {
				s.ok, s.id = true, res["message"].(map[string]any)["id"].(float64)
				n++
			}
			mu.Lock()
			log = append(log, s)
			mu.Unlock()
		}
	}()
	sends := func(after time.Time) (oks, fails []sent) {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range log {
			if s.start.After(after) {
				if s.ok {
					oks = append(oks, s)
				} else {
					fails = append(fails, s)
				}
			}
		}
		return oks, fails
	}
	// Readers meanwhile: bursts that make the pool open connections (on the
	// read-only disk, read-only ones).
	readBurst := func() {
		var wg sync.WaitGroup
		for _, r := range readers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.Call(wire.EventHistory, map[string]any{"room": wire.DefaultRoom, "limit": 5}) //nolint:errcheck
			}()
		}
		wg.Wait()
	}
	testserver.WaitFor(t, noticeWithin, "sends before the failure", func() bool {
		oks, _ := sends(time.Time{})
		return len(oks) >= 5
	})

	restore := faildisk.ReadOnly(t, dir, store.DBFile, store.DBFile+"-wal")
	failedAt := time.Now()
	testserver.WaitFor(t, noticeWithin, "/healthz to say degraded", func() bool {
		readBurst()
		code, h := health(t, env)
		if code == http.StatusOK && h.Status == wire.HealthOK {
			return false
		}
		if code != http.StatusServiceUnavailable || h.Status != wire.HealthDegraded || h.Message == "" || h.Version == "" || h.Protocol != wire.ProtocolVersion {
			t.Fatalf("/healthz while the disk fails: %d %+v", code, h)
		}
		return true
	})
	testserver.WaitFor(t, noticeWithin, "sends to fail", func() bool {
		readBurst()
		_, fails := sends(failedAt)
		return len(fails) >= 3
	})
	for i := 0; i < 50; i++ { // hammered, it still answers at once, from its cache
		if code, h := health(t, env); code != http.StatusServiceUnavailable || h.Status != wire.HealthDegraded {
			t.Fatalf("/healthz hammered while the disk fails: %d %+v", code, h)
		}
	}
	readBurst()
	restore()
	recoveredAt := time.Now()

	testserver.WaitFor(t, recoverWithin, "5 sends stored after the disk recovered", func() bool {
		oks, _ := sends(recoveredAt)
		return len(oks) >= 5
	})
	oks, _ := sends(recoveredAt)
	t.Logf("first send after the disk recovered stored %v later", oks[0].end.Sub(recoveredAt).Round(time.Millisecond))
	testserver.WaitFor(t, noticeWithin, "/healthz to say ok again", func() bool {
		code, h := health(t, env)
		return code == http.StatusOK && h.Status == wire.HealthOK && h.Message == ""
	})
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	acked := map[string]float64{}
	for _, s := range log {
		if s.ok {
			acked[s.cid] = s.id
			if s.start.After(failedAt) && s.end.Before(recoveredAt) {
				t.Fatalf("%s acknowledged ok while the disk was read-only: %s", s.cid, s.answer)
			}
			continue
		}
		if !strings.Contains(s.answer, wire.ErrInternal) {
			t.Fatalf("%s failed with %s, want %s", s.cid, s.answer, wire.ErrInternal)
		}
	}
	seen := map[string]int{}
	for _, m := range allHistory(t, readers[0], wire.DefaultRoom) {
		cid := m["clientId"].(string)
		seen[cid]++
		if id, ok := acked[cid]; ok && id != m["id"].(float64) {
			t.Fatalf("%s stored as %v, acknowledged as %v", cid, m["id"], id)
		}
	}
	for cid := range acked {
		if seen[cid] != 1 {
			t.Fatalf("acknowledged %s is in history %d times", cid, seen[cid])
		}
	}
	logs := env.Logs()
	if n := strings.Count(logs, "storage failing"); n != 1 {
		t.Fatalf("storage failing logged %d times, want once:\n%s", n, logs)
	}
	if n := strings.Count(logs, "storage recovered"); n != 1 {
		t.Fatalf("storage recovered logged %d times, want once:\n%s", n, logs)
	}
	t.Logf("%d sends acknowledged, all in history once; %d failed while the disk was read-only", len(acked), len(log)-len(acked))
}
