package sio_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"confab/internal/sio"
)

// openSID reads the sid of an Engine.IO open packet ("0{...}").
func openSID(t *testing.T, open string) string {
	t.Helper()
	var p struct{ Sid string }
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &p) != nil || p.Sid == "" {
		t.Fatalf("not an open packet: %q", open)
	}
	return p.Sid
}

func pollGET(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// libraryID checks that id is the library's own: 18 bytes in base64url
// (10 random bytes and a counter), the entropy a prefix must not lower.
func libraryID(t *testing.T, id string) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(b) != 18 {
		t.Fatalf("id %q is not the library's 18 bytes of base64url: %v", id, err)
	}
}

// A node's sessions carry its name, over polling and websocket, and only
// it takes them: a load balancer routes by the prefix (sidprefix.go).
func TestSessionIDsNameTheirNode(t *testing.T) {
	t.Parallel()
	ts := startServer(t, sio.Options{SessionPrefix: "n2"})
	base := ts.URL + sio.DefaultPath + "?EIO=4&transport="

	code, body := pollGET(t, base+"polling")
	sid := openSID(t, body)
	rest, ok := strings.CutPrefix(sid, "n2.")
	if code != http.StatusOK || !ok {
		t.Fatalf("polling handshake: %d, sid %q does not begin with n2.", code, sid)
	}
	libraryID(t, rest)

	// The session goes on with the prefixed sid: CONNECT, then its answer.
	res, err := http.Post(base+"polling&sid="+sid, "text/plain", strings.NewReader("40"))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST with the prefixed sid: %v %v", res.Status, err)
	}
	res.Body.Close()
	if code, body := pollGET(t, base+"polling&sid="+sid); code != http.StatusOK || !strings.HasPrefix(body, "40{") {
		t.Fatalf("poll with the prefixed sid: %d %q", code, body)
	}
	// Another node's prefix is unknown here.
	if code, _ := pollGET(t, base+"polling&sid=n3."+rest); code != http.StatusBadRequest {
		t.Fatalf("sid with another node's prefix: %d, want 400", code)
	}

	// The upgrade of that session to a websocket, with the prefixed sid.
	wsBase := "ws" + strings.TrimPrefix(base, "http")
	ws, _, err := websocket.DefaultDialer.Dial(wsBase+"websocket&sid="+sid, nil)
	if err != nil {
		t.Fatalf("upgrade with the prefixed sid: %v", err)
	}
	defer ws.Close()
	must(t, ws.WriteMessage(websocket.TextMessage, []byte("2probe")))
	if _, msg, err := ws.ReadMessage(); err != nil || string(msg) != "3probe" {
		t.Fatalf("probe answer: %q %v", msg, err)
	}

	// A websocket opened directly gets a prefixed sid in its first frame.
	direct, _, err := websocket.DefaultDialer.Dial(wsBase+"websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	_, msg, err := direct.ReadMessage()
	must(t, err)
	if sid := openSID(t, string(msg)); !strings.HasPrefix(sid, "n2.") {
		t.Fatalf("websocket handshake: sid %q does not begin with n2.", sid)
	}

	// The Go client over both transports.
	for _, polling := range []bool{false, true} {
		c := dial(t, ts.URL, sio.DialOptions{Polling: polling})
		if _, err := c.Call(t.Context(), "echo", "x"); err != nil {
			t.Fatalf("echo (polling %v): %v", polling, err)
		}
	}
}

// Without a prefix the ids are the library's, as before.
func TestSessionIDsWithoutPrefix(t *testing.T) {
	t.Parallel()
	ts := startServer(t, sio.Options{})
	_, body := pollGET(t, ts.URL+sio.DefaultPath+"?EIO=4&transport=polling")
	libraryID(t, openSID(t, body))
}

func TestSessionPrefixOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"n2": "n2", "web-1_a": "web-1_a", "host.lan:8443": "host_lan_8443", "é": "__"} {
		if got := sio.SessionPrefixOf(in); got != want {
			t.Errorf("SessionPrefixOf(%q) = %q, want %q", in, got, want)
		}
	}
}
