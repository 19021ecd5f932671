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
	"time"
)

// open opens a store in a directory or, given a PostgreSQL URL, on that
// database (contract_test.go).
func open(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := OpenWith(at(t, dir, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConcurrentAddsGetIncreasingIDsAndDedup(t *testing.T) {
	eachEngine(t, func(t *testing.T, fresh func() string) {
		dir := fresh()
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
	})
}

func TestCloseAnswersQueuedAdds(t *testing.T) {
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
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
	})
}

func TestUsersCaseInsensitive(t *testing.T) {
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
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
	})
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

// A database of schema 1 keeps its revocations (a token from before
// sessions is its own session, under its jti) and its users, who start at
// session generation 0.
func TestMigrationKeepsRevocations(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour).Unix()
	for _, q := range []string{
		migrations[0],
		`PRAGMA user_version = 1`,
		`INSERT INTO users(username, username_key, password_hash, created_at) VALUES('Alice', 'alice', 'h', 0)`,
		fmt.Sprintf(`INSERT INTO revoked_tokens(jti, expires_at) VALUES('old-jti', %d), ('gone-jti', 1)`, later),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s := open(t, dir)
	defer s.Close()
	ctx := context.Background()
	revoked, err := s.RevokedSessions(ctx, time.Now())
	if err != nil || len(revoked) != 1 || revoked["old-jti"].Unix() != later {
		t.Fatalf("revocations after migration: %v %v", revoked, err)
	}
	gens, err := s.SessionGens(ctx)
	if err != nil || len(gens) != 1 || gens[1] != 0 {
		t.Fatalf("generations: %v %v", gens, err)
	}
}

func TestChangePasswordRaisesGeneration(t *testing.T) {
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "alice", "h1")
		if err != nil {
			t.Fatal(err)
		}
		if gen, err := s.ChangePassword(ctx, u.ID, "h1", "h2"); err != nil || gen != 1 {
			t.Fatalf("change: %d %v", gen, err)
		}
		// The old hash is no longer current: a second change from it fails.
		if _, err := s.ChangePassword(ctx, u.ID, "h1", "h3"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("change from a replaced hash: %v", err)
		}
		got, hash, err := s.Credentials(ctx, "ALICE")
		if err != nil || hash != "h2" || got.SessionGen != 1 {
			t.Fatalf("%+v %q %v", got, hash, err)
		}
		if h, err := s.PasswordHash(ctx, u.ID); err != nil || h != "h2" {
			t.Fatalf("%q %v", h, err)
		}
		// Revocations: kept until they no longer matter, then pruned.
		now := time.Now()
		if err := s.RevokeSession(ctx, "sid-1", now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeSession(ctx, "sid-1", now.Add(time.Minute), now); err != nil { // twice is fine
			t.Fatal(err)
		}
		if r, _ := s.RevokedSessions(ctx, now); r["sid-1"].Unix() != now.Add(time.Hour).Unix() {
			t.Fatalf("revocations %v", r)
		}
		if r, _ := s.RevokedSessions(ctx, now.Add(2*time.Hour)); len(r) != 0 {
			t.Fatalf("not pruned: %v", r)
		}
	})
}
