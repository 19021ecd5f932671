package testserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// Raw is a Socket.IO v5 connection spoken by hand over one websocket, for
// sending frames no well-behaved client would.
type Raw struct {
	C       *websocket.Conn
	Timeout time.Duration // for each read; CallTimeout if zero
}

// DialRaw opens the websocket and completes the Engine.IO handshake; with a
// token it also connects to namespace "/" and waits for the CONNECT reply.
func DialRaw(serverURL, token string) (*Raw, error) { return dialRawOnce(serverURL, token) }

// DialRawOnce is DialRaw, named for tests that insist there is no retry.
func DialRawOnce(serverURL, token string) (*Raw, error) { return dialRawOnce(serverURL, token) }

func dialRawOnce(serverURL, token string) (*Raw, error) {
	u := "ws" + strings.TrimPrefix(serverURL, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(u, http.Header{})
	if err != nil {
		return nil, err
	}
	r := &Raw{C: c, Timeout: handshakeTimeout}
	open, err := r.Read()
	if err != nil || !strings.HasPrefix(open, "0{") {
		c.Close()
		return nil, fmt.Errorf("engine open: %q %v", open, err)
	}
	if token == "" {
		return r, nil
	}
	auth, _ := json.Marshal(map[string]string{"token": token})
	if err := r.Send("40" + string(auth)); err != nil {
		c.Close()
		return nil, err
	}
	for {
		f, err := r.Read()
		if err != nil {
			c.Close()
			return nil, err
		}
		if strings.HasPrefix(f, "40") {
			r.Timeout = 0
			return r, nil
		}
		if strings.HasPrefix(f, "44") {
			c.Close()
			return nil, fmt.Errorf("refused: %s", f)
		}
	}
}

// Send writes one text frame.
func (r *Raw) Send(frame string) error {
	return r.C.WriteMessage(websocket.TextMessage, []byte(frame))
}

// Read returns the next text frame, answering Engine.IO pings on the way.
func (r *Raw) Read() (string, error) {
	for {
		timeout := r.Timeout
		if timeout == 0 {
			timeout = CallTimeout
		}
		r.C.SetReadDeadline(time.Now().Add(timeout)) //nolint:errcheck
		_, b, err := r.C.ReadMessage()
		if err != nil {
			return "", err
		}
		if string(b) == "2" {
			if err := r.Send("3"); err != nil {
				return "", err
			}
			continue
		}
		return string(b), nil
	}
}

// Ack waits for the acknowledgement with the given id ("43<id>[...]") and
// returns its first argument, skipping other frames.
func (r *Raw) Ack(id int) (map[string]any, error) {
	prefix := fmt.Sprintf("43%d[", id)
	for {
		f, err := r.Read()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(f, prefix) {
			continue
		}
		var args []map[string]any
		if err := json.Unmarshal([]byte(f[len(prefix)-1:]), &args); err != nil || len(args) == 0 {
			return nil, errors.New("bad ack " + f)
		}
		return args[0], nil
	}
}

// Emit sends an event with an ack id.
func (r *Raw) Emit(id int, event string, payload any) error {
	b, err := json.Marshal([]any{event, payload})
	if err != nil {
		return err
	}
	return r.Send(fmt.Sprintf("42%d%s", id, b))
}

// Close closes the websocket.
func (r *Raw) Close() { r.C.Close() }

// handshakeTimeout bounds each read of DialRaw's handshake.
const handshakeTimeout = 2 * time.Second
