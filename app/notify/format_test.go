package notify

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 200)
	for _, c := range []struct {
		name          string
		r             room
		show          Show
		summary, body string
	}{
		{"one", room{count: 1, sender: "bob", text: "hi"}, ShowText, "bob in #general", "hi"},
		{"three", room{count: 3, sender: "bob", text: "hi"}, ShowText, "3 new messages in #general", "bob: hi"},
		{"sender only", room{count: 1, sender: "bob", text: "secret"}, ShowSender, "bob in #general", ""},
		{"sender only, three", room{count: 3, sender: "bob", text: "secret"}, ShowSender, "3 new messages in #general", "The latest from bob."},
		{"mention", room{count: 1, sender: "bob", text: "@alice hi", mention: true}, ShowText, "bob mentioned you in #general", "@alice hi"},
		{"mention, nothing shown", room{count: 1, sender: "bob", text: "@alice secret", mention: true}, ShowNothing, "bob mentioned you in #general", ""},
		{"mention among two", room{count: 2, sender: "bob", text: "x", mention: true}, ShowText, "2 new messages in #general, you are mentioned", "bob: x"},
		{"long", room{count: 1, sender: "bob", text: long}, ShowText, "bob in #general", strings.TrimSpace(long[:200]) + "…"},
	} {
		n := format("general", &c.r, c.show)
		if n.Summary != c.summary || n.Body != c.body {
			t.Errorf("%s: %q / %q, want %q / %q", c.name, n.Summary, n.Body, c.summary, c.body)
		}
	}
}

func TestCut(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"  short  ", "short"},
		{strings.Repeat("x", 200), strings.Repeat("x", 200)},
		{strings.Repeat("x", 600), strings.Repeat("x", 200) + "…"},
		{strings.Repeat("é", 300), strings.Repeat("é", 200) + "…"}, // runes, not bytes
		{strings.Repeat("abcdefghi ", 30), strings.TrimSpace(strings.Repeat("abcdefghi ", 20)) + "…"},
		{"1\n2\n3\n4\n5\n6", "1\n2\n3\n4…"},
	} {
		if got := cut(c.in); got != c.want {
			t.Errorf("cut(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if n := len([]rune(cut(strings.Repeat("a ", 1000)))); n > maxBodyRunes+1 {
		t.Errorf("cut to %d runes", n)
	}
}

func TestEscapeMarkup(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"a < b":       "a &lt; b",
		"<b>x</b>":    "&lt;b&gt;x&lt;/b&gt;",
		"&amp; & co":  "&amp;amp; &amp; co",
		"plain 'quo'": "plain 'quo'",
	} {
		if got := escapeMarkup(in); got != want {
			t.Errorf("escapeMarkup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMentions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text string
		want bool
	}{
		{"@alice hi", true},
		{"hi @alice", true},
		{"hi @Alice, look", true},
		{"ask @alice.", true},
		{"(@alice)", true},
		{"@alicebob", false},
		{"@alice.b", false},
		{"@alice_2", false},
		{"mail@alice", false},
		{"alice", false},
		{"@ali", false},
	} {
		if got := Mentions(c.text, "alice"); got != c.want {
			t.Errorf("Mentions(%q) = %v", c.text, got)
		}
	}
	if Mentions("@ hi", "") {
		t.Error("an empty name is mentioned")
	}
}

func TestParseShow(t *testing.T) {
	t.Parallel()
	for _, s := range Shows {
		if ParseShow(s.String()) != s {
			t.Errorf("%v does not read back", s)
		}
	}
	if ParseShow("") != ShowText || ParseShow("bogus") != ShowText {
		t.Error("an unknown setting is not the default")
	}
}

// Post with ShowNothing keeps quiet, except for mentions.
func TestShowNothingKeepsMentions(t *testing.T) {
	t.Parallel()
	n := newWith(Config{}, nil)
	n.SetShow(ShowNothing)
	n.Post(Message{Room: "general", Sender: "bob", Text: "hi"})
	if len(n.queue) != 0 {
		t.Fatal("a plain message notifies though the user chose nothing")
	}
	n.Post(Message{Room: "general", Sender: "bob", Text: "@alice hi", Mention: true})
	if len(n.queue) != 1 || n.rooms["general"].count != 1 {
		t.Fatalf("a mention does not notify: %v", n.queue)
	}
}

// Seen starts a room's count again; SeenAll every room's.
func TestSeenCounts(t *testing.T) {
	t.Parallel()
	n := newWith(Config{}, nil)
	for _, room := range []string{"a", "a", "b"} {
		n.Post(Message{Room: room, Sender: "bob", Text: "hi"})
	}
	if n.rooms["a"].count != 2 || n.rooms["b"].count != 1 {
		t.Fatalf("counts %d, %d", n.rooms["a"].count, n.rooms["b"].count)
	}
	n.Seen("a")
	if n.rooms["a"].count != 0 || n.rooms["b"].count != 1 {
		t.Fatal("Seen(a) did not start a's count again, or touched b's")
	}
	n.rooms["b"].id = 7 // shown
	n.SeenAll()
	if n.rooms["b"].count != 0 || !n.rooms["b"].close {
		t.Fatal("SeenAll left b's count, or its notification open")
	}
	n.Post(Message{Room: "b", Sender: "bob", Text: "again"})
	if f := format("b", n.rooms["b"], ShowText); f.Summary != "bob in #b" || f.Replaces != 7 {
		t.Fatalf("after seen: %+v", f)
	}
}
