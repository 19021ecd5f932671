package store

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// Two users opening their DM at the same moment, from either side, get one
// conversation; a group takes members up to its limit; read markers only
// move on, and unread counts leave out one's own and deleted messages.
func TestConversationsAndReadMarkers(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"alice", "bob", "carol"} {
			u, err := s.CreateUser(ctx, name, "h")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		a, b, c := ids[0], ids[1], ids[2]

		rooms := make([]string, 8)
		var wg sync.WaitGroup
		for i := range rooms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				x, y := a, b
				if i%2 == 1 {
					x, y = b, a
				}
				conv, _, err := s.OpenDM(ctx, x, y)
				if err != nil {
					t.Error(err)
				}
				rooms[i] = conv.Room
			}()
		}
		wg.Wait()
		for _, r := range rooms {
			if r != rooms[0] || r == "" {
				t.Fatalf("DM rooms opened at once: %v", rooms)
			}
		}
		dm, created, err := s.OpenDM(ctx, a, b)
		if err != nil || created || dm.Room != rooms[0] || len(dm.Members) != 2 {
			t.Fatalf("the DM again: %+v %v %v", dm, created, err)
		}
		if ok, err := s.IsMember(ctx, dm.ID, c); ok || err != nil {
			t.Fatalf("carol a member of alice and bob's DM: %v %v", ok, err)
		}
		if _, _, err := s.OpenDM(ctx, a, 9999); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a DM with nobody: %v", err)
		}

		var msgs []Message
		for _, text := range []string{"one", "two", "three"} {
			m, _, err := s.AddMessage(ctx, Message{Room: dm.Room, AuthorID: a, AuthorName: "alice", Text: text})
			if err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		s.AddMessage(ctx, Message{Room: dm.Room, AuthorID: b, AuthorName: "bob", Text: "mine"}) //nolint:errcheck
		if sm, err := s.SummaryOf(ctx, dm.ID, b); err != nil || sm.Unread != 3 || sm.ReadID != 0 {
			t.Fatalf("bob's summary: %+v %v", sm, err)
		}
		if read, unread, err := s.MarkRead(ctx, dm.ID, b, msgs[1].ID); err != nil || read != msgs[1].ID || unread != 1 {
			t.Fatalf("mark read: %d %d %v", read, unread, err)
		}
		if read, _, _ := s.MarkRead(ctx, dm.ID, b, msgs[0].ID); read != msgs[1].ID {
			t.Fatalf("the marker moved back to %d", read)
		}
		if _, _, err := s.DeleteMessage(ctx, msgs[2].ID, a); err != nil {
			t.Fatal(err)
		}
		if list, err := s.Conversations(ctx, b, 10); err != nil || len(list) != 1 || list[0].Unread != 0 {
			t.Fatalf("bob's list after the delete: %+v %v", list, err)
		}
		if _, _, err := s.MarkRead(ctx, dm.ID, c, msgs[0].ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("carol's marker in a DM she is not in: %v", err)
		}

		g, err := s.CreateGroup(ctx, a, "Launch", []int64{b, b, a})
		if err != nil || len(g.Members) != 2 || g.Kind != KindGroup {
			t.Fatalf("group: %+v %v", g, err)
		}
		if _, _, err := s.AddMember(ctx, g.ID, c, 2); !errors.Is(err, ErrGroupFull) {
			t.Fatalf("a third in a group of at most two: %v", err)
		}
		after, added, err := s.AddMember(ctx, g.ID, c, 3)
		if err != nil || !added || len(after.Members) != 3 {
			t.Fatalf("invite: %+v %v %v", after, added, err)
		}
		after, removed, err := s.RemoveMember(ctx, g.ID, c)
		if err != nil || !removed || len(after.Members) != 2 {
			t.Fatalf("leave: %+v %v %v", after, removed, err)
		}
		if list, _ := s.Conversations(ctx, c, 10); len(list) != 0 {
			t.Fatalf("carol's list after leaving: %+v", list)
		}
	})
}
