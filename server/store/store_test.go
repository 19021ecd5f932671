package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConcurrentAddsGetIncreasingIDsAndDedup(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	ctx := context.Background()
	const n = 200
	var wg sync.WaitGroup
	ids := make([]int64, n)
	created := make([]bool, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Pairs share a clientId: exactly one of each pair is created.
			m, c, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: 1, AuthorName: "a", Text: "t", ClientID: fmt.Sprint(i / 2)})
			if err != nil {
				t.Error(err)
			}
			ids[i], created[i] = m.ID, c
		}(i)
	}
	wg.Wait()
	for i := 0; i < n; i += 2 {
		if ids[i] != ids[i+1] || created[i] == created[i+1] {
			t.Fatalf("pair %d: ids %d/%d created %v/%v", i/2, ids[i], ids[i+1], created[i], created[i+1])
		}
	}
	got, err := s.History(ctx, Page{Room: "general", Limit: n})
	if err != nil || len(got) != n/2 {
		t.Fatalf("history: %d messages, %v", len(got), err)
	}
	for i := 1; i < len(got); i++ {
		if got[i].ID <= got[i-1].ID || got[i].SentAt.Before(got[i-1].SentAt) {
			t.Fatalf("ids or times not increasing at %d", i)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Everything is there after reopening.
	s = open(t, dir)
	defer s.Close()
	again, _ := s.History(ctx, Page{Room: "general", Limit: n})
	if len(again) != n/2 {
		t.Fatalf("after reopen: %d messages", len(again))
	}
}

func TestCloseAnswersQueuedAdds(t *testing.T) {
	s := open(t, t.TempDir())
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := s.AddMessage(ctx, Message{Room: "r", AuthorID: 1, AuthorName: "a", Text: "t"})
			errs <- err
		}()
	}
	s.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
}

func TestUsersCaseInsensitive(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "Alice", "h"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "aLICE", "h"); !errors.Is(err, ErrUsernameTaken) {
		t.Fatalf("case-insensitive duplicate: %v", err)
	}
	u, hash, err := s.Credentials(ctx, "ALICE")
	if err != nil || u.Username != "Alice" || hash != "h" {
		t.Fatalf("%v %q %v", u, hash, err)
	}
	if _, _, err := s.Credentials(ctx, "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)) //nolint:errcheck
	db.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer than this build") {
		t.Fatalf("opened a newer schema: %v", err)
	}
}
