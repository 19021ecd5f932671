package server_test

// Sessions (issue 11): a refresh stays in its sign-in, a logout ends the
// whole sign-in, a sign-in has a maximum age, a password change ends every
// sign-in of the user, and a deleted user's sockets go at once.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
	"github.com/golang-jwt/jwt/v5"
)

// payload decodes a token's claims (the test trusts its own server).
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// refresh trades a token for a new one, failing the test if refused.
func refresh(t *testing.T, env *testserver.Env, token string) string {
	t.Helper()
	code, _, body := env.Post("/refresh", "", "", token)
	if code != http.StatusOK {
		t.Fatalf("refresh: %d %v", code, body)
	}
	return body["token"].(string)
}

// refused requires /refresh of token to answer 401 with reason.
func refused(t *testing.T, env *testserver.Env, token, reason string) {
	t.Helper()
	code, h, body := env.Post("/refresh", "", "", token)
	if code != http.StatusUnauthorized || body["error"] != reason || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("refresh: %d %v, want 401 %s", code, body, reason)
	}
	if msg, _ := body["message"].(string); msg == "" || strings.Contains(msg, token) {
		t.Fatalf("message %q", msg)
	}
}

// kicked requires s to be told unauthorized with reason, then disconnected.
func kicked(t *testing.T, s *testserver.Sock, reason string) {
	t.Helper()
	evs, err := s.WaitEvents(wire.EventUnauthorized, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("not told unauthorized (%s)", reason)
	}
	if r := evs[0].Args[0].(map[string]any)["reason"]; r != reason {
		t.Fatalf("reason %v, want %s", r, reason)
	}
	if _, err := s.WaitEvents("disconnect", 1, 5*time.Second); err != nil {
		t.Fatal("told, but not disconnected")
	}
}

// untouched requires s to be connected and working, never told unauthorized.
func untouched(t *testing.T, s *testserver.Sock) {
	t.Helper()
	wantOK(t, call(t, s, wire.EventUsers, map[string]any{}))
	if n := len(s.Events(wire.EventUnauthorized)); n != 0 {
		t.Fatalf("%d unauthorized events", n)
	}
}

func TestRefreshStaysInItsSignIn(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a := env.Register("alice", "password-a")
	a1 := refresh(t, env, a.Token)
	// The refreshed token is of the same sign-in: same sid and auth_time.
	pa, p1 := payload(t, a.Token), payload(t, a1)
	if pa["sid"] == nil || pa["sid"] != p1["sid"] || pa["auth_time"] != p1["auth_time"] || pa["jti"] == p1["jti"] || pa["sid"] == pa["jti"] {
		t.Fatalf("claims of the sign-in %v, of its refresh %v", pa, p1)
	}
	other := env.Login("alice", "password-a")
	if payload(t, other.Token)["sid"] == pa["sid"] {
		t.Fatal("two sign-ins share a session id")
	}
	so := dial(t, env, other.Token)

	// Logging out the original ends the refreshed token.
	if code, _, _ := env.Post("/logout", "", "", a.Token); code != http.StatusNoContent {
		t.Fatalf("logout %d", code)
	}
	refused(t, env, a1, wire.ReasonTokenRevoked)
	if r := refusal(t, env, testserver.DialOpts{Token: a1}); r != wire.ReasonTokenRevoked {
		t.Fatalf("handshake with the refreshed token: %q", r)
	}
	// And the other way round: logging out the refreshed token ends the original.
	b := env.Login("alice", "password-a")
	b1 := refresh(t, env, b.Token)
	if code, _, _ := env.Post("/logout", "", "", b1); code != http.StatusNoContent {
		t.Fatalf("logout %d", code)
	}
	refused(t, env, b.Token, wire.ReasonTokenRevoked)
	if code, _, body := env.Post("/logout", "", "", b.Token); code != http.StatusUnauthorized || body["error"] != wire.ReasonTokenRevoked {
		t.Fatalf("logout of an ended sign-in: %d %v", code, body)
	}
	// Another sign-in is untouched by both.
	untouched(t, so)
	refresh(t, env, other.Token)
}

