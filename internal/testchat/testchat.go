// Package testchat gives tests a second user: a real client library chat
// that records the texts of the live messages it receives.
package testchat

import (
	"context"
	"testing"

	"confab/client"
)

// Peer is a signed-in user whose live messages arrive on Texts.
type Peer struct {
	Chat  *client.Chat
	Texts <-chan string
}

// Join registers name on the server and connects; it is closed when the test ends.
func Join(t testing.TB, serverURL, name, password string, opts ...client.Option) *Peer {
	t.Helper()
	sess, err := client.Register(context.Background(), serverURL, name, password, opts...)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	chat := client.Connect(sess, client.Options{})
	t.Cleanup(chat.Close)
	texts := make(chan string, 100)
	go func() {
		for e := range chat.Events() {
			if m, ok := e.(client.MessageEvent); ok && !m.Historic {
				texts <- m.Message.Text
			}
		}
	}()
	return &Peer{Chat: chat, Texts: texts}
}
