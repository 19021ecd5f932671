package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Event is one NOTIFY payload: what happened, by ids and short names, never
// a message's text. A receiver reads whatever it needs from the database by
// id, which is also how a node that missed an event catches up.
type Event struct {
	Kind string `json:"k"`            // one of the Kind constants
	Node string `json:"n"`            // the node that published it
	ID   int64  `json:"id,omitempty"` // a message, or a conversation
	Room string `json:"r,omitempty"`
	User int64  `json:"u,omitempty"`
	Name string `json:"nm,omitempty"`  // a username (typing, presence)
	SID  string `json:"s,omitempty"`   // a session id (revocation)
	Gen  int64  `json:"g,omitempty"`   // a session generation
	At   int64  `json:"t,omitempty"`   // unix milliseconds (revoked until)
	Why  string `json:"why,omitempty"` // a wire.Reason* code
	On   bool   `json:"on,omitempty"`  // presence: online
}

// Kinds of events.
const (
	KindCommit   = "msg"  // messages were committed: read everything after your last id
	KindChange   = "chg"  // message ID was edited, deleted or reacted to
	KindTyping   = "typ"  // User (Name) is typing in Room
	KindPresence = "pres" // User (Name) came online (On) or went offline
	KindRevoke   = "rev"  // session SID is revoked until At
	KindSessions = "gen"  // User's sessions before Gen ended, for reason Why
	KindRemoved  = "del"  // User's account was removed
	KindAdded    = "add"  // User's account was created
	KindKick     = "kick" // User was kicked from Room
	KindMembers  = "conv" // conversation ID's members changed (User left, if set)
	KindRead     = "read" // User moved their read marker in conversation ID
)

// MaxPayload is the largest payload published; NOTIFY takes up to 8000
// bytes, and an event is a few ids and names (under 300 bytes).
const MaxPayload = 1000

// maxField bounds each string field of an event received: names and ids
// are short, and a hostile payload must not make the node keep a long one.
const maxField = 200

var errGarbled = errors.New("cluster: payload is not an event")

// Encode is ev as a payload.
func Encode(ev Event) (string, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	if len(b) > MaxPayload {
		return "", fmt.Errorf("cluster: event %q is %d bytes, more than %d", ev.Kind, len(b), MaxPayload)
	}
	return string(b), nil
}

// Decode reads a payload; anything but a well-formed event of a known kind
// is an error (the caller ignores it).
func Decode(payload string) (Event, error) {
	var ev Event
	if len(payload) > MaxPayload {
		return ev, errGarbled
	}
	if err := json.Unmarshal([]byte(payload), &ev); err != nil {
		return Event{}, errGarbled
	}
	if !known[ev.Kind] || ev.Node == "" || ev.ID < 0 || ev.User < 0 ||
		len(ev.Node) > maxField || len(ev.Room) > maxField || len(ev.Name) > maxField ||
		len(ev.SID) > maxField || len(ev.Why) > maxField {
		return Event{}, errGarbled
	}
	return ev, nil
}

var known = map[string]bool{
	KindCommit: true, KindChange: true, KindTyping: true, KindPresence: true, KindRevoke: true,
	KindSessions: true, KindRemoved: true, KindAdded: true, KindKick: true, KindMembers: true, KindRead: true,
}
