package clustertest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"confab/internal/clustertest"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// Every request of a long-polling session reaches the node that holds it,
// whichever node the handshake went to; HAProxy's log has no query string.
func TestPollingSessionsStayOnTheirNode(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, clustertest.Options{})
	base := c.URL() + "/socket.io/?EIO=4&transport=polling"
	seen := map[string]int{}
	for i := 0; i < 6; i++ {
		sid := handshake(t, base)
		node, _, _ := strings.Cut(sid, ".")
		seen[node]++
		if code, body := post(t, base+"&sid="+sid, "40"); code != http.StatusOK {
			t.Fatalf("session %d on %s: CONNECT answered %d %q", i, node, code, body)
		}
		for j := 0; j < 3; j++ {
			// A poll answers at once while something waits (the CONNECT's
			// answer), else at the next ping; a ping frame makes it answer.
			if code, body := post(t, base+"&sid="+sid, "3"); code != http.StatusOK {
				t.Fatalf("session %d on %s, request %d: %d %q", i, node, j, code, body)
			}
		}
	}
	if len(seen) != c.Nodes() {
		t.Fatalf("handshakes went to %v, want every one of %d nodes", seen, c.Nodes())
	}
	// Another node's prefix: the session is unknown there (400), never
	// served by the wrong node silently.
	sid := handshake(t, base)
	_, rest, _ := strings.Cut(sid, ".")
	if code, _ := post(t, base+"&sid=n9."+rest, "3"); code != http.StatusBadRequest {
		t.Fatalf("unknown prefix answered %d, want 400", code)
	}
	log := waitLog(t, c, "/socket.io/")
	if strings.Contains(log, "sid=") || strings.Contains(log, "EIO=") {
		t.Fatalf("HAProxy logged a query string:\n%s", log)
	}
}

func handshake(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var open struct{ Sid string }
	if res.StatusCode != http.StatusOK || len(b) < 2 || json.Unmarshal(b[1:], &open) != nil || !strings.Contains(open.Sid, ".") {
		t.Fatalf("handshake: %d %q", res.StatusCode, b)
	}
	return open.Sid
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func waitLog(t *testing.T, c *clustertest.Cluster, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(c.Dir() + "/haproxy.log")
		if strings.Contains(string(b), want) || time.Now().After(deadline) {
			return string(b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// HAProxy takes a killed node out and a restarted one back; Close leaves
// no process behind.
func TestKillRestartAndNothingLeft(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t, clustertest.Options{Nodes: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.Kill(1)
	if err := c.WaitNodeState(ctx, 1, false); err != nil {
		t.Fatal(err)
	}
	if res, err := http.Get(c.URL() + "/healthz"); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("through HAProxy with one node dead: %v %v", res, err)
	}
	if err := c.Restart(1); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	pids, pgPort := c.Pids(), c.PG().Port
	c.Close()
	if left := leftBehind(pids, pgPort); left != "" {
		t.Fatalf("left running after Close:\n%s", left)
	}
}

// leftBehind lists the processes among pids still alive, and any postgres
// still serving port.
func leftBehind(pids []int, pgPort int) string {
	var out string
	for _, pid := range pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			out += strconv.Itoa(pid) + " " + strings.ReplaceAll(string(b), "\x00", " ") + "\n"
		}
	}
	if b, err := exec.Command("pgrep", "-a", "-f", "postgres.*-p "+strconv.Itoa(pgPort)+" ").Output(); err == nil {
		out += string(b)
	}
	return out
}
