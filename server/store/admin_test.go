package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// On the real database of an earlier release the oldest account becomes
// the administrator, and nobody else.
func TestAdminMigrationMakesTheOldestAccountAdmin(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "release-schema3.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, DBFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	defer s.Close()
	users, err := s.AllUsers(context.Background())
	if err != nil || len(users) != 3 {
		t.Fatalf("%v %v", users, err)
	}
	for _, u := range users {
		if u.Admin != (u.ID == 1) || u.Removed || !u.LastSeen.IsZero() {
			t.Errorf("after the migration: %+v", u)
		}
	}
	if users[0].Username != "alice" || !users[0].Admin {
		t.Errorf("alice (the oldest) is not the administrator: %+v", users[0])
	}
}

func TestFirstAccountIsAdminAndTheLastAdminStays(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		a, _ := s.CreateUser(ctx, "alice", "h")
		b, _ := s.CreateUser(ctx, "bob", "h")
		if ok, _ := s.IsAdmin(ctx, a.ID); !ok {
			t.Error("the first account is not an administrator")
		}
		if ok, _ := s.IsAdmin(ctx, b.ID); ok {
			t.Error("the second account is an administrator")
		}
		au := Audit{Actor: "alice", ActorID: a.ID, Action: "demote", Target: "alice"}
		if err := s.SetAdmin(ctx, a.ID, false, au); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("unmaking the last administrator: %v", err)
		}
		if _, err := s.RemoveUser(ctx, a.ID, au); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("removing the last administrator: %v", err)
		}
		if err := s.SetAdmin(ctx, b.ID, true, Audit{Actor: "alice", Action: "promote", Target: "bob"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdmin(ctx, a.ID, false, au); err != nil {
			t.Errorf("unmaking one of two administrators: %v", err)
		}
		log, _ := s.AuditLog(ctx, 10)
		if len(log) != 2 || log[0].Action != "demote" || log[1].Action != "promote" || log[1].Target != "bob" {
			t.Errorf("audit: %+v (the refused actions must not be there)", log)
		}
	})
}

// A removed account cannot sign in, leaves the lists, keeps its name and
// its messages, which say their author was removed.
func TestRemovedUser(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		s.CreateUser(ctx, "alice", "h") //nolint:errcheck
		b, _ := s.CreateUser(ctx, "bob", "hash-b")
		if _, _, err := s.AddMessage(ctx, Message{Room: "general", AuthorID: b.ID, AuthorName: "bob", Text: "hi"}); err != nil {
			t.Fatal(err)
		}
		gen, err := s.RemoveUser(ctx, b.ID, Audit{Actor: "alice", Action: "remove", Target: "bob"})
		if err != nil || gen != 1 {
			t.Fatalf("remove: %d %v", gen, err)
		}
		if _, err := s.RemoveUser(ctx, b.ID, Audit{Action: "remove"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("removed twice: %v", err)
		}
		if _, _, err := s.Credentials(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Errorf("credentials of a removed user: %v", err)
		}
		gens, _ := s.SessionGens(ctx)
		listed, _ := s.Users(ctx, 10)
		if _, ok := gens[b.ID]; ok || len(listed) != 1 {
			t.Errorf("still listed: %v %v", gens, listed)
		}
		if _, err := s.CreateUser(ctx, "Bob", "h"); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("a removed user's name taken again: %v", err)
		}
		h, _ := s.History(ctx, Page{Room: "general", Limit: 10})
		if len(h) != 1 || h[0].Text != "hi" || !h[0].AuthorRemoved || h[0].AuthorName != "bob" {
			t.Errorf("history: %+v", h)
		}
	})
}

