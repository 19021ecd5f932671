package server_test

import (
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// FuzzFrames sends arbitrary Socket.IO frames from an authenticated socket.
// The server may close that connection; it must never crash, and must
// answer a fresh socket afterwards. `make fuzz` runs it for longer.
func FuzzFrames(f *testing.F) {
	for _, seed := range []string{
		"431", "42", "42[]", "42[1]", `42["message",{"text":"hi"}]`, `421["message",{"text":"hi"}]`,
		`421["history",{"room":"general","limit":200}]`, `421["getUser","1"]`, `421["join",{"room":"a"}]`,
		`451-["message",{"_placeholder":true,"num":0}]`, `461-[{"_placeholder":true,"num":0}]`,
		`421["auth",{"token":"x"}]`, "41", "40", "44{}", `42/admin,["x"]`, "2", "3", "6", "5", "1",
	} {
		f.Add(seed)
	}
	env := testserver.Start(f, server.Config{EventRate: 1e6, EventBurst: 1e6, UserMessageRate: 1e6, UserMessageBurst: 1e6})
	tok := env.Register("fuzzer", "password-f").Token
	var conn *testserver.Raw
	redial := func() (*testserver.Raw, error) {
		r, err := testserver.DialRaw(env.URL, tok)
		if err == nil {
			r.Timeout = time.Second
		}
		return r, err
	}
	probe := 1000
	f.Fuzz(func(t *testing.T, frame string) {
		if conn == nil {
			var err error
			if conn, err = redial(); err != nil {
				t.Fatalf("server stopped accepting sockets: %v", err)
			}
		}
		conn.Send(frame) //nolint:errcheck
		probe++
		conn.Emit(probe, wire.EventUsers, map[string]any{}) //nolint:errcheck
		if _, err := conn.Ack(probe); err == nil {
			return
		}
		// That connection is closed, or left the namespace ("41"): either is
		// fine. What must hold is that the server lives and a new socket works.
		conn.Close()
		conn = nil
		fresh, err := redial()
		if err != nil {
			t.Fatalf("after frame %q the server refuses sockets: %v", frame, err)
		}
		probe++
		fresh.Emit(probe, wire.EventUsers, map[string]any{}) //nolint:errcheck
		if _, err := fresh.Ack(probe); err != nil {
			fresh.Close()
			t.Fatalf("after frame %q a fresh socket gets no answer: %v", frame, err)
		}
		conn = fresh
	})
}
