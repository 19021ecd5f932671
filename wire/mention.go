package wire

import "strings"

// Mentions: a message that names a user as "@name" reaches that user even
// where they are not in its room (docs/protocol.md, "Mentions").
const (
	// EventMention (server to client) carries a Message that names the
	// user, to the user's sockets not in its room (those in it receive it
	// as EventMessage), if the user may read the room.
	EventMention = "mention"
	// MaxMentions is how many users one message notifies at most (the
	// first named).
	MaxMentions = 10
)

// Mentions lists the usernames text names as "@name", each once (any
// case), in order, at most MaxMentions. A name is a whole word: not in
// "mail@host" nor the start of a longer name; a dot ending it ends the
// sentence ("@bob.").
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(text) && len(out) < MaxMentions; i++ {
		if text[i] != '@' || (i > 0 && nameByte(text[i-1])) {
			continue
		}
		j := i + 1
		for j < len(text) && nameByte(text[j]) {
			j++
		}
		name := strings.TrimRight(text[i+1:j], ".")
		if key := strings.ToLower(name); ValidUsername(name) && !seen[key] {
			seen[key] = true
			out = append(out, name)
		}
		i = j - 1
	}
	return out
}

// nameByte: the characters of a username (ValidUsername).
func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.'
}