func TestRenameAndReset(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		s.CreateUser(ctx, "alice", "h") //nolint:errcheck
		b, _ := s.CreateUser(ctx, "bob", "h")
		au := Audit{Actor: "alice", Action: "rename", Target: "bob"}
		if _, err := s.RenameUser(ctx, b.ID, "Alice", au); !errors.Is(err, ErrUsernameTaken) {
			t.Errorf("rename to a taken name: %v", err)
		}
		if _, err := s.RenameUser(ctx, b.ID, "a1ice", au); !errors.Is(err, ErrUsernameTooSimilar) {
			t.Errorf("rename to a look-alike: %v", err)
		}
		if gen, err := s.RenameUser(ctx, b.ID, "BOB", au); err != nil || gen != 1 {
			t.Errorf("rename to one's own name in other letters: %d %v", gen, err)
		}
		if gen, err := s.RenameUser(ctx, b.ID, "robert", au); err != nil || gen != 2 {
			t.Fatalf("rename: %d %v", gen, err)
		}
		if _, err := s.CreateUser(ctx, "bob", "h"); err != nil {
			t.Errorf("the old name is free again: %v", err)
		}
		if _, err := s.CreateUser(ctx, "r0bert", "h"); !errors.Is(err, ErrUsernameTooSimilar) {
			t.Errorf("a look-alike of the new name: %v", err)
		}
		gen, err := s.ResetPassword(ctx, b.ID, "new-hash", Audit{Action: "reset_password"})
		if u, hash, _ := s.Credentials(ctx, "robert"); err != nil || gen != 3 || hash != "new-hash" || u.SessionGen != 3 {
			t.Errorf("reset: %d %v %q %+v", gen, err, hash, u)
		}
	})
}

// An invite code is good for its uses and until its expiry, not at it.
func TestInviteUsesAndExpiry(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		a, _ := s.CreateUser(ctx, "alice", "h")
		now := time.Now().Truncate(time.Millisecond)
		au := Audit{ActorID: a.ID, Actor: "alice", Action: "invite", Target: "1 use"}
		if err := s.CreateInvite(ctx, InviteHash("ONE"), 1, now.Add(time.Hour), au); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateInvite(ctx, InviteHash("TWO"), 2, now.Add(time.Minute), au); err != nil {
			t.Fatal(err)
		}
		used := Audit{Action: "invite_used"}
		if _, err := s.CreateInvitedUser(ctx, "a1ice", "h", InviteHash("ONE"), now, used); !errors.Is(err, ErrUsernameTooSimilar) {
			t.Errorf("a refused name: %v", err)
		}
		if _, err := s.CreateInvitedUser(ctx, "bob", "h", InviteHash("ONE"), now, used); err != nil {
			t.Errorf("the refused name spent the single use: %v", err)
		}
		if _, err := s.CreateInvitedUser(ctx, "carol", "h", InviteHash("ONE"), now, used); !errors.Is(err, ErrInvalidInvite) {
			t.Errorf("a single-use code used twice: %v", err)
		}
		if _, err := s.CreateInvitedUser(ctx, "nobody", "h", InviteHash("NOPE"), now, used); !errors.Is(err, ErrInvalidInvite) {
			t.Errorf("an unknown code: %v", err)
		}
		edge := now.Add(time.Minute)
		if _, err := s.CreateInvitedUser(ctx, "dave", "h", InviteHash("TWO"), edge.Add(-time.Millisecond), used); err != nil {
			t.Errorf("a millisecond before the expiry: %v", err)
		}
		if _, err := s.CreateInvitedUser(ctx, "erin", "h", InviteHash("TWO"), edge, used); !errors.Is(err, ErrInvalidInvite) {
			t.Errorf("at the expiry: %v", err)
		}
		if _, _, err := s.Credentials(ctx, "carol"); !errors.Is(err, ErrNotFound) {
			t.Error("an account was made with a refused code")
		}
		log, _ := s.AuditLog(ctx, 10)
		if len(log) != 4 || log[0].Action != "invite_used" || log[0].Actor != "dave" || log[1].Target != "bob" {
			t.Errorf("audit: %+v", log)
		}
	})
}
