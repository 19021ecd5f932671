package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// Bob finds alice's messages by word and author, page by page, and reads
// one in context.
func TestSearchAndAround(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a, ra := connect(t, env, "alice")
	b, _ := connect(t, env, "bob")
	ctx := context.Background()
	if err := a.Join(ctx, "general"); err != nil {
		t.Fatal(err)
	}
	var all []wire.Message
	for i := range 9 {
		text := fmt.Sprintf("filler %d", i)
		if i%2 == 0 {
			text = fmt.Sprintf("needle %d", i)
		}
		all = append(all, sent(t, a, ra, "general", text))
	}
	var found []int64
	var before int64
	for pages := 0; ; pages++ {
		hits, more, err := b.Search(ctx, client.SearchQuery{Words: "NEEDLE", Author: "alice", Before: before, Limit: 2})
		if err != nil || pages > 5 {
			t.Fatalf("search: %v (page %d)", err, pages)
		}
		for _, h := range hits {
			found = append(found, h.ID)
			if h.Room != "general" || h.Author.Username != "alice" || len(h.Snippet) == 0 || !h.Snippet[0].Match {
				t.Errorf("hit %+v", h)
			}
		}
		if !more {
			break
		}
		before = hits[len(hits)-1].ID
	}
	if want := fmt.Sprint([]int64{all[8].ID, all[6].ID, all[4].ID, all[2].ID, all[0].ID}); fmt.Sprint(found) != want {
		t.Errorf("found %v, want %s", found, want)
	}

	msgs, at, err := b.Around(ctx, "general", all[4].ID, 2)
	if err != nil || at != 2 || len(msgs) != 5 || msgs[at].ID != all[4].ID || msgs[0].ID != all[2].ID || msgs[4].ID != all[6].ID {
		t.Fatalf("around: at %d of %d, %v", at, len(msgs), err)
	}

	for _, q := range []client.SearchQuery{{}, {Words: "- *"}, {Words: strings.Repeat("w ", wire.MaxSearchTerms+1)}} {
		if _, _, err := b.Search(ctx, q); !errors.Is(err, client.ErrBadInput) {
			t.Errorf("%+v: %v", q, err)
		}
	}
}
