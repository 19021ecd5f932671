package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/wire"
)

// daemon is confabd running as a child process.
type daemon struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "confabd")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/confabd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // the headless build must not need cgo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build confabd: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startDaemon(t *testing.T, bin, dataDir, addr string) *daemon {
	t.Helper()
	d := &daemon{url: "http://" + addr, stderr: &bytes.Buffer{}}
	d.cmd = exec.Command(bin, "--addr", addr, "--data-dir", dataDir, "--insecure-http") // TLS has its own tests
	d.cmd.Env = append(os.Environ(), "LOCAL_JWT_SECRET=")
	d.cmd.Dir = dataDir
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "confabd /healthz", func() bool {
		resp, err := http.Get(d.url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return d
}

func postJSON(t *testing.T, url, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out) //nolint:errcheck
	return out
}

// allHistory pages backwards through a room.
func allHistory(t *testing.T, s *testserver.Sock, room string) []map[string]any {
	t.Helper()
	var out []map[string]any
	before := 0.0
	for {
		p := map[string]any{"room": room, "limit": wire.MaxHistory}
		if before > 0 {
			p["before"] = before
		}
		res := call(t, s, wire.EventHistory, p)
		page := res["messages"].([]any)
		if len(page) == 0 {
			return out
		}
		var batch []map[string]any
		for _, m := range page {
			batch = append(batch, m.(map[string]any))
		}
		out = append(batch, out...)
		before = batch[0]["id"].(float64)
	}
}

func TestKill9LosesNothingAcknowledged(t *testing.T) {
	bin := buildDaemon(t)
	dir, addr := t.TempDir(), freeAddr(t)
	d := startDaemon(t, bin, dir, addr)
	tokens := make([]string, 4) // the last one pipelines (pipelined below)
	for i := range tokens {
		tokens[i] = postJSON(t, d.url, "/register", map[string]string{"username": fmt.Sprintf("user%d", i), "password": "password-x"})["token"].(string)
	}

	var mu sync.Mutex
	acked := map[string]float64{} // clientId -> id
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go pipelined(t, d.url, tokens[3], stop, &wg, func(cid string, id float64) {
		mu.Lock()
		acked[cid] = id
		mu.Unlock()
	})
	for i, tok := range tokens[:3] {
		s, err := testserver.Dial(d.url, testserver.DialOpts{Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Add(1)
		go func(i int, s *testserver.Sock) { // one message in flight per sender, as the client library does
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				cid := fmt.Sprintf("u%d-%d", i, n)
				res, err := s.Call(wire.EventMessage, map[string]any{"text": cid, "clientId": cid})
				if err == nil && res["error"] == wire.ErrRateLimited {
					time.Sleep(100 * time.Millisecond)
					n--
					continue
				}
				if err != nil || res["ok"] != true {
					return // the server is gone
				}
				mu.Lock()
				acked[cid] = res["message"].(map[string]any)["id"].(float64)
				mu.Unlock()
			}
		}(i, s)
	}
	testserver.WaitFor(t, 20*time.Second, "300 acknowledged messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 300
	})
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.cmd.Wait() //nolint:errcheck
	close(stop)
	wg.Wait()

	d = startDaemon(t, bin, dir, addr)
	defer func() { d.cmd.Process.Signal(syscall.SIGTERM); d.cmd.Wait() }() //nolint:errcheck
	tok := postJSON(t, d.url, "/login", map[string]string{"username": "user0", "password": "password-x"})["token"].(string)
	s, err := testserver.Dial(d.url, testserver.DialOpts{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seen := map[string]int{}
	for _, m := range allHistory(t, s, "general") {
		seen[m["clientId"].(string)]++
		if want, ok := acked[m["clientId"].(string)]; ok && want != m["id"].(float64) {
			t.Fatalf("%v stored under id %v, acknowledged as %v", m["clientId"], m["id"], want)
		}
	}
	for cid := range acked {
		if seen[cid] != 1 {
			t.Fatalf("acknowledged message %s is in history %d times", cid, seen[cid])
		}
	}
	for cid, n := range seen {
		if n != 1 {
			t.Fatalf("message %s stored %d times", cid, n)
		}
	}
	piped := 0
	for cid := range acked {
		if strings.HasPrefix(cid, "p-") {
			piped++
		}
	}
	if piped == 0 {
		t.Fatal("no pipelined message was acknowledged")
	}
	t.Logf("%d acknowledged before kill -9 (%d pipelined), all in history once (%d stored)", len(acked), piped, len(seen))
	// A client retrying an acknowledged message after the restart gets the stored one back.
	cid := "u0-0"
	res := call(t, s, wire.EventMessage, map[string]any{"text": cid, "clientId": cid})
	if res["message"].(map[string]any)["id"] != acked[cid] {
		t.Fatalf("retry of %s after restart: %v, want id %v", cid, res, acked[cid])
	}
}

// pipelined sends bursts of messages without waiting for their acks (the
// server then has many of the socket's messages in flight at once) until
// stop or the server is gone, and tells acked of each acknowledged one.
func pipelined(t *testing.T, url, token string, stop chan struct{}, wg *sync.WaitGroup, acked func(cid string, id float64)) {
	defer wg.Done()
	r, err := testserver.DialRaw(url, token)
	if err != nil {
		t.Error(err)
		return
	}
	defer r.Close()
	go func() { // the writer: bursts of 20, within the rate limits
		for n := 1; ; n++ {
			select {
			case <-stop:
				r.Close()
				return
			default:
			}
			if r.Emit(n, wire.EventMessage, map[string]any{"text": fmt.Sprint("p-", n), "clientId": fmt.Sprint("p-", n)}) != nil {
				return
			}
			if n%20 == 0 {
				time.Sleep(700 * time.Millisecond)
			}
		}
	}()
	for {
		f, err := r.Read()
		if err != nil {
			return // the server is gone
		}
		var n int
		if _, err := fmt.Sscanf(f, "43%d[", &n); err != nil {
			continue
		}
		if res, err := parseAck(f, n); err == nil && res["ok"] == true {
			acked(fmt.Sprint("p-", n), res["message"].(map[string]any)["id"].(float64))
		}
	}
}

func TestSigtermStopsCleanly(t *testing.T) {
	bin := buildDaemon(t)
	dir := t.TempDir()
	d := startDaemon(t, bin, dir, freeAddr(t))
	tok := postJSON(t, d.url, "/register", map[string]string{"username": "alice", "password": "password-a"})["token"].(string)
	s, err := testserver.Dial(d.url, testserver.DialOpts{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantOK(t, call(t, s, wire.EventMessage, map[string]any{"text": "before stop"}))
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("stop took %v", el)
	}
	if _, err := s.WaitEvents("disconnect", 1, 5*time.Second); err != nil {
		t.Fatal("client not disconnected")
	}
	logs := d.stderr.String()
	for _, want := range []string{"stopping", "server stopped"} {
		if !strings.Contains(logs, want) {
			t.Fatalf("log lacks %q:\n%s", want, logs)
		}
	}
	// The WAL was checkpointed into the database on close.
	if fi, err := os.Stat(filepath.Join(dir, "confab.db-wal")); err == nil && fi.Size() > 0 {
		t.Fatalf("WAL left behind: %d bytes", fi.Size())
	}
}
