package client

import (
	"context"
	"fmt"

	"confab/wire"
)

// SearchQuery is what to search for: words, an author, or both, perhaps
// in one room.
type SearchQuery struct {
	Words  string // every word must match (also as the start of a longer one)
	Room   string // only this room ("": every room the user may read)
	Author string // only this user's messages ("": anyone's)
	Before int64  // only messages older than this id: the next page (0: the newest)
	Limit  int    // results at most (0: wire.DefaultSearch)
}

// Search finds the newest messages matching q, newest first, among those
// the user may read; more says that older ones may match too (ask again
// with Before set to the last hit's id).
func (c *Chat) Search(ctx context.Context, q SearchQuery) (hits []wire.SearchHit, more bool, err error) {
	terms, ok := wire.SearchTerms(q.Words)
	switch {
	case !ok:
		return nil, false, &Error{Kind: ErrBadInput, Code: wire.ErrBadRequest,
			Detail: fmt.Sprintf("a search has at most %d words and %d characters", wire.MaxSearchTerms, wire.MaxSearchRunes)}
	case len(terms) == 0 && q.Author == "":
		return nil, false, &Error{Kind: ErrBadInput, Code: wire.ErrBadRequest, Detail: "a search needs a word or an author"}
	}
	p := map[string]any{"query": q.Words}
	if q.Room != "" {
		p["room"] = q.Room
	}
	if q.Author != "" {
		p["author"] = q.Author
	}
	if q.Before > 0 {
		p["before"] = q.Before
	}
	if q.Limit > 0 {
		p["limit"] = q.Limit
	}
	res, err := c.call(ctx, wire.EventSearch, p)
	if err != nil {
		return nil, false, err
	}
	if err := decode(res["results"], &hits); err != nil {
		return nil, false, &Error{Kind: ErrServer, Err: err}
	}
	more, _ = res["more"].(bool)
	return hits, more, nil
}

// Around returns the messages of a room around one (a search hit): up to
// n older ones, the message itself, and up to n newer ones, oldest first;
// at tells where the message is among them (-1: gone). They are not
// repeated on Events.
func (c *Chat) Around(ctx context.Context, room string, id int64, n int) (msgs []wire.Message, at int, err error) {
	older, err := c.History(ctx, room, id+1, n+1) // the message and those before it
	if err != nil {
		return nil, -1, err
	}
	res, err := c.call(ctx, wire.EventHistory, map[string]any{"room": room, "after": id, "limit": n})
	if err != nil {
		return nil, -1, err
	}
	var newer []wire.Message
	if err := decode(res["messages"], &newer); err != nil {
		return nil, -1, &Error{Kind: ErrServer, Err: err}
	}
	c.mu.Lock()
	r := c.room(room)
	for _, m := range newer {
		r.markSeen(m.ID)
	}
	c.mu.Unlock()
	at = -1
	for i, m := range older {
		if m.ID == id {
			at = i
		}
	}
	return append(older, newer...), at, nil
}
