package sio_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"confab/internal/sio"
)

// The server's own send (batchloss.go) frames every packet itself: each
// length encoding of a websocket frame (7 bits, 16 bits, 64 bits, and the
// edges between them) arrives whole, over the broadcast's pre-encoded
// frame and over a socket's own packets (an acknowledgement).
func TestFramesOfEverySize(t *testing.T) {
	t.Parallel()
	ts := startServer(t, sio.Options{MaxPayload: 1 << 20})
	a, b := rawDial(t, ts.URL), rawDial(t, ts.URL)
	said := len(`42["said",""]`)
	var sizes []int
	for _, frame := range []int{said, 125, 126, 127, 0xffff, 0x10000, 200_000} {
		sizes = append(sizes, frame-said)
	}
	for i, n := range sizes {
		text := strings.Repeat(string(rune('a'+i%26)), n)
		q, _ := json.Marshal(text)
		must(t, a.WriteMessage(websocket.TextMessage, []byte(`42["say",`+string(q)+`]`)))
		if want := `42["said",` + string(q) + `]`; readUntil(t, b, `42["said"`) != want {
			t.Fatalf("broadcast of %d characters arrived changed", n)
		}
		must(t, a.WriteMessage(websocket.TextMessage, []byte(`421["echo",`+string(q)+`]`)))
		if want := `431[{"args":[` + string(q) + `],"ok":true}]`; readUntil(t, a, `431`) != want {
			t.Fatalf("acknowledgement of %d characters arrived changed", n)
		}
	}
}

// readUntil reads ws's frames until one starts with prefix.
func readUntil(t *testing.T, ws *websocket.Conn, prefix string) string {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	for {
		_, f, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", prefix, err)
		}
		if strings.HasPrefix(string(f), prefix) {
			return string(f)
		}
	}
}
