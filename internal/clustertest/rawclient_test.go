package clustertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"confab/wire"
)

// rawSocket is a Socket.IO client in raw Engine.IO websocket frames: a few
// KB and one goroutine each, so that hundreds fit beside a loaded
// cluster. It records the message ids it receives, in arrival order.
type rawSocket struct {
	ws   *websocket.Conn
	node string // the node it reached: its sid's prefix

	wmu  sync.Mutex
	mu   sync.Mutex
	next int
	acks map[int]chan json.RawMessage
	ids  []int64 // "message" events received, in order
	done chan struct{}
}

// dialRaw opens a websocket through url, sends the CONNECT with token and
// waits for its answer.
func dialRaw(ctx context.Context, url, token string) (*rawSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(url, "http") + wire.SocketIOPath + "?EIO=4&transport=websocket"
	ws, res, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		if res != nil {
			err = fmt.Errorf("%w (HTTP %s)", err, res.Status)
		}
		return nil, err
	}
	s := &rawSocket{ws: ws, acks: map[int]chan json.RawMessage{}, done: make(chan struct{})}
	if dl, ok := ctx.Deadline(); ok {
		ws.SetReadDeadline(dl) //nolint:errcheck
	}
	_, open, err := ws.ReadMessage()
	var o struct{ Sid string }
	if err != nil || len(open) < 2 || open[0] != '0' || json.Unmarshal(open[1:], &o) != nil {
		ws.Close()
		return nil, fmt.Errorf("open packet: %q %v", open, err)
	}
	s.node, _, _ = strings.Cut(o.Sid, ".")
	auth, _ := json.Marshal(map[string]string{"token": token})
	if err := s.write("40" + string(auth)); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, fmt.Errorf("connect answer: %w", err)
		}
		switch {
		case string(msg) == "2":
			s.write("3") //nolint:errcheck
			continue
		case bytes.HasPrefix(msg, []byte("40")):
		default:
			ws.Close()
			return nil, fmt.Errorf("connect refused: %q", msg)
		}
		break
	}
	ws.SetReadDeadline(time.Time{}) //nolint:errcheck
	go s.read()
	return s, nil
}

func (s *rawSocket) write(frame string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.ws.SetWriteDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	return s.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

func (s *rawSocket) read() {
	defer func() {
		s.mu.Lock()
		for _, ch := range s.acks {
			close(ch)
		}
		s.acks = map[int]chan json.RawMessage{}
		s.mu.Unlock()
		close(s.done)
	}()
	for {
		_, msg, err := s.ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case string(msg) == "2":
			s.write("3") //nolint:errcheck
		case bytes.HasPrefix(msg, []byte(`42["message",`)):
			var ev []json.RawMessage
			var m struct{ ID int64 }
			if json.Unmarshal(msg[2:], &ev) == nil && len(ev) == 2 && json.Unmarshal(ev[1], &m) == nil {
				s.mu.Lock()
				s.ids = append(s.ids, m.ID)
				s.mu.Unlock()
			}
		case bytes.HasPrefix(msg, []byte("43")):
			i := bytes.IndexByte(msg, '[')
			id, err := strconv.Atoi(string(msg[2:max(i, 2)]))
			var reply []json.RawMessage
			if i < 0 || err != nil || json.Unmarshal(msg[i:], &reply) != nil || len(reply) == 0 {
				continue
			}
			s.mu.Lock()
			ch := s.acks[id]
			delete(s.acks, id)
			s.mu.Unlock()
			if ch != nil {
				ch <- reply[0]
			}
		case bytes.HasPrefix(msg, []byte("41")), bytes.HasPrefix(msg, []byte("1")):
			s.ws.Close()
			return
		}
	}
}

var errGone = errors.New("connection ended before the acknowledgement")

// call emits event with an acknowledgement and waits for it.
func (s *rawSocket) call(ctx context.Context, event string, payload any, out any) error {
	data, _ := json.Marshal([]any{event, payload})
	ch := make(chan json.RawMessage, 1)
	s.mu.Lock()
	id := s.next
	s.next++
	s.acks[id] = ch
	s.mu.Unlock()
	if err := s.write("42" + strconv.Itoa(id) + string(data)); err != nil {
		return err
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return errGone
		}
		return json.Unmarshal(r, out)
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.acks, id)
		s.mu.Unlock()
		return ctx.Err()
	}
}

// received is a copy of the ids received so far.
func (s *rawSocket) received() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int64(nil), s.ids...)
}

func (s *rawSocket) close() { s.ws.Close(); <-s.done }

// sendReply is the acknowledgement of a message.
type sendReply struct {
	OK      bool
	Error   string
	Message struct{ ID int64 }
}

// history reads the ids of every message of room after id, oldest first.
func (s *rawSocket) history(ctx context.Context, room string, after int64) ([]int64, error) {
	msgs, err := s.messages(ctx, room, after)
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return ids, err
}

type storedMessage struct {
	ID       int64
	ClientID string
}

// messages reads every message of room after id, oldest first.
func (s *rawSocket) messages(ctx context.Context, room string, after int64) ([]storedMessage, error) {
	var msgs []storedMessage
	for {
		var r struct {
			OK       bool
			Error    string
			Messages []storedMessage
			More     bool
		}
		if err := s.call(ctx, wire.EventHistory, map[string]any{"room": room, "after": after, "limit": wire.MaxHistory}, &r); err != nil {
			return nil, err
		}
		if !r.OK {
			return nil, fmt.Errorf("history: %s", r.Error)
		}
		for _, m := range r.Messages {
			msgs = append(msgs, m)
			after = m.ID
		}
		if !r.More && len(r.Messages) < wire.MaxHistory {
			return msgs, nil
		}
	}
}

// account registers a user through url and returns its token.
func account(t testing.TB, url, name string) string {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":"password-%s"}`, name, name)
	for try := 0; ; try++ {
		res, err := http.Post(url+wire.PathRegister, "application/json", strings.NewReader(body))
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var r struct{ Token string }
			if res.StatusCode == http.StatusCreated && json.Unmarshal(b, &r) == nil && r.Token != "" {
				return r.Token
			}
			err = fmt.Errorf("%s %s", res.Status, b)
		}
		if try == 20 {
			t.Fatalf("register %s: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkOrderOnce says what is wrong with ids received live: each once, in
// increasing order.
func checkOrderOnce(ids []int64) error {
	seen := map[int64]bool{}
	for i, id := range ids {
		if seen[id] {
			return fmt.Errorf("message %d received twice", id)
		}
		seen[id] = true
		if i > 0 && id < ids[i-1] {
			return fmt.Errorf("message %d received after %d", id, ids[i-1])
		}
	}
	return nil
}
