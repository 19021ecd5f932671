package sio_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"confab/internal/sio"
)

// waitReason waits until the handler saw a disconnect for reason.
func waitReason(t *testing.T, ts *testServer, reason string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		ts.h.mu.Lock()
		seen := slices.Contains(ts.h.disconnected, reason)
		ts.h.mu.Unlock()
		if seen {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.h.mu.Lock()
	defer ts.h.mu.Unlock()
	t.Fatalf("no disconnect %q within %v; saw %q", reason, within, ts.h.disconnected)
}

// echoFrame asks for an acknowledgement carrying n bytes back.
func echoFrame(id, n int) string {
	return fmt.Sprintf(`42%d["echo","%s"]`, id, strings.Repeat("x", n))
}

// Pitfall 31: a websocket client that stops reading is cut off once its
// queue passes MaxOutbound, and told nothing more.
func TestSocketThatDoesNotReadIsCutOff(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	ts := startServer(t, sio.Options{MaxOutbound: limit})
	ws := rawDial(t, ts.URL)
	// 64 MB of replies asked for, never read: kernel buffers take a few MB.
	for i := range 2000 {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(echoFrame(i, 32<<10))); err != nil {
			break // cut off already
		}
	}
	waitReason(t, ts, sio.ReasonOutboundFull, 10*time.Second)
	// The connection is closed, not left to time out.
	raw := ws.UnderlyingConn()
	raw.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	if _, err := io.Copy(io.Discard, raw); isTimeout(err) {
		t.Fatal("the connection of a cut-off socket is still open")
	}
}

// A client that reads as fast as it asks is never cut off, however much
// it asks for in all.
func TestSocketThatReadsIsNotCutOff(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	ts := startServer(t, sio.Options{MaxOutbound: limit})
	ws := rawDial(t, ts.URL)
	for i := range 200 { // 200 x 32 KiB = 25 times the limit, one at a time
		must(t, ws.WriteMessage(websocket.TextMessage, []byte(echoFrame(i, 32<<10))))
		ws.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
		for {
			_, f, err := ws.ReadMessage()
			must(t, err)
			if string(f) == "2" { // a ping: a slow run must not end by its timeout
				must(t, ws.WriteMessage(websocket.TextMessage, []byte("3")))
			}
			if strings.HasPrefix(string(f), fmt.Sprintf("43%d[", i)) {
				break
			}
		}
	}
	ts.h.mu.Lock()
	defer ts.h.mu.Unlock()
	if len(ts.h.disconnected) > 0 {
		t.Fatalf("a reading client was disconnected: %q", ts.h.disconnected)
	}
}

// Pitfall 31 over long-polling: a client that posts requests but never
// polls for the replies is cut off at the same limit.
func TestPollingClientThatDoesNotPollIsCutOff(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	ts := startServer(t, sio.Options{MaxOutbound: limit})
	base := ts.URL + sio.DefaultPath + "?EIO=4&transport=polling"
	open := pollGet(t, base)
	sid := between(open, `"sid":"`, `"`)
	base += "&sid=" + sid
	pollPost(t, base, "40")
	if got := pollGet(t, base); !strings.HasPrefix(got, "40") {
		t.Fatalf("connect: %q", got)
	}
	for i := range 200 { // 200 x 32 KiB asked for, never polled
		if pollPost(t, base, echoFrame(i, 32<<10)) != http.StatusOK {
			break
		}
	}
	waitReason(t, ts, sio.ReasonOutboundFull, 10*time.Second)
	resp, err := http.Get(base)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("the cut-off polling session still answers")
	}
}

func pollGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return string(b)
}

func pollPost(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

// Pitfall 31 canary: without a cap the library queues every reply for a
// client that does not read, and keeps it connected.
func TestCanaryOutboundQueueUnbounded(t *testing.T) {
	opts := sio.Options{MaxOutbound: 1 << 40}
	sio.WithoutCoalescing(&opts) // its stall timeout would end the socket
	ts := startServer(t, opts)
	ws := rawDial(t, ts.URL)
	before := heapMB()
	for i := range 1000 { // 32 MB of replies asked for
		must(t, ws.WriteMessage(websocket.TextMessage, []byte(echoFrame(i, 32<<10))))
		if i%20 == 0 { // pongs, blindly, so that pings cannot end it
			must(t, ws.WriteMessage(websocket.TextMessage, []byte("3")))
		}
	}
	time.Sleep(500 * time.Millisecond)
	grown := heapMB() - before
	ts.h.mu.Lock()
	gone := len(ts.h.disconnected)
	ts.h.mu.Unlock()
	t.Logf("heap grew %.0f MB, sockets gone %d", grown, gone)
	if grown < 16 || gone > 0 {
		t.Fatal("the library no longer queues without bound: pitfall 31 may be fixed; re-check outbound.go")
	}
}
