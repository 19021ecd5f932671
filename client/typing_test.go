package client

import (
	"strings"
	"testing"
	"time"

	"confab/wire"
)

func TestTypingSet(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ev := func(room, id, name string, until time.Duration) TypingEvent {
		return TypingEvent{Typing: wire.Typing{Room: room, User: wire.Author{ID: id, Username: name}}, Until: t0.Add(until)}
	}
	var s TypingSet
	s.Typing(ev("general", "1", "alice", 6*time.Second))
	s.Typing(ev("general", "2", "bob", 3*time.Second))
	s.Typing(ev("dev", "3", "carol", 6*time.Second))
	steps := []struct {
		name     string
		do       func()
		at       time.Duration
		want     string
		wantNext time.Duration
	}{
		{"both typing", nil, time.Second, "alice and bob are typing…", 3 * time.Second},
		{"bob expired", nil, 3 * time.Second, "alice is typing…", 6 * time.Second},
		{"bob again", func() { s.Typing(ev("general", "2", "bob", 8*time.Second)) }, 4 * time.Second, "alice and bob are typing…", 6 * time.Second},
		{"alice sent", func() { s.Message(wire.Message{Room: "general", Author: wire.Author{ID: "1"}}) }, 4 * time.Second, "bob is typing…", 8 * time.Second},
		{"a message elsewhere changes nothing", func() { s.Message(wire.Message{Room: "dev", Author: wire.Author{ID: "2"}}) }, 4 * time.Second, "bob is typing…", 8 * time.Second},
		{"all expired", nil, 8 * time.Second, "", 0},
	}
	for _, st := range steps {
		if st.do != nil {
			st.do()
		}
		names, next := s.Names("general", t0.Add(st.at))
		var wantNext time.Time
		if st.wantNext > 0 {
			wantNext = t0.Add(st.wantNext)
		}
		if got := TypingLine(names); got != st.want || !next.Equal(wantNext) {
			t.Errorf("%s: %q next %v, want %q next %v", st.name, got, next, st.want, wantNext)
		}
	}
	if names, _ := s.Names("dev", t0); strings.Join(names, ",") != "carol" {
		t.Errorf("dev: %v", names)
	}
}

func TestTypingLine(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		names []string
		want  string
	}{
		{nil, ""},
		{[]string{"alice"}, "alice is typing…"},
		{[]string{"alice", "bob"}, "alice and bob are typing…"},
		{[]string{"alice", "bob", "carol"}, "alice, bob and carol are typing…"},
		{[]string{"a", "b", "c", "d"}, "4 people are typing…"},
		{make([]string, 12), "12 people are typing…"},
	} {
		if got := TypingLine(c.names); got != c.want {
			t.Errorf("%v: %q, want %q", c.names, got, c.want)
		}
	}
}
