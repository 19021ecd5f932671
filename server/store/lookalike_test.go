package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestLookalike(t *testing.T) {
	t.Parallel()
	cases := []struct {
		a, b string
		want bool
	}{
		// Refused next to alice.
		{"alice", "aIice", true}, // capital i: UTS #39 maps I to l
		{"alice", "a1ice", true}, // digit one: mapped to l too
		{"alice", "ALICE", true}, // the same name: shares its lower-case key
		{"alice", "AIice", true}, // reads as Alice
		{"ALICE", "a1ice", true}, // reads as alice
		{"ALICE", "aIice", true}, // ditto
		{"alice", "аlice", true}, // Cyrillic а
		{"alice", "ａｌｉｃｅ", true}, // fullwidth, by NFKC
		{"mike", "ｍike", true},   // fullwidth ｍ
		{"mike", "rnike", true},  // UTS #39 folds m with rn
		{"Mike", "rnike", true},
		{"bob", "b0b", true}, // B0B reads as BOB
		{"BOB", "b0b", true},
		{"lily", "1i1y", true},
		{"lily", "1I1y", true},
		{"l1l", "III", true},
		{"alice", "al1ce", true}, // AL1CE reads as ALICE
		{"alice", "ALlCE", true}, // reads as ALICE
		{"Ian", "lan", true},
		// Allowed.
		{"alice", "alicia", false},
		{"alice", "al", false},
		{"alice", "bob", false},
		{"alice", "aiice", false}, // small i is not l
		{"alice", "alice2", false},
		{"alice", "a.lice", false},
		{"Neil", "Nell", false},
		{"NEIL", "Nell", false},
		{"NEIL", "NELL", false},
		{"ali", "all", false},
		{"bob", "bobby", false},
		{"user1", "user10", false},
		{"user0", "user1", false},
		{"m", "n", false},
		{"a_b", "a-b", false},
	}
	for _, tc := range cases {
		if got := Lookalike(tc.a, tc.b); got != tc.want {
			t.Errorf("Lookalike(%q, %q) = %v, want %v (keys %q, %q)", tc.a, tc.b, got, tc.want, lookalikeKeys(tc.a), lookalikeKeys(tc.b))
		}
		if got := Lookalike(tc.b, tc.a); got != tc.want {
			t.Errorf("Lookalike(%q, %q) = %v, not symmetric", tc.b, tc.a, got)
		}
	}
	for in, want := range map[string][]string{
		"alice": {"ALlCE", "Alice", "alice"},
		"aIice": {"Aiice", "AllCE", "aiice", "alice"},
		"a1ice": {"Alice", "AllCE", "alice"},
		"ｍ":     {"M", "rn"},
		"B0B":   {"BOB", "BOb", "bOb"},
	} {
		if got := lookalikeKeys(in); !slices.Equal(got, want) {
			t.Errorf("keys of %q = %q, want %q", in, got, want)
		}
	}
}

func TestCreateUserRefusesLookalikes(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, "alice", "h"); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]error{"ALICE": ErrUsernameTaken, "aIice": ErrUsernameTooSimilar, "a1ice": ErrUsernameTooSimilar, "alicia": nil} {
			if err := s.UsernameConflict(ctx, name); !errors.Is(err, want) {
				t.Errorf("UsernameConflict(%s) = %v, want %v", name, err, want)
			}
			if _, err := s.CreateUser(ctx, name, "h"); !errors.Is(err, want) {
				t.Errorf("CreateUser(%s) = %v, want %v", name, err, want)
			}
		}
		// A deleted account's keys go with it.
		if _, err := s.DeleteUser(ctx, "alice"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateUser(ctx, "a1ice", "h"); err != nil {
			t.Errorf("a1ice after alice was deleted: %v", err)
		}
		if s.Postgres() { // the plan below is SQLite's
			return
		}
		var plan string
		if err := s.db.QueryRow(`EXPLAIN QUERY PLAN SELECT COUNT(*) FROM user_lookalikes WHERE `+similarWhere, conflictArgs("x")[1:]...).Scan(new(int), new(int), new(int), &plan); err != nil || !strings.Contains(plan, "INDEX") {
			t.Errorf("look-alike check not indexed: %q %v", plan, err)
		}
	})
}