func TestLogoutEndsAChainOfRefreshes(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	first := env.Register("alice", "password-a")
	chain := []string{first.Token}
	for range 50 {
		chain = append(chain, refresh(t, env, chain[len(chain)-1]))
	}
	// Live sockets of refreshed tokens, one of them polling, and one that
	// moved into this sign-in in-band from another.
	s25 := dial(t, env, chain[25])
	s50 := dial(t, env, chain[50])
	poll, err := testserver.Dial(env.URL, testserver.DialOpts{Token: chain[50], Polling: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poll.Close)
	moved := dial(t, env, env.Login("alice", "password-a").Token)
	wantOK(t, call(t, moved, wire.EventAuth, map[string]any{"token": chain[10]}))
	stays := env.Login("alice", "password-a")
	sStays := dial(t, env, stays.Token)

	if code, _, _ := env.Post("/logout", "", "", chain[0]); code != http.StatusNoContent {
		t.Fatalf("logout %d", code)
	}
	for _, s := range []*testserver.Sock{s25, s50, poll, moved} {
		kicked(t, s, wire.ReasonTokenRevoked)
	}
	alive := 0
	for _, tok := range chain {
		if code, _, _ := env.Post("/refresh", "", "", tok); code == http.StatusOK {
			alive++
		}
	}
	if alive != 0 {
		t.Fatalf("%d of %d tokens of the logged-out sign-in still refresh", alive, len(chain))
	}
	untouched(t, sStays)
	refresh(t, env, stays.Token)
}

func TestRevocationSurvivesRestart(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a := env.Register("alice", "password-a")
	a1 := refresh(t, env, a.Token)
	if code, _, _ := env.Post("/logout", "", "", a.Token); code != http.StatusNoContent {
		t.Fatalf("logout %d", code)
	}
	// A password change is kept too.
	b := env.Login("alice", "password-a")
	code, _, body := env.Post("/password", ctJSON, `{"current":"password-a","password":"password-new"}`, b.Token)
	if code != http.StatusOK {
		t.Fatalf("password change: %d %v", code, body)
	}
	fresh := body["token"].(string)
	env.Restart()
	refused(t, env, a1, wire.ReasonTokenRevoked)
	if r := refusal(t, env, testserver.DialOpts{Token: a1}); r != wire.ReasonTokenRevoked {
		t.Fatalf("after restart: %q", r)
	}
	refused(t, env, b.Token, wire.ReasonPasswordChanged)
	untouched(t, dial(t, env, fresh))
	refresh(t, env, fresh)
}

// A token from before sessions (no sid) is its own sign-in: it works, its
// refreshes carry its jti as their session, and its logout ends them.
func TestTokenWithoutSessionID(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a := env.Register("alice", "password-a")
	claims := validClaims(a.User.ID)
	claims["jti"] = "old-token-id"
	old := sign(t, jwt.SigningMethodHS256, testserver.Secret, claims)
	untouched(t, dial(t, env, old))
	r1 := refresh(t, env, old)
	if p := payload(t, r1); p["sid"] != "old-token-id" || p["auth_time"] != float64(claims["iat"].(int64)) {
		t.Fatalf("refresh of an old token: %v", p)
	}
	s := dial(t, env, r1)
	if code, _, _ := env.Post("/logout", "", "", old); code != http.StatusNoContent {
		t.Fatalf("logout %d", code)
	}
	kicked(t, s, wire.ReasonTokenRevoked)
	refused(t, env, r1, wire.ReasonTokenRevoked)
	refresh(t, env, a.Token) // its own sign-in
}

// The edge of the maximum session age, from the sign-in's auth_time (whole
// seconds): refreshing works before it and is refused after, and a socket
// of the sign-in is disconnected at it, refreshed or not.
func TestMaxSessionAge(t *testing.T) {
	t.Parallel()
	const age = 3 * time.Second
	env := testserver.Start(t, server.Config{MaxSessionAge: age})
	a := env.Register("alice", "password-a")
	end := time.Unix(int64(payload(t, a.Token)["auth_time"].(float64)), 0).Add(age)
	// At least 2 s before the edge (auth_time is at most 1 s before now), so
	// a slow machine still refreshes well inside it.
	if left := time.Until(end); left < time.Second {
		t.Fatalf("only %v of the session left right after signing in", left)
	}
	a1 := refresh(t, env, a.Token)
	s := dial(t, env, a1)
	idle := dial(t, env, a.Token)
	if time.Now().Before(end) {
		untouched(t, s)
	}

	kicked(t, s, wire.ReasonSessionExpired)
	kicked(t, idle, wire.ReasonSessionExpired)
	if early := time.Until(end); early > 0 {
		t.Fatalf("disconnected %v before the session's end", early)
	}
	time.Sleep(time.Until(end) + 100*time.Millisecond) // past the edge for sure
	refused(t, env, a1, wire.ReasonSessionExpired)
	refused(t, env, a.Token, wire.ReasonSessionExpired)
	if r := refusal(t, env, testserver.DialOpts{Token: a1}); r != wire.ReasonSessionExpired {
		t.Fatalf("handshake: %q", r)
	}
	// Signing in again starts a new session.
	b := env.Login("alice", "password-a")
	untouched(t, dial(t, env, refresh(t, env, b.Token)))
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a := env.Register("alice", "password-old")
	b := env.Login("alice", "password-old")
	b1 := refresh(t, env, b.Token)
	sa := dial(t, env, a.Token)
	sb := dial(t, env, b1)
	poll, err := testserver.Dial(env.URL, testserver.DialOpts{Token: b.Token, Polling: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poll.Close)
	bob := env.Register("bob", "password-bob")
	sbob := dial(t, env, bob.Token)

	change := func(token, body string) (int, map[string]any) {
		code, _, out := env.Post("/password", ctJSON, body, token)
		return code, out
	}
	for _, tc := range []struct {
		token, body string
		code        int
		err         string
	}{
		{"", `{"current":"password-old","password":"password-new"}`, 401, wire.ReasonMissingToken},
		{a.Token, `{"current":"password-old","password":"short"}`, 400, wire.ErrWeakPassword},
		{a.Token, `{"current":"password-old"}`, 400, wire.ErrBadRequest},
		{a.Token, `["password-old","password-new"]`, 400, wire.ErrBadRequest},
		{a.Token, `{"current":"password-old","password":"` + strings.Repeat("x", wire.MaxPasswordBytes+1) + `"}`, 400, wire.ErrBadRequest},
		{a.Token, `{"current":"password-wrong","password":"password-new"}`, 403, wire.ErrInvalidCredentials},
	} {
		if code, out := change(tc.token, tc.body); code != tc.code || out["error"] != tc.err {
			t.Fatalf("%.60s: %d %v, want %d %s", tc.body, code, out, tc.code, tc.err)
		}
	}
	// Refusals change nothing.
	for _, s := range []*testserver.Sock{sa, sb, poll} {
		untouched(t, s)
	}

	code, out := change(b1, `{"current":"password-old","password":"password-new"}`)
	if code != http.StatusOK || out["token"] == nil || out["user"].(map[string]any)["username"] != "alice" {
		t.Fatalf("change: %d %v", code, out)
	}
	fresh := out["token"].(string)
	for _, s := range []*testserver.Sock{sa, sb, poll} {
		kicked(t, s, wire.ReasonPasswordChanged)
	}
	for _, tok := range []string{a.Token, b.Token, b1} {
		refused(t, env, tok, wire.ReasonPasswordChanged)
		if r := refusal(t, env, testserver.DialOpts{Token: tok}); r != wire.ReasonPasswordChanged {
			t.Fatalf("handshake: %q", r)
		}
	}
	// The caller's new session works; so does the new password, not the old.
	untouched(t, dial(t, env, fresh))
	untouched(t, dial(t, env, refresh(t, env, fresh)))
	if code, _, _ := env.Post("/login", ctJSON, testserver.JSON("alice", "password-old"), ""); code != http.StatusUnauthorized {
		t.Fatalf("old password: %d", code)
	}
	env.Login("alice", "password-new")
	// The old password no longer changes it either.
	if code, out := change(fresh, `{"current":"password-old","password":"password-3rd"}`); code != 403 {
		t.Fatalf("change with the old password: %d %v", code, out)
	}
	untouched(t, sbob) // another user is not touched

	logs := env.Logs()
	for _, secret := range []string{"password-old", "password-new", "password-wrong", fresh, b1, strings.Split(fresh, ".")[2]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, "password changed") {
		t.Fatal("password change not logged")
	}
}

// A wrong current password counts as a failed login of the account: after
// the limit both /password and /login are refused with 429, whatever the
// password.
func TestChangePasswordIsThrottled(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{LoginFailuresPerUser: 3})
	a := env.Register("alice", "password-a")
	wrong := `{"current":"password-x","password":"password-new"}`
	for i := range 3 {
		if code, _, body := env.Post("/password", ctJSON, wrong, a.Token); code != http.StatusForbidden {
			t.Fatalf("guess %d: %d %v", i, code, body)
		}
	}
	code, h, body := env.Post("/password", ctJSON, `{"current":"password-a","password":"password-new"}`, a.Token)
	if code != http.StatusTooManyRequests || body["error"] != wire.ErrTooManyAttempts || h.Get("Retry-After") == "" {
		t.Fatalf("after the limit: %d %v", code, body)
	}
	if code, _, _ := env.Post("/login", ctJSON, testserver.JSON("alice", "password-a"), ""); code != http.StatusTooManyRequests {
		t.Fatalf("login after the limit: %d", code)
	}
	refresh(t, env, a.Token) // the session itself is fine
}

func TestDeleteUserKicksEverySocket(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	a := env.Register("alice", "password-a")
	b := env.Login("alice", "password-a")
	socks := []*testserver.Sock{dial(t, env, a.Token), dial(t, env, b.Token), dial(t, env, refresh(t, env, b.Token))}
	poll, err := testserver.Dial(env.URL, testserver.DialOpts{Token: a.Token, Polling: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poll.Close)
	socks = append(socks, poll)
	sbob := dial(t, env, env.Register("bob", "password-b").Token)

	if err := env.Srv.DeleteUser(context.Background(), "alice"); err != nil {
		t.Fatal(err)
	}
	// Told at once, without sending anything.
	for _, s := range socks {
		kicked(t, s, wire.ReasonUnknownUser)
	}
	refused(t, env, a.Token, wire.ReasonUnknownUser)
	untouched(t, sbob)
}
