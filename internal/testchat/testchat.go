// Package testchat gives tests a second user: a real client library chat
// that records the texts of the live messages it receives and when its
// connection changed state.
package testchat

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/wire"
)

// Peer is a signed-in user whose live messages arrive on Texts.
type Peer struct {
	Chat  *client.Chat
	Texts <-chan string

	mu     sync.Mutex
	states []StateAt
}

// StateAt is a connection state and when the peer saw it.
type StateAt struct {
	State client.ConnState
	At    time.Time
	Err   error
}

// Join registers name on the server and connects; it is closed when the test ends.
func Join(t testing.TB, serverURL, name, password string, opts ...client.Option) *Peer {
	t.Helper()
	sess, err := client.Register(context.Background(), serverURL, name, password, opts...)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return Connect(t, sess)
}

// Connect starts a chat for a session; it is closed when the test ends.
func Connect(t testing.TB, sess *client.Session) *Peer {
	chat := client.Connect(sess, client.Options{})
	t.Cleanup(chat.Close)
	texts := make(chan string, 100)
	p := &Peer{Chat: chat, Texts: texts}
	go func() {
		for e := range chat.Events() {
			switch e := e.(type) {
			case client.MessageEvent:
				if !e.Historic {
					texts <- e.Message.Text
				}
			case client.StateEvent:
				p.mu.Lock()
				p.states = append(p.states, StateAt{e.State, time.Now(), e.Err})
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// History tells the states seen since t, for a test's failure message.
func (p *Peer) History(since time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, s := range p.states {
		if !s.At.Before(since) {
			fmt.Fprintf(&b, "\n  %s %v (%v)", s.At.Format("15:04:05.000"), s.State, s.Err)
		}
	}
	return b.String()
}

// WaitState waits until the peer reaches state at or after since, and
// returns when it did; false if it did not within timeout.
func (p *Peer) WaitState(state client.ConnState, since time.Time, timeout time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		for _, s := range p.states {
			if s.State == state && !s.At.Before(since) {
				p.mu.Unlock()
				return s.At, true
			}
		}
		p.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stored is the room's newest messages (at most 50) as the server keeps
// them, by id: what a client that catches up would see.
func (p *Peer) Stored(t testing.TB, room string) map[int64]wire.Message {
	t.Helper()
	msgs, err := p.Chat.History(context.Background(), room, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]wire.Message, len(msgs))
	for _, m := range msgs {
		out[m.ID] = m
	}
	return out
}
