package server

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"confab/server/store"
	"confab/wire"
)

// onSearch answers the newest messages the user may read that match a
// query (docs/protocol.md, "Search"): {"results":[SearchHit], "more"?}.
func (c *conn) onSearch(payload any) ack {
	m, isMap := payload.(map[string]any)
	if !isMap {
		return fail(wire.ErrBadRequest)
	}
	query, err1 := optString(m, "query", "")
	author, err2 := optString(m, "author", "")
	room, err3 := optString(m, "room", "")
	before, err4 := optID(m, "before")
	limit, err5 := optInt(m, "limit", wire.DefaultSearch)
	terms, short := wire.SearchTerms(query)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || !short ||
		limit < 1 || limit > wire.MaxSearch || (author != "" && !wire.ValidUsername(author)) ||
		(len(terms) == 0 && author == "") {
		return fail(wire.ErrBadRequest)
	}
	if room != "" && !wire.ValidConversation(room) {
		return fail(wire.ErrInvalidRoom)
	}
	if !c.limits.mayRead() {
		return fail(wire.ErrRateLimited)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	found, err := c.srv.store.SearchMessages(ctx, terms, store.SearchFilter{
		Room: room, Author: author, Before: before, Limit: limit,
		MayRead: func(ctx context.Context, room string) (bool, error) { return c.srv.mayRead(ctx, c.userID, room) },
	})
	if err != nil {
		c.srv.limited.Error("search", "user_id", c.userID, "err", err)
		return fail(wire.ErrInternal)
	}
	hits := make([]wire.SearchHit, len(found))
	for i, f := range found {
		w := toWire(f)
		hits[i] = wire.SearchHit{ID: w.ID, Room: w.Room, Author: w.Author, SentAt: w.SentAt, EditedAt: w.EditedAt,
			Snippet: snippet(f.Text, terms)}
	}
	if b, err := json.Marshal(hits); err == nil {
		c.limits.charge(len(b))
	}
	res := ack{"results": hits}
	if len(found) == limit {
		res["more"] = true
	}
	return success(res)
}

// snippet cuts text around its first word that matches a term (as the
// index matches: the start of a word, whatever its case and accents) and
// marks every matching word in it.
func snippet(text string, terms []string) []wire.SnippetPart {
	var keys []string
	for _, t := range terms {
		keys = append(keys, words(fold(t))...)
	}
	type span struct{ from, to int }
	var marks []span
	for _, w := range wordSpans(text) {
		f := fold(text[w[0]:w[1]])
		for _, k := range keys {
			if strings.HasPrefix(f, k) {
				marks = append(marks, span{w[0], w[1]})
				break
			}
		}
	}
	rs := []rune(text)
	start, end := 0, len(text)
	if len(rs) > wire.SnippetRunes {
		at := 0
		if len(marks) > 0 {
			at = len([]rune(text[:marks[0].from]))
		}
		from := max(0, min(at-wire.SnippetRunes/4, len(rs)-wire.SnippetRunes))
		start, end = len(string(rs[:from])), len(string(rs[:from+wire.SnippetRunes]))
	}
	var out []wire.SnippetPart
	put := func(s string, match bool) {
		if s != "" {
			out = append(out, wire.SnippetPart{Text: s, Match: match})
		}
	}
	if start > 0 {
		put("…", false)
	}
	at := start
	for _, mk := range marks {
		if mk.to <= start || mk.from >= end {
			continue
		}
		from, to := max(mk.from, start), min(mk.to, end)
		put(text[at:from], false)
		put(text[from:to], true)
		at = to
	}
	put(text[at:end], false)
	if end < len(text) {
		put("…", false)
	}
	return out
}

// wordSpans are the byte ranges of text's words: runs of letters, digits
// and marks (the index's tokenizer splits at everything else).
func wordSpans(text string) [][2]int {
	var out [][2]int
	start := -1
	for i, r := range text {
		in := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(text)})
	}
	return out
}

func words(s string) []string {
	var out []string
	for _, w := range wordSpans(s) {
		out = append(out, s[w[0]:w[1]])
	}
	return out
}

// fold lowers a word's case and takes its accents off, as the index does.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	if out, _, err := transform.String(t, s); err == nil {
		s = out
	}
	return strings.ToLower(s)
}
