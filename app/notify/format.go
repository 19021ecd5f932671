package notify

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Show is what notifications tell: the user's choice.
type Show int

const (
	ShowText    Show = iota // sender and message
	ShowSender              // sender only
	ShowNothing             // no notifications, except mentions (without their text)
)

// Shows lists the choices in the order a menu offers them.
var Shows = []Show{ShowText, ShowSender, ShowNothing}

// String is the preference's stored value.
func (s Show) String() string {
	switch s {
	case ShowSender:
		return "sender"
	case ShowNothing:
		return "nothing"
	}
	return "text"
}

// Label is the choice as a menu shows it.
func (s Show) Label() string {
	switch s {
	case ShowSender:
		return "Show the sender only"
	case ShowNothing:
		return "Only when I am mentioned"
	}
	return "Show the sender and message"
}

// ParseShow reads a stored preference; anything unknown is ShowText.
func ParseShow(s string) Show {
	for _, v := range Shows {
		if v.String() == s {
			return v
		}
	}
	return ShowText
}

// Limits on a notification's body: a long message is cut, not shown whole.
const (
	maxBodyRunes = 200
	maxBodyLines = 4
)

// format is the notification of a room's unseen messages.
func format(name string, r *room, show Show) note {
	n := note{Replaces: r.id, Mention: r.mention}
	place := "#" + name
	if r.place != "" {
		place = r.place
	}
	switch {
	case r.count > 1 && r.mention:
		n.Summary = fmt.Sprintf("%d new messages in %s, you are mentioned", r.count, place)
	case r.count > 1:
		n.Summary = fmt.Sprintf("%d new messages in %s", r.count, place)
	case r.mention:
		n.Summary = fmt.Sprintf("%s mentioned you in %s", r.sender, place)
	default:
		n.Summary = fmt.Sprintf("%s in %s", r.sender, place)
	}
	switch {
	case show == ShowText && r.count > 1:
		n.Body = r.sender + ": " + cut(r.text)
	case show == ShowText:
		n.Body = cut(r.text)
	case r.count > 1:
		n.Body = "The latest from " + r.sender + "."
	}
	return n
}

// cut shortens text to a few lines and maxBodyRunes, at a space where one
// is near, with an ellipsis when something was left out.
func cut(text string) string {
	text = strings.TrimSpace(text)
	short := false
	if lines := strings.SplitN(text, "\n", maxBodyLines+1); len(lines) > maxBodyLines {
		text, short = strings.Join(lines[:maxBodyLines], "\n"), true
	}
	if utf8.RuneCountInString(text) > maxBodyRunes {
		r := []rune(text)[:maxBodyRunes]
		if i := lastSpace(r); i > maxBodyRunes*4/5 {
			r = r[:i]
		}
		text, short = string(r), true
	}
	if short {
		return strings.TrimRight(text, " \n\t") + "…"
	}
	return text
}

func lastSpace(r []rune) int {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i] == ' ' || r[i] == '\n' {
			return i
		}
	}
	return -1
}

// escapeMarkup makes text literal in a freedesktop notification body,
// which servers with "body-markup" read as a small XML-like markup.
var escapeMarkup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// Mentions reports whether text names the user as a word: "@name", not
// "@namesake" or "mail@name". Names are compared without case.
func Mentions(text, name string) bool {
	if name == "" {
		return false
	}
	at := "@" + strings.ToLower(name)
	lower := strings.ToLower(text)
	for i := 0; ; {
		j := strings.Index(lower[i:], at)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(at)
		if (start == 0 || !nameByte(lower[start-1])) && wordEnds(lower[end:]) {
			return true
		}
		i = start + 1
	}
}

// wordEnds: what follows a name is not more of a name. A dot is part of
// a name only when more of the name follows it ("@bob." ends a sentence).
func wordEnds(rest string) bool {
	rest = strings.TrimLeft(rest, ".")
	return rest == "" || !nameByte(rest[0])
}

// nameByte: the characters of a username (wire's username rule).
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.'
}
