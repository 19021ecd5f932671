package client

import (
	"sort"
	"strconv"
	"time"

	"confab/wire"
)

// TypingSet keeps who is typing in which room, from TypingEvents: an entry
// ends at its expiry, or when a message of that user arrives in the room.
// It is not safe for concurrent use; keep it where the events are read.
type TypingSet struct {
	until map[string]map[string]typist // room -> user id -> typist
}

type typist struct {
	name  string
	until time.Time
}

// Typing records a TypingEvent.
func (s *TypingSet) Typing(e TypingEvent) {
	if s.until == nil {
		s.until = map[string]map[string]typist{}
	}
	room := s.until[e.Typing.Room]
	if room == nil {
		room = map[string]typist{}
		s.until[e.Typing.Room] = room
	}
	room[e.Typing.User.ID] = typist{e.Typing.User.Username, e.Until}
}

// Message ends the typing of a message's author in its room; it reports
// whether someone was shown typing there.
func (s *TypingSet) Message(m wire.Message) bool {
	room := s.until[m.Room]
	if _, ok := room[m.Author.ID]; !ok {
		return false
	}
	delete(room, m.Author.ID)
	return true
}

// Names lists who is typing in a room at now, by name, and forgets the
// expired; the earliest expiry still ahead is when to ask again (zero if
// none).
func (s *TypingSet) Names(room string, now time.Time) ([]string, time.Time) {
	var names []string
	var next time.Time
	for id, t := range s.until[room] {
		if !now.Before(t.until) {
			delete(s.until[room], id)
			continue
		}
		names = append(names, t.name)
		if next.IsZero() || t.until.Before(next) {
			next = t.until
		}
	}
	sort.Strings(names)
	return names, next
}

// TypingLine says who is typing in plain words: "alice is typing…",
// "alice and bob are typing…", "alice, bob and carol are typing…",
// "4 people are typing…"; empty for nobody.
func TypingLine(names []string) string {
	switch n := len(names); {
	case n == 0:
		return ""
	case n == 1:
		return names[0] + " is typing…"
	case n <= 3:
		list := names[0]
		for _, name := range names[1 : n-1] {
			list += ", " + name
		}
		return list + " and " + names[n-1] + " are typing…"
	default:
		return strconv.Itoa(n) + " people are typing…"
	}
}
