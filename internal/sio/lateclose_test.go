package sio_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"confab/internal/sio"
)

// Pitfall 33: every socket the handler saw connected is seen gone, even
// when its client closes while it is being registered.
func TestEverySocketThatConnectsIsSeenGone(t *testing.T) {
	t.Parallel()
	ts := startServer(t, sio.Options{})
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + sio.DefaultPath + "?EIO=4&transport=websocket"
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{})
				if err != nil {
					continue
				}
				ws.SetReadDeadline(time.Now().Add(5 * time.Second))  //nolint:errcheck
				ws.ReadMessage()                                     //nolint:errcheck // the open packet
				ws.WriteMessage(websocket.TextMessage, []byte("40")) //nolint:errcheck
				if i%2 == 0 {
					ws.ReadMessage() //nolint:errcheck // half of them see the CONNECT reply
				}
				ws.Close()
			}
		}()
	}
	wg.Wait()
	var connected, gone int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		ts.h.mu.Lock()
		connected, gone = ts.h.connected, len(ts.h.disconnected)
		ts.h.mu.Unlock()
		if connected == gone {
			break
		}
	}
	t.Logf("%d sockets connected, %d seen gone", connected, gone)
	if connected != gone || connected == 0 {
		t.Fatalf("%d sockets connected but %d seen gone", connected, gone)
	}
}