func TestConcurrentLookalikesOneCreated(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, fresh func() string) {
		s := open(t, fresh())
		defer s.Close()
		names := lookalikesOf("w", "y", 20)
		var wg sync.WaitGroup
		errs := make([]error, len(names))
		for i, name := range names {
			wg.Go(func() { _, errs[i] = s.CreateUser(context.Background(), name, "h") })
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case !errors.Is(err, ErrUsernameTooSimilar):
				t.Errorf("%s: %v", names[i], err)
			}
		}
		if created != 1 {
			t.Fatalf("%d of %d look-alikes created, want 1", created, len(names))
		}
	})
}

// lookalikesOf returns n distinct names prefix+(three of l, I, 1)+suffix:
// different accounts, one skeleton.
func lookalikesOf(prefix, suffix string, n int) []string {
	var out []string
	for i := 0; len(out) < n && i < 27; i++ {
		mid := ""
		for j, k := 0, i; j < 3; j, k = j+1, k/3 {
			mid += string("lI1"[k%3])
		}
		out = append(out, prefix+mid+suffix)
	}
	return out
}

// A database made before look-alikes were refused may hold some: it opens,
// keeps every account, and refuses new look-alikes of any of them.
func TestMigrationKeepsCollidingAccounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	old := []string{"alice", "aIice", "a1ice", "ALlCE", "bob"}
	for _, q := range []string{migrations[0], `PRAGMA user_version = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range old {
		if _, err := db.Exec(`INSERT INTO users(username, username_key, password_hash, created_at) VALUES(?,?,?,0)`,
			name, usernameKey(name), "hash-"+name); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := open(t, dir)
	defer func() { s.Close() }()
	ctx := context.Background()
	for _, name := range old {
		u, hash, err := s.Credentials(ctx, name)
		if err != nil || u.Username != name || hash != "hash-"+name {
			t.Errorf("%s after migration: %+v %q %v", name, u, hash, err)
		}
		var keys []string
		rows, err := s.db.Query(`SELECT skeleton FROM user_lookalikes WHERE user_id = ? ORDER BY skeleton`, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k) //nolint:errcheck
			keys = append(keys, k)
		}
		rows.Close()
		if want := lookalikeKeys(name); !slices.Equal(keys, want) {
			t.Errorf("%s: keys %q, want %q", name, keys, want)
		}
	}
	for _, name := range []string{"al1ce", "b0b", "AL1CE"} {
		if _, err := s.CreateUser(ctx, name, "h"); !errors.Is(err, ErrUsernameTooSimilar) {
			t.Errorf("CreateUser(%s) after migration: %v", name, err)
		}
	}
	if _, err := s.CreateUser(ctx, "carol", "h"); err != nil {
		t.Error(err)
	}
	if n := len(mustUsers(t, s)); n != len(old)+1 {
		t.Errorf("%d users, want %d", n, len(old)+1)
	}
	// Opened again, it is as it was: the fill ran once.
	var keys int
	s.db.QueryRow(`SELECT COUNT(*) FROM user_lookalikes`).Scan(&keys) //nolint:errcheck
	s.Close()
	s = open(t, dir)
	var again int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM user_lookalikes`).Scan(&again); err != nil || again != keys || keys == 0 {
		t.Errorf("look-alike keys: %d, then %d after reopening (%v)", keys, again, err)
	}
	if _, err := s.CreateUser(ctx, "aIlce", "h"); !errors.Is(err, ErrUsernameTooSimilar) {
		t.Errorf("after reopening: %v", err)
	}
}

func mustUsers(t *testing.T, s *Store) []User {
	t.Helper()
	us, err := s.Users(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	return us
}
