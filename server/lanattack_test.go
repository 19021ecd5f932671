package server_test

// What a hostile client on the LAN tried, found by attacking the running
// server (binary attachments, writes from many sockets, unmetered reads),
// each with the limit that now holds.

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"confab/internal/testserver"
	"confab/server"
)

// Pitfall 36: a binary packet's header declares a million attachments and
// the client streams binary frames. The decoder kept them all (990 MB of
// heap in 10 s, before the namespace's CONNECT, so without a token); now
// the connection closes at the header, and the heap stays put.
func TestBinaryAttachmentsAreRefused(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	for _, token := range []string{"", env.Register("alice", "password-a").Token} {
		r, err := testserver.DialRaw(env.URL, token)
		must(t, err)
		before := heapMB()
		must(t, r.Send(`451000000-["message",{"text":"hi","x":{"_placeholder":true,"num":0}}]`))
		chunk := make([]byte, 60<<10)
		for range 300 { // 18 MB, if it is read
			if r.C.WriteMessage(websocket.BinaryMessage, chunk) != nil {
				break
			}
		}
		r.Timeout = 10 * time.Second
		var ne net.Error
		for err = nil; err == nil; _, err = r.Read() {
		}
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("token %t: the connection stays open after a binary packet: %v", token != "", err)
		}
		if grew := heapMB() - before; grew > 8 {
			t.Errorf("token %t: the heap grew by %.1f MB", token != "", grew)
		}
		r.Close()
	}
}
