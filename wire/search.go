package wire

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Search over the messages a user may read (docs/protocol.md, "Search").
const (
	// EventSearch {"query","room"?,"author"?,"before"?,"limit"?}: the newest
	// messages matching every word of query (each word also as the start of
	// a longer one), newest first, in the rooms the user may read.
	EventSearch = "search"
)

// Limits of a search: a query longer or with more words is refused as
// bad_request, as is a limit outside 1..MaxSearch.
const (
	MaxSearchRunes = 200 // runes in a query
	MaxSearchTerms = 8   // words in a query
	DefaultSearch  = 20  // results in one reply unless asked
	MaxSearch      = 50  // results in one reply at most
	SnippetRunes   = 120 // runes of text around the first match in a snippet
)

// SearchHit is one message found: where it is and a snippet of its text
// with the matching words marked; the message itself is read with history.
type SearchHit struct {
	ID       int64      `json:"id"`
	Room     string     `json:"room"`
	Author   Author     `json:"author"`
	SentAt   time.Time  `json:"sentAt"`
	EditedAt *time.Time `json:"editedAt,omitempty"`
	// Snippet is part of the text, in order: its parts marked Match are
	// what matched the query. Cut text is marked by "…" at either end.
	Snippet []SnippetPart `json:"snippet"`
}

// SnippetPart is a piece of a snippet.
type SnippetPart struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// SearchTerms splits a query into its words: runs of anything but white
// space. A word with no letter or digit in it (such as "-" or "*") is left
// out, since no message can match it. ok is false for a query over
// MaxSearchRunes or with more than MaxSearchTerms words.
func SearchTerms(query string) (terms []string, ok bool) {
	if utf8.RuneCountInString(query) > MaxSearchRunes {
		return nil, false
	}
	for _, f := range strings.Fields(query) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			terms = append(terms, f)
		}
	}
	return terms, len(terms) <= MaxSearchTerms
}
