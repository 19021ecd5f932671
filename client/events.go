package client

import (
	"sync"
	"time"

	"confab/wire"
)

// ConnState is the state of a Chat's connection.
type ConnState int

const (
	Connecting   ConnState = iota // first attempt
	Online                        // connected and caught up
	Reconnecting                  // waiting for the next attempt (StateEvent.NextAttempt)
	Offline                       // closed by the app
	SignedOut                     // the session ended (StateEvent.Err says why); sign in again
)

func (s ConnState) String() string {
	return [...]string{"connecting", "online", "reconnecting", "offline", "signed out"}[s]
}

// Event is one of MessageEvent, UpdateEvent, TypingEvent, PresenceEvent,
// DeliveryEvent, StateEvent, MentionEvent.
type Event interface{ event() }

// MessageEvent is a message of a joined room, live or from history.
type MessageEvent struct {
	Message  wire.Message
	Historic bool // from a join or a catch-up after reconnecting, not live
}

// UpdateEvent is a message's new state after an edit, a delete (a
// tombstone: Message.Deleted) or a change of its reactions. It replaces the
// copy with the same id if its Rev is higher; it may concern a message the
// app never loaded, which it can ignore.
type UpdateEvent struct {
	Message  wire.Message
	Historic bool // from the catch-up after reconnecting, not live
}

// TypingEvent says that a user is typing in a room, until Until (the
// server's expiry, counted from arrival) unless told again. A message of
// that user in the room ends it too (see TypingSet).
type TypingEvent struct {
	Typing wire.Typing
	Until  time.Time
}

// PresenceEvent says a user came online or went offline.
type PresenceEvent struct{ Presence wire.Presence }

// DeliveryEvent reports a change of one of our own messages.
type DeliveryEvent struct{ Outgoing Outgoing }

// StateEvent reports a change of the connection.
type StateEvent struct {
	State       ConnState
	NextAttempt time.Time // when Reconnecting
	Err         error     // why: the last failure, or the end of the session
}

func (MessageEvent) event()  {}
func (UpdateEvent) event()   {}
func (TypingEvent) event()   {}
func (PresenceEvent) event() {}
func (DeliveryEvent) event() {}
func (StateEvent) event()    {}
func (MentionEvent) event()  {}

// Delivery is the state of an outgoing message.
type Delivery int

const (
	Pending Delivery = iota // waiting or in flight; survives disconnections
	Sent                    // stored by the server (Outgoing.Message)
	Failed                  // refused (Outgoing.Err); Retry or Discard it
)

func (d Delivery) String() string { return [...]string{"pending", "sent", "failed"}[d] }

// Outgoing is one of our messages on its way.
type Outgoing struct {
	ClientID string
	Room     string
	Text     string
	State    Delivery
	Message  *wire.Message // when Sent
	Err      error         // when Failed
}

// eventQueue decouples the chat from a slow reader: pushes never block, and
// the reader gets every event in order.
type eventQueue struct {
	ch     chan Event
	mu     sync.Mutex
	items  []Event
	closed bool
	wake   chan struct{}
}

func newEventQueue() *eventQueue {
	q := &eventQueue{ch: make(chan Event), wake: make(chan struct{}, 1)}
	go q.pump()
	return q
}

func (q *eventQueue) push(e Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close lets the reader drain what was pushed, then closes the channel.
func (q *eventQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pump() {
	for {
		q.mu.Lock()
		items, closed := q.items, q.closed
		q.items = nil
		q.mu.Unlock()
		for _, e := range items {
			q.ch <- e
		}
		if closed && len(items) == 0 {
			close(q.ch)
			return
		}
		if len(items) == 0 {
			<-q.wake
		}
	}
}
