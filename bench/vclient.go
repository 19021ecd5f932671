// Package bench loads a chat server that speaks Confab's wire contract and
// measures it. It speaks Engine.IO v4 / Socket.IO v5 over websocket itself,
// so the load side costs the same whichever server it measures.
package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// connectTimeout bounds one socket's handshake.
const connectTimeout = 10 * time.Second

// vclient is one virtual user's socket.
type vclient struct {
	c    *websocket.Conn
	wmu  sync.Mutex
	mu   sync.Mutex
	acks map[int]chan []byte
	next int
	// onMessage sees every "message" event: its text and when it arrived.
	onMessage func(text string, at time.Time)
	done      chan struct{}
	sid       string // the Engine.IO session id (a cluster node's begins with its id and a dot)
}

// No compression offered: the Node peer would refuse it anyway, and the
// load side should cost the same for both servers.
var dialer = &websocket.Dialer{HandshakeTimeout: connectTimeout}

// dial opens a socket and connects to namespace "/" with the token.
func dial(baseURL, token string, onMessage func(string, time.Time)) (*vclient, error) {
	u := "ws" + strings.TrimPrefix(baseURL, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := dialer.Dial(u, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadDeadline(time.Now().Add(connectTimeout)) //nolint:errcheck
	_, open, err := c.ReadMessage()
	if err != nil || !bytes.HasPrefix(open, []byte("0{")) {
		c.Close()
		return nil, fmt.Errorf("engine open: %v", err)
	}
	var hello struct{ Sid string }
	json.Unmarshal(open[1:], &hello) //nolint:errcheck // the sid is only for reports
	auth, _ := json.Marshal(map[string]string{"token": token})
	if err := c.WriteMessage(websocket.TextMessage, append([]byte("40"), auth...)); err != nil {
		c.Close()
		return nil, err
	}
	for {
		_, f, err := c.ReadMessage()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("connect: %w", err)
		}
		if bytes.HasPrefix(f, []byte("40")) {
			break
		}
		if bytes.HasPrefix(f, []byte("44")) {
			c.Close()
			return nil, fmt.Errorf("refused: %s", f)
		}
	}
	c.SetReadDeadline(time.Time{}) //nolint:errcheck
	v := &vclient{c: c, acks: map[int]chan []byte{}, onMessage: onMessage, done: make(chan struct{}), sid: hello.Sid}
	go v.read()
	return v, nil
}

func (v *vclient) write(b []byte) error {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	return v.c.WriteMessage(websocket.TextMessage, b)
}

var (
	msgPrefix = []byte(`42["message",`)
	textKey   = []byte(`"text":"`)
)

func (v *vclient) read() {
	defer close(v.done)
	for {
		_, f, err := v.c.ReadMessage()
		if err != nil {
			return
		}
		at := time.Now()
		switch {
		case len(f) == 1 && f[0] == '2':
			v.write([]byte("3")) //nolint:errcheck
		case bytes.HasPrefix(f, msgPrefix):
			// Only the text matters, and only the benchmark's own texts
			// ("b:<unix ns>:<seq>"): find it without decoding the JSON, so
			// the load side stays cheap at tens of thousands of deliveries/s.
			if v.onMessage != nil {
				if i := bytes.Index(f, textKey); i >= 0 {
					rest := f[i+len(textKey):]
					if j := bytes.IndexByte(rest, '"'); j >= 0 {
						v.onMessage(string(rest[:j]), at)
					}
				}
			}
		case bytes.HasPrefix(f, []byte("43")):
			i := 2
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
			}
			id, _ := strconv.Atoi(string(f[2:i]))
			v.mu.Lock()
			ch := v.acks[id]
			delete(v.acks, id)
			v.mu.Unlock()
			if ch != nil {
				ch <- f[i:]
			}
		}
	}
}

// errAckTimeout: no acknowledgement in time.
var errAckTimeout = errors.New("ack timeout")

// call emits an event and waits for its acknowledgement's first argument.
func (v *vclient) call(event string, payload any, timeout time.Duration) (map[string]any, error) {
	body, err := json.Marshal([]any{event, payload})
	if err != nil {
		return nil, err
	}
	ch := make(chan []byte, 1)
	v.mu.Lock()
	v.next++
	id := v.next
	v.acks[id] = ch
	v.mu.Unlock()
	if err := v.write(append([]byte("42"+strconv.Itoa(id)), body...)); err != nil {
		return nil, err
	}
	select {
	case raw := <-ch:
		var args []map[string]any
		if err := json.Unmarshal(raw, &args); err != nil || len(args) == 0 {
			return nil, fmt.Errorf("bad ack %q", raw)
		}
		return args[0], nil
	case <-v.done:
		return nil, errors.New("connection closed")
	case <-time.After(timeout):
		v.mu.Lock()
		delete(v.acks, id)
		v.mu.Unlock()
		return nil, errAckTimeout
	}
}

func (v *vclient) close() {
	v.c.Close()
	<-v.done
}

// account creates (or signs in) a user and returns a token.
func account(baseURL, username string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": "bench-password"})
	for _, path := range []string{"/register", "/login"} {
		resp, err := http.Post(baseURL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		var s struct {
			Token string `json:"token"`
		}
		json.NewDecoder(resp.Body).Decode(&s) //nolint:errcheck
		resp.Body.Close()
		if s.Token != "" {
			return s.Token, nil
		}
	}
	return "", fmt.Errorf("no token for %s", username)
}
