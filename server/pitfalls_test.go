package server_test

// Regression tests for docs/pitfalls.md: each fails if our workaround is
// removed, and the canaries fail if an upgrade of the library fixes the
// defect (then the workaround can go).

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// fanOut runs senders x perSender messages, pipelined, from the first
// senders of n sockets, and returns acks received and deliveries missing.
func fanOut(t *testing.T, env *testserver.Env, n, senders, perSender int) (acks, missing int) {
	t.Helper()
	socks := make([]*testserver.Sock, n)
	for i := range socks {
		tok := env.Register(fmt.Sprintf("user%02d", i), "password-x").Token
		socks[i] = dial(t, env, tok)
	}
	var mu sync.Mutex
	ids := map[float64]int{} // message id -> sender
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			var inner sync.WaitGroup
			for i := 0; i < perSender; i++ { // pipelined: every call in flight at once
				inner.Add(1)
				go func(i int) {
					defer inner.Done()
					m, err := socks[s].Call(wire.EventMessage, map[string]any{"text": fmt.Sprintf("s%d-%d", s, i)})
					if err == nil && m["ok"] == true {
						mu.Lock()
						ids[m["message"].(map[string]any)["id"].(float64)] = s
						mu.Unlock()
					}
				}(i)
			}
			inner.Wait()
		}(s)
	}
	wg.Wait()
	acks = len(ids)
	// Every socket must get every message but its own.
	time.Sleep(300 * time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for i, s := range socks {
		want := 0
		for _, from := range ids {
			if from != i {
				want++
			}
		}
		var got map[float64]bool
		for {
			got = map[float64]bool{}
			for _, e := range s.Events(wire.EventMessage) {
				got[e.Args[0].(map[string]any)["id"].(float64)] = true
			}
			if len(got) >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if want > len(got) {
			t.Logf("socket %d: %d of %d deliveries missing; disconnects: %v", i, want-len(got), want, s.Events("disconnect"))
		}
		missing += want - len(got)
	}
	return acks, missing
}

// Pitfall 1: with the workaround (internal/sio/batchloss.go), nothing is
// lost; the canary is internal/sio's TestCanaryBroadcastLossWithoutDeflate.
func TestConcurrentSendersLoseNothing(t *testing.T) {
	env := testserver.Start(t, server.Config{EventRate: 10_000, EventBurst: 10_000, UserMessageRate: 10_000, UserMessageBurst: 10_000, RegistrationsPerAddr: 100})
	const n, senders, per = 20, 4, 50
	acks, missing := fanOut(t, env, n, senders, per)
	if acks != senders*per {
		t.Errorf("acks: got %d of %d", acks, senders*per)
	}
	if missing != 0 {
		t.Errorf("deliveries lost: %d of %d", missing, senders*per*(n-1))
		t.Log(env.Logs())
	}
}

// Pitfall 2: frames that crash an unguarded server close one connection;
// the server lives on and keeps serving.
func TestMalformedFramesDoNotCrash(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	tok := env.Register("alice", "password-a").Token
	frames := []string{
		"431", "43", "42", "421", "42[]", "421[]", "42[1]", "42[null]", "42{}", "42\"x\"", "42[{}]",
		"461-", "451-", "451-[\"message\",{\"_placeholder\":true,\"num\":5}]", "431[", "4", "41", "4/x,",
		"42/nope,1[\"users\"]", "44", "40", "49", "42[\"connect\"]", "42[\"disconnect\"]", "\x00", "",
	}
	for _, f := range frames {
		r, err := testserver.DialRaw(env.URL, tok)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		start := time.Now()
		r.Send(f) //nolint:errcheck
		// Either the connection is closed as a protocol error or it survives; never a crash.
		r.Emit(7, wire.EventUsers, map[string]any{}) //nolint:errcheck
		_, err = r.Ack(7)
		t.Logf("%q: %v after %v", f, err, time.Since(start))
		r.Close()
	}
	// The process is alive and still answers.
	s := dial(t, env, tok)
	wantOK(t, call(t, s, wire.EventUsers, map[string]any{}))
}

// Payloads of the wrong shape get bad_request (or the event's own code) in
// the ack, never a crash.
func TestMalformedPayloads(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	tok := env.Register("alice", "password-a").Token
	r, err := testserver.DialRaw(env.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cases := map[string]string{
		`42%d["message"]`:                                  wire.ErrBadRequest,
		`42%d["message",null]`:                             wire.ErrBadRequest,
		`42%d["message",[1,2]]`:                            wire.ErrBadRequest,
		`42%d["message","text"]`:                           wire.ErrBadRequest,
		`42%d["message",{"text":["a"]}]`:                   wire.ErrInvalidMessage,
		`42%d["message",{"room":1}]`:                       wire.ErrInvalidRoom,
		`42%d["message",{"text":"a","clientId":5}]`:        wire.ErrBadRequest,
		`42%d["history",{"room":"general","limit":1e300}]`: wire.ErrBadRequest,
		`42%d["history",{"room":"general","after":-5}]`:    wire.ErrBadRequest,
		`42%d["getUser",[]]`:                               wire.ErrBadRequest,
		`42%d["getUser",{"id":1.5}]`:                       wire.ErrNotFound,
		`42%d["getUser",{"id":1e300}]`:                     wire.ErrNotFound,
		`42%d["auth","tok"]`:                               wire.ErrBadRequest,
		`42%d["no such event",{}]`:                         wire.ErrBadRequest,
	}
	id := 1
	for frame, code := range cases {
		if err := r.Send(fmt.Sprintf(frame, id)); err != nil {
			t.Fatal(err)
		}
		res, err := r.Ack(id)
		if err != nil {
			t.Fatalf("%s: %v", frame, err)
		}
		if res["ok"] != false || res["error"] != code {
			t.Fatalf("%s: got %v, want %s", frame, res, code)
		}
		id++
	}
}

// Pitfall 3: a socket's events are handled in the order it sent them, even
// when it does not wait for acks.
func TestOneSocketsEventsKeepOrder(t *testing.T) {
	env := testserver.Start(t, server.Config{EventRate: 10_000, EventBurst: 10_000, UserMessageRate: 10_000, UserMessageBurst: 10_000})
	tok := env.Register("alice", "password-a").Token
	r, err := testserver.DialRaw(env.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 200
	for i := 1; i <= n; i++ {
		if err := r.Emit(i, wire.EventMessage, map[string]any{"text": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	acked := map[int]float64{}
	for len(acked) < n {
		f, err := r.Read()
		if err != nil {
			t.Fatalf("after %d acks: %v", len(acked), err)
		}
		var id int
		var rest string
		if _, err := fmt.Sscanf(f, "43%d%s", &id, &rest); err != nil {
			continue
		}
		res, _ := parseAck(f, id)
		m, ok := res["message"].(map[string]any)
		if !ok {
			t.Fatalf("message %d: %v", id, res)
		}
		acked[id] = m["id"].(float64)
	}
	for i := 2; i <= n; i++ {
		if acked[i] <= acked[i-1] {
			t.Fatalf("message %d stored as id %v, before message %d (id %v)", i, acked[i], i-1, acked[i-1])
		}
	}
}

func parseAck(frame string, id int) (map[string]any, error) {
	prefix := fmt.Sprintf("43%d", id)
	var args []map[string]any
	err := json.Unmarshal([]byte(strings.TrimPrefix(frame, prefix)), &args)
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("bad ack %q", frame)
	}
	return args[0], nil
}

// Pitfall 6 and the frame cap: polling bodies and websocket frames are capped
// at MaxPayload, chunked or not; at the limit they pass.
func TestPayloadCaps(t *testing.T) {
	const max = 8 << 10
	env := testserver.Start(t, server.Config{MaxPayload: max})
	tok := env.Register("alice", "password-a").Token

	// Websocket: a frame of exactly max bytes is read; one byte more closes the connection.
	r, err := testserver.DialRaw(env.URL, tok)
	if err != nil {
		t.Fatal(err)
	}
	frame := func(size int) string {
		head := `42`
		body := `["no such event",{"pad":"`
		tail := `"}]`
		return head + body + strings.Repeat("x", size-len(head)-len(body)-len(tail)) + tail
	}
	if err := r.Send(frame(max)); err != nil {
		t.Fatal(err)
	}
	r.Emit(1, wire.EventUsers, map[string]any{}) //nolint:errcheck
	if _, err := r.Ack(1); err != nil {
		t.Fatalf("frame at the limit broke the connection: %v", err)
	}
	r.Send(frame(max + 1))                       //nolint:errcheck
	r.Emit(2, wire.EventUsers, map[string]any{}) //nolint:errcheck
	if _, err := r.Ack(2); err == nil {
		t.Fatal("a frame over the limit was accepted")
	}
	r.Close()

	// Polling: a chunked body over the limit is refused without being read whole.
	sid := pollingHandshake(t, env)
	post := func(body io.Reader) int {
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/socket.io/?EIO=4&transport=polling&sid="+sid, body)
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(strings.NewReader("40" + fmt.Sprintf(`{"token":"%s"}`, tok))); code != 200 {
		t.Fatalf("polling connect: %d", code)
	}
	pr, pw := io.Pipe()
	go func() { // chunked: no Content-Length for the library to check
		pw.Write([]byte(strings.Repeat("4", max+1))) //nolint:errcheck
		pw.Close()
	}()
	if code := post(pr); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked polling body over the limit: status %d, want 413", code)
	}
	// At the limit it passes: a polling payload of exactly max bytes.
	event := `42["no such event","`
	pad := strings.Repeat("x", max-len(event)-2)
	if code := post(strings.NewReader(event + pad + `"]`)); code != 200 {
		t.Fatalf("polling body at the limit: status %d", code)
	}
}

func pollingHandshake(t *testing.T, env *testserver.Env) string {
	t.Helper()
	resp, err := http.Get(env.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"sid":"([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no sid in %q", b)
	}
	return string(m[1])
}

// Pitfall 4: emit flags are shared state; Confab must not use them (it
// emits through internal/sio only).
func TestServerUsesNoEmitFlags(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	lib, _ := filepath.Glob("../internal/sio/*.go")
	flags := regexp.MustCompile(`\.(Timeout|Volatile|Compress)\(`)
	for _, f := range append(files, lib...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if loc := flags.FindIndex(b); loc != nil {
			t.Errorf("%s uses an emit flag: %q", f, b[loc[0]:loc[1]])
		}
	}
	if len(lib) == 0 {
		t.Fatal("internal/sio not found")
	}
}

// Pitfall 10: a client presenting a recovery session id and offset still
// goes through the token check.
func TestRecoveryDoesNotSkipTheCheck(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	env.Post("/logout", "", "", alice.Token)
	r, err := testserver.DialRaw(env.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Send(fmt.Sprintf(`40{"token":"%s","pid":"x","offset":"y"}`, alice.Token)) //nolint:errcheck
	f, err := r.Read()
	if err != nil || !strings.HasPrefix(f, "44") || !strings.Contains(f, wire.ReasonTokenRevoked) {
		t.Fatalf("got %q %v, want a token_revoked connect_error", f, err)
	}
}

// When a polling client closes, its pending long-poll is answered at once,
// so no client has to wait for the next ping to finish closing.
func TestPollingCloseAnswered(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	sid := pollingHandshake(t, env)
	pollURL := env.URL + "/socket.io/?EIO=4&transport=polling&sid=" + sid
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		if resp, err := http.Get(pollURL); err == nil {
			resp.Body.Close()
		}
		done <- time.Since(start)
	}()
	time.Sleep(200 * time.Millisecond) // let the poll start waiting
	resp, err := http.Post(pollURL, "text/plain;charset=UTF-8", strings.NewReader("1"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case d := <-done:
		if d > 2*time.Second {
			t.Fatalf("poll answered after %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending poll not answered after close")
	}
}

// Pitfall 18: a CONNECT sent right after the engine's open packet must not
// be lost before Socket.IO listens (readgate.go). Connections that the
// server closes (a bad frame) followed at once by new ones made this show
// within a few hundred handshakes; none is retried here.
func TestHandshakesAreNeverDropped(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	tok := env.Register("alice", "password-a").Token
	const n = 500
	for i := 0; i < n; i++ {
		r, err := testserver.DialRawOnce(env.URL, tok)
		if err != nil {
			t.Fatalf("handshake %d of %d got no answer: %v", i+1, n, err)
		}
		r.Send("-32") //nolint:errcheck // not an Engine.IO packet: the server closes the connection
		r.Read()      //nolint:errcheck
		r.Close()
	}
}

// Pitfall 21: an event sent the moment the CONNECT reply arrives must not
// find the socket unregistered (the library would close the connection).
func TestEventRightAfterConnect(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	tok := env.Register("alice", "password-a").Token
	for i := 0; i < 300; i++ {
		r, err := testserver.DialRaw(env.URL, tok)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		r.Emit(1, wire.EventUsers, map[string]any{}) //nolint:errcheck
		if _, err := r.Ack(1); err != nil {
			t.Fatalf("connection %d: first event after CONNECT got %v", i, err)
		}
		r.Close()
	}
	// A refused CONNECT holds nothing up either: the next CONNECT is answered at once.
	r, err := testserver.DialRaw(env.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	start := time.Now()
	r.Send(`40{"token":"bad"}`) //nolint:errcheck
	if f, err := r.Read(); err != nil || !strings.HasPrefix(f, "44") {
		t.Fatalf("refusal: %q %v", f, err)
	}
	r.Send(fmt.Sprintf(`40{"token":"%s"}`, tok)) //nolint:errcheck
	if f, err := r.Read(); err != nil || !strings.HasPrefix(f, "40") {
		t.Fatalf("second CONNECT: %q %v", f, err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("a refused CONNECT held the connection for %v", el)
	}
}
