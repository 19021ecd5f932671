// Command ceiling is the benchmark's reference server: the least work a
// server can do for Confab's load generator, written directly on the
// Engine.IO v4 / Socket.IO v5 wire format without a Socket.IO library.
// It stores nothing, accepts any account, encodes each broadcast once into
// one websocket frame shared by every receiver, keeps a bounded queue per
// socket and sends everything queued for a socket in one writev. What
// confabd costs beyond it is the price of its library and its storage.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	maxQueue     = 4096             // frames waiting for one socket; past it the socket is dropped
	writeTimeout = 10 * time.Second // a writev not taken in time drops the socket
	pingInterval = 25 * time.Second
)

// sock is one connected socket: gorilla reads, we write raw frames.
type sock struct {
	ws    *websocket.Conn
	raw   net.Conn
	mu    sync.Mutex
	q     [][]byte // frames waiting, each a whole websocket frame
	free  [][]byte // the writer's spare queue
	dead  bool
	wake  chan struct{}
	rooms map[string]bool // the reader's own
}

// frame encodes one unmasked, final text frame (server to client).
func frame(payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = append(make([]byte, 0, 2+n), 0x81, byte(n))
	case n < 1<<16:
		b = append(make([]byte, 0, 4+n), 0x81, 126, byte(n>>8), byte(n))
	default:
		b = append(make([]byte, 0, 10+n), 0x81, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

// send queues a frame; a socket past its cap is dropped.
func (s *sock) send(f []byte) {
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return
	}
	if len(s.q) >= maxQueue {
		s.dead = true
		s.mu.Unlock()
		s.raw.Close()
		return
	}
	s.q = append(s.q, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// writer sends everything queued in one writev per wake-up.
func (s *sock) writer(done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		q := s.q
		s.q, s.free = s.free, nil
		s.mu.Unlock()
		if len(q) == 0 {
			continue
		}
		s.raw.SetWriteDeadline(time.Now().Add(writeTimeout)) //nolint:errcheck
		bufs := net.Buffers(q)
		_, err := bufs.WriteTo(s.raw)
		clear(q)
		s.mu.Lock()
		s.free = q[:0]
		s.mu.Unlock()
		if err != nil {
			s.raw.Close()
			return
		}
	}
}

type server struct {
	mu     sync.RWMutex
	rooms  map[string]map[*sock]bool
	socks  map[*sock]bool
	nextID atomic.Int64
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferPool: &sync.Pool{}, // gorilla writes nothing of ours: no buffer per socket
	CheckOrigin:     func(*http.Request) bool { return true },
}

func (sv *server) ws(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("transport") != "websocket" {
		http.Error(w, "websocket only", http.StatusBadRequest)
		return
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// Our own frames go straight to the connection; gorilla must never
	// write one of its own in between (a close is answered by closing).
	c.SetCloseHandler(func(int, string) error { return nil })
	s := &sock{ws: c, raw: c.UnderlyingConn(), wake: make(chan struct{}, 1), rooms: map[string]bool{}}
	done := make(chan struct{})
	go s.writer(done)
	sid := strconv.FormatInt(sv.nextID.Add(1), 36)
	s.send(frame([]byte(`0{"sid":"` + sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)))
	sv.read(s, sid)
	close(done)
	s.mu.Lock()
	s.dead = true
	s.mu.Unlock()
	c.Close()
	sv.mu.Lock()
	delete(sv.socks, s)
	for room := range s.rooms {
		delete(sv.rooms[room], s)
	}
	sv.mu.Unlock()
}

func (sv *server) join(s *sock, room string) {
	sv.mu.Lock()
	if sv.rooms[room] == nil {
		sv.rooms[room] = map[*sock]bool{}
	}
	sv.rooms[room][s] = true
	s.rooms[room] = true
	sv.mu.Unlock()
}

// read handles the socket's packets until it closes.
func (sv *server) read(s *sock, sid string) {
	for {
		_, f, err := s.ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case bytes.HasPrefix(f, []byte("40")):
			sv.mu.Lock()
			sv.socks[s] = true
			sv.mu.Unlock()
			sv.join(s, "general")
			s.send(frame([]byte(`40{"sid":"` + sid + `"}`)))
		case bytes.HasPrefix(f, []byte("42")):
			sv.event(s, f[2:])
		}
	}
}

// event handles `42<id>["name",payload]`: join, message, and an ok for the rest.
func (sv *server) event(s *sock, f []byte) {
	i := 0
	for i < len(f) && f[i] >= '0' && f[i] <= '9' {
		i++
	}
	id := string(f[:i])
	var args []json.RawMessage
	var name string
	if json.Unmarshal(f[i:], &args) != nil || len(args) == 0 || json.Unmarshal(args[0], &name) != nil {
		return
	}
	var p struct {
		Room     string `json:"room"`
		Text     string `json:"text"`
		ClientID string `json:"clientId,omitempty"`
	}
	if len(args) > 1 {
		json.Unmarshal(args[1], &p) //nolint:errcheck
	}
	if p.Room == "" {
		p.Room = "general"
	}
	var ack any = map[string]any{"ok": true}
	switch name {
	case "join":
		sv.join(s, p.Room)
		ack = map[string]any{"ok": true, "room": p.Room, "history": []any{}}
	case "message":
		if !s.rooms[p.Room] {
			ack = map[string]any{"ok": false, "error": "not_in_room"}
			break
		}
		msg := map[string]any{"id": sv.nextID.Add(1), "room": p.Room, "author": map[string]string{"id": "1", "username": "bench"},
			"text": p.Text, "sentAt": time.Now().UTC().Format(time.RFC3339Nano)}
		body, _ := json.Marshal([]any{"message", msg})
		out := frame(append([]byte("42"), body...)) // one encode, shared by every receiver
		sv.mu.RLock()
		for o := range sv.rooms[p.Room] {
			if o != s {
				o.send(out)
			}
		}
		sv.mu.RUnlock()
		ack = map[string]any{"ok": true, "message": msg}
	}
	if id != "" {
		body, _ := json.Marshal([]any{ack})
		s.send(frame(append([]byte("43"+id), body...)))
	}
}

// pinger pings every socket now and then, as Engine.IO servers do.
func (sv *server) pinger() {
	ping := frame([]byte("2"))
	for range time.Tick(pingInterval) {
		sv.mu.RLock()
		for s := range sv.socks {
			s.send(ping)
		}
		sv.mu.RUnlock()
	}
}

// token answers the sign-in endpoints: any name and password will do.
func token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"token":"ceiling","expiresAt":"2100-01-01T00:00:00Z","user":{"id":"1","username":"bench"}}`)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:7880", "listen address")
	flag.Parse()
	sv := &server{rooms: map[string]map[*sock]bool{}, socks: map[*sock]bool{}}
	go sv.pinger()
	mux := http.NewServeMux()
	mux.HandleFunc("/socket.io/", sv.ws)
	mux.HandleFunc("POST /register", token)
	mux.HandleFunc("POST /login", token)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{"status":"ok"}`) })
	log.Fatal(http.ListenAndServe(*addr, mux))
}
