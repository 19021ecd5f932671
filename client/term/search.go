package term

import (
	"context"
	"fmt"
	"strings"

	"confab/client"
)

const searchHelp = `  /search WORDS  find messages in every room you may read; add from:NAME for one author's, in:ROOM for one room's`

// searchCommand runs /search: words, with from:NAME and in:ROOM as filters.
func (s *screen) searchCommand(ctx context.Context, chat *client.Chat, arg string) {
	var q client.SearchQuery
	var words []string
	for _, f := range strings.Fields(arg) {
		switch {
		case strings.HasPrefix(f, "from:") && len(f) > len("from:"):
			q.Author = strings.TrimPrefix(strings.TrimPrefix(f, "from:"), "@")
		case strings.HasPrefix(f, "in:") && len(f) > len("in:"):
			q.Room = strings.TrimPrefix(strings.TrimPrefix(f, "in:"), "#")
		default:
			words = append(words, f)
		}
	}
	q.Words = strings.Join(words, " ")
	hits, more, err := chat.Search(ctx, q)
	if err != nil {
		s.printf("! %v", err)
		return
	}
	if len(hits) == 0 {
		s.printf("-- no message found")
		return
	}
	for i := len(hits) - 1; i >= 0; i-- { // newest last, as messages are shown
		h := hits[i]
		var b strings.Builder
		for _, p := range h.Snippet {
			if p.Match {
				fmt.Fprintf(&b, "*%s*", p.Text)
			} else {
				b.WriteString(p.Text)
			}
		}
		s.printf("[%s] %s #%d %s: %s", h.Room, h.SentAt.Local().Format("2006-01-02 15:04"), h.ID, h.Author.Username, b.String())
	}
	if more {
		s.printf("-- older messages match too: narrow the search with more words, from:NAME or in:ROOM")
	}
}
