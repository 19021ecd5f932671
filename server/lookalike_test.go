package server_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"confab/internal/testserver"
	"confab/server"
	"confab/server/auth"
	"confab/server/store"
	"confab/wire"
)

// usernames lists the accounts, as another user sees them.
func usernames(t *testing.T, env *testserver.Env, token string) []string {
	t.Helper()
	var out []string
	for _, u := range call(t, dial(t, env, token), wire.EventUsers, map[string]any{})["users"].([]any) {
		out = append(out, u.(map[string]any)["username"].(string))
	}
	slices.Sort(out)
	return out
}

func TestLookalikeUsernamesRefused(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{RegistrationsPerAddr: 100})
	alice := env.Register("alice", "password-a")
	env.Register("mike", "password-m")
	env.Register("bob", "password-b")
	cases := []struct {
		name string
		code int
		err  string
	}{
		{"aIice", 409, wire.ErrUsernameTooSimilar}, // capital i
		{"a1ice", 409, wire.ErrUsernameTooSimilar}, // digit one
		{"AIice", 409, wire.ErrUsernameTooSimilar}, // shows as "Alice"
		{"A1ICE", 409, wire.ErrUsernameTooSimilar},
		{"ALlCE", 409, wire.ErrUsernameTooSimilar}, // reads as ALICE
		{"rnike", 409, wire.ErrUsernameTooSimilar},
		{"b0b", 409, wire.ErrUsernameTooSimilar},
		{"ALICE", 409, wire.ErrUsernameTaken},
		{"аlice", 400, wire.ErrInvalidUsername}, // Cyrillic а: not a username at all
		{"alicia", 201, ""},
		{"ali", 201, ""},
	}
	for _, tc := range cases {
		code, _, body := env.Post("/register", ctJSON, testserver.JSON(tc.name, "password-x"), "")
		if code != tc.code || (tc.err != "" && body["error"] != tc.err) {
			t.Errorf("%s: %d %v, want %d %s", tc.name, code, body, tc.code, tc.err)
		}
		// The answer names no account.
		if msg, _ := body["message"].(string); tc.err != "" && (msg == "" || strings.Contains(strings.ToLower(msg), "alice")) {
			t.Errorf("%s: message %q", tc.name, msg)
		}
	}
	want := []string{"ali", "alice", "alicia", "bob", "mike"}
	if got := usernames(t, env, alice.Token); !slices.Equal(got, want) {
		t.Fatalf("accounts %v, want %v", got, want)
	}
}

// A look-alike costs a sign-up token as a taken name does: guessing which
// names exist is throttled the same way.
func TestLookalikeCostsAToken(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{RegistrationsPerAddr: 3})
	env.Register("alice", "password-a")
	for _, name := range []string{"aIice", "a1ice"} {
		if code, _, body := env.Post("/register", ctJSON, testserver.JSON(name, "password-x"), ""); code != 409 {
			t.Fatalf("%s: %d %v", name, code, body)
		}
	}
	if code, _, body := env.Post("/register", ctJSON, testserver.JSON("carol", "password-c"), ""); code != 429 || body["error"] != wire.ErrTooManyAttempts {
		t.Fatalf("after 3 attempts: %d %v", code, body)
	}
}

// Sign-ups of look-alikes at once: exactly one account is created.
func TestConcurrentLookalikeSignups(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{RegistrationsPerAddr: 100})
	var names []string // w + three of l, I, 1 + y: 27 accounts, one skeleton
	for _, a := range "lI1" {
		for _, b := range "lI1" {
			for _, c := range "lI1" {
				names = append(names, "w"+string([]rune{a, b, c})+"y")
			}
		}
	}
	names = names[:20]
	codes := make([]int, len(names))
	errs := make([]any, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			var body map[string]any
			codes[i], _, body = env.Post("/register", ctJSON, testserver.JSON(name, "password-x"), "")
			errs[i] = body["error"]
		})
	}
	wg.Wait()
	created := ""
	for i, name := range names {
		switch {
		case codes[i] == 201 && created == "":
			created = name
		case codes[i] == 201:
			t.Errorf("%s and %s both created", created, name)
		case codes[i] != 409 || errs[i] != wire.ErrUsernameTooSimilar:
			t.Errorf("%s: %d %v", name, codes[i], errs[i])
		}
	}
	if created == "" || t.Failed() {
		t.Fatalf("created %q\n%s", created, env.Logs())
	}
	if got := usernames(t, env, env.Login(created, "password-x").Token); !slices.Equal(got, []string{created}) {
		t.Fatalf("accounts %v, want [%s]", got, created)
	}
}

// A database from before look-alikes were refused can hold some: it opens
// and every one of them still signs in.
func TestOldDatabaseWithLookalikes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	// The schema of version 1, as the previous release made it.
	if _, err := db.Exec(`CREATE TABLE users (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		username      TEXT NOT NULL,
		username_key  TEXT NOT NULL UNIQUE,
		password_hash TEXT NOT NULL,
		created_at    INTEGER NOT NULL
	);
	CREATE TABLE messages (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		room        TEXT NOT NULL,
		author_id   INTEGER NOT NULL,
		author_name TEXT NOT NULL,
		text        TEXT NOT NULL,
		sent_at     INTEGER NOT NULL,
		client_id   TEXT
	);
	CREATE INDEX messages_room_id ON messages(room, id);
	CREATE UNIQUE INDEX messages_client_id ON messages(author_id, client_id) WHERE client_id IS NOT NULL;
	CREATE TABLE revoked_tokens (
		jti        TEXT PRIMARY KEY,
		expires_at INTEGER NOT NULL
	);
	PRAGMA user_version = 1;`); err != nil {
		t.Fatal(err)
	}
	old := []string{"alice", "aIice", "a1ice"}
	for _, name := range old {
		hash, err := auth.HashPassword("password-" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO users(username, username_key, password_hash, created_at) VALUES(?, ?, ?, 0)`,
			name, strings.ToLower(name), hash); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	env := testserver.Start(t, server.Config{DataDir: dir})
	for _, name := range old {
		if s := env.Login(name, "password-"+name); s.User.Username != name {
			t.Errorf("signed in as %s, got %s", name, s.User.Username)
		}
	}
	if code, _, body := env.Post("/register", ctJSON, testserver.JSON("ALlCE", "password-x"), ""); code != 409 || body["error"] != wire.ErrUsernameTooSimilar {
		t.Fatalf("new look-alike: %d %v", code, body)
	}
}
