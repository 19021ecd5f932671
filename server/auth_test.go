package server_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"confab/internal/sio"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
	"github.com/golang-jwt/jwt/v5"
)

// refusal dials and returns the connect_error reason, failing if it connected.
func refusal(t *testing.T, env *testserver.Env, o testserver.DialOpts) string {
	t.Helper()
	s, err := testserver.Dial(env.URL, o)
	if err == nil {
		s.Close()
		t.Fatalf("handshake accepted, want refusal")
	}
	var refused *sio.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("want a connect_error, got %v", err)
	}
	if refused.Message != wire.ErrUnauthorized {
		t.Fatalf("connect_error message %q, want %q", refused.Message, wire.ErrUnauthorized)
	}
	return refused.Reason
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims(userID string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub": userID, "name": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": "test-jti", "iss": "confab", "aud": "confab",
	}
}

func TestHandshakeRefusals(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	uid := alice.User.ID

	without := func(key string) jwt.MapClaims {
		c := validClaims(uid)
		delete(c, key)
		return c
	}
	with := func(key string, v any) jwt.MapClaims {
		c := validClaims(uid)
		c[key] = v
		return c
	}
	// A control: the helper's claims are accepted, so each refusal below is
	// caused by the one thing it changes.
	control := sign(t, jwt.SigningMethodHS256, testserver.Secret, validClaims(uid))
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: control})
	if err != nil {
		t.Fatalf("hand-made valid token refused: %v", err)
	}
	s.Close()

	parts := strings.Split(alice.Token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"sub":"1"`, `"sub":"2"`, 1))) + "." + parts[2]
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(uid))

	cases := []struct {
		name, token, reason string
	}{
		{"no token", "", wire.ReasonMissingToken},
		{"garbage", "not-a-jwt", wire.ReasonInvalidToken},
		{"alg none", noneToken, wire.ReasonInvalidToken},
		{"tampered payload", tampered, wire.ReasonInvalidToken},
		{"other secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456789"), validClaims(uid)), wire.ReasonInvalidToken},
		{"HS512", sign(t, jwt.SigningMethodHS512, testserver.Secret, validClaims(uid)), wire.ReasonInvalidToken},
		{"missing exp", sign(t, jwt.SigningMethodHS256, testserver.Secret, without("exp")), wire.ReasonInvalidToken},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, testserver.Secret, with("iss", "other")), wire.ReasonInvalidToken},
		{"wrong audience", sign(t, jwt.SigningMethodHS256, testserver.Secret, with("aud", "other")), wire.ReasonInvalidToken},
		{"missing jti", sign(t, jwt.SigningMethodHS256, testserver.Secret, without("jti")), wire.ReasonInvalidToken},
		{"expired", sign(t, jwt.SigningMethodHS256, testserver.Secret, with("exp", time.Now().Add(-time.Minute).Unix())), wire.ReasonTokenExpired},
		{"unknown user", sign(t, jwt.SigningMethodHS256, testserver.Secret, with("sub", "999")), wire.ReasonUnknownUser},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, via := range []string{testserver.ViaAuth, testserver.ViaQuery, testserver.ViaHeader} {
				if got := refusal(t, env, testserver.DialOpts{Token: tc.token, Via: via}); got != tc.reason {
					t.Fatalf("via %s: reason %q, want %q", via, got, tc.reason)
				}
			}
		})
	}
}

func TestHandshakeTokenPlaces(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	for _, via := range []string{testserver.ViaAuth, testserver.ViaQuery, testserver.ViaHeader} {
		for _, polling := range []bool{false, true} {
			s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: alice.Token, Via: via, Polling: polling})
			if err != nil {
				t.Fatalf("via %s (polling %v): %v", via, polling, err)
			}
			wantOK(t, call(t, s, wire.EventUsers, map[string]any{}))
			s.Close()
		}
	}
}

func TestLogoutRevokesLiveSockets(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	other := env.Login("alice", "password-a") // a second session of the same user
	s1 := dial(t, env, alice.Token)
	s2 := dial(t, env, other.Token)

	code, _, _ := env.Post("/logout", "", "", alice.Token)
	if code != 204 {
		t.Fatalf("logout status %d", code)
	}
	evs, err := s1.WaitEvents(wire.EventUnauthorized, 1, 5*time.Second)
	if err != nil {
		t.Fatalf("no unauthorized event: %v", err)
	}
	if r := evs[0].Args[0].(map[string]any)["reason"]; r != wire.ReasonTokenRevoked {
		t.Fatalf("reason %v", r)
	}
	if _, err := s1.WaitEvents("disconnect", 1, 5*time.Second); err != nil {
		t.Fatal("revoked socket not disconnected")
	}
	// The other session is untouched.
	wantOK(t, call(t, s2, wire.EventUsers, map[string]any{}))
	if len(s2.Events(wire.EventUnauthorized)) != 0 {
		t.Fatal("logout of one token hit another")
	}
	// The token is refused everywhere, also after a restart.
	if r := refusal(t, env, testserver.DialOpts{Token: alice.Token}); r != wire.ReasonTokenRevoked {
		t.Fatalf("reconnect reason %q", r)
	}
	env.Restart()
	if r := refusal(t, env, testserver.DialOpts{Token: alice.Token}); r != wire.ReasonTokenRevoked {
		t.Fatalf("after restart: reason %q", r)
	}
	code, _, body := env.Post("/refresh", "", "", alice.Token)
	if code != 401 || body["error"] != wire.ReasonTokenRevoked {
		t.Fatalf("refresh with revoked token: %d %v", code, body)
	}
}

func TestEveryEventIsChecked(t *testing.T) {
	// A revocation the socket was not told about (a second server process
	// would be the real case) is still caught by the check before the event.
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	s := dial(t, env, alice.Token)
	sb := dial(t, env, bob.Token)
	if err := env.Srv.DeleteUser(context.Background(), "ALICE"); err != nil {
		t.Fatal(err)
	}
	evs, err := s.WaitEvents(wire.EventUnauthorized, 1, 5*time.Second)
	if err != nil {
		t.Fatal("deleted user's socket not told")
	}
	if r := evs[0].Args[0].(map[string]any)["reason"]; r != wire.ReasonUnknownUser {
		t.Fatalf("reason %v", r)
	}
	// Whatever it sends now is not handled.
	s.Emit(wire.EventMessage, map[string]any{"text": "ghost"}) //nolint:errcheck // the socket may be gone already
	time.Sleep(200 * time.Millisecond)
	res := call(t, sb, wire.EventHistory, map[string]any{"room": "general"})
	if n := len(res["messages"].([]any)); n != 0 {
		t.Fatalf("event of a deleted user was handled")
	}
	if r := refusal(t, env, testserver.DialOpts{Token: alice.Token}); r != wire.ReasonUnknownUser {
		t.Fatalf("reason %q", r)
	}
}

func TestExpiryDisconnectsIdleSocket(t *testing.T) {
	env := testserver.Start(t, server.Config{TokenTTL: 3 * time.Second, TokenLeeway: -1})
	alice := env.Register("alice", "password-a")
	s := dial(t, env, alice.Token)
	evs, err := s.WaitEvents(wire.EventUnauthorized, 1, 8*time.Second)
	if err != nil {
		t.Fatal("idle socket not disconnected at expiry")
	}
	if late := time.Since(alice.ExpiresAt); late < 0 || late > time.Second {
		t.Fatalf("disconnected %v after the token's expiry", late)
	}
	if r := evs[0].Args[0].(map[string]any)["reason"]; r != wire.ReasonTokenExpired {
		t.Fatalf("reason %v", r)
	}
	if _, err := s.WaitEvents("disconnect", 1, 5*time.Second); err != nil {
		t.Fatal("not disconnected")
	}
}

func TestInBandRefreshKeepsSocket(t *testing.T) {
	env := testserver.Start(t, server.Config{TokenTTL: 3 * time.Second, TokenLeeway: -1})
	alice := env.Register("alice", "password-a")
	s := dial(t, env, alice.Token)
	time.Sleep(time.Second) // refreshed tokens must differ in exp
	code, _, body := env.Post("/refresh", "", "", alice.Token)
	if code != 200 {
		t.Fatalf("refresh %d %v", code, body)
	}
	res := call(t, s, wire.EventAuth, map[string]any{"token": body["token"]})
	wantOK(t, res)
	if res["expiresAt"] != body["expiresAt"] {
		t.Fatalf("auth expiresAt %v, refresh said %v", res["expiresAt"], body["expiresAt"])
	}
	newExp, _ := time.Parse(time.RFC3339, body["expiresAt"].(string))
	if !newExp.After(alice.ExpiresAt) {
		t.Fatalf("refreshed token expires %v, not after %v", newExp, alice.ExpiresAt)
	}
	time.Sleep(time.Until(alice.ExpiresAt) + 300*time.Millisecond) // past the first token's expiry
	wantOK(t, call(t, s, wire.EventUsers, map[string]any{}))
	if len(s.Events(wire.EventUnauthorized)) != 0 {
		t.Fatal("refreshed socket was disconnected at the old expiry")
	}
	// The new token expires too, and then the socket goes.
	if _, err := s.WaitEvents(wire.EventUnauthorized, 1, time.Until(newExp)+3*time.Second); err != nil {
		t.Fatal("not disconnected at the refreshed expiry")
	}
}

func TestAuthEventRefusals(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	s := dial(t, env, alice.Token)
	old := env.Login("alice", "password-a")
	env.Post("/logout", "", "", old.Token)
	expired := sign(t, jwt.SigningMethodHS256, testserver.Secret, func() jwt.MapClaims {
		c := validClaims(alice.User.ID)
		c["exp"] = time.Now().Add(-time.Minute).Unix()
		return c
	}())
	wantErr(t, call(t, s, wire.EventAuth, map[string]any{"token": "junk"}), wire.ReasonInvalidToken)
	wantErr(t, call(t, s, wire.EventAuth, map[string]any{"token": bob.Token}), wire.ReasonInvalidToken) // another user's
	wantErr(t, call(t, s, wire.EventAuth, map[string]any{"token": expired}), wire.ReasonTokenExpired)
	wantErr(t, call(t, s, wire.EventAuth, map[string]any{"token": old.Token}), wire.ReasonTokenRevoked)
	wantErr(t, call(t, s, wire.EventAuth, map[string]any{}), wire.ErrBadRequest)
	// The socket keeps its own valid token through all of that.
	wantOK(t, call(t, s, wire.EventUsers, map[string]any{}))
}

func TestOrigins(t *testing.T) {
	env := testserver.Start(t, server.Config{AllowedOrigins: []string{"http://chat.example"}})
	tok := env.Register("alice", "password-a").Token
	for _, polling := range []bool{false, true} {
		for origin, allowed := range map[string]bool{
			"":                      true, // native and Node clients send none
			env.URL:                 true, // the server's own pages
			"http://chat.example":   true,
			"http://evil.example":   false,
			"http://chat.example.x": false,
			"null":                  false,
		} {
			s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: tok, Origin: origin, Polling: polling})
			if allowed != (err == nil) {
				t.Fatalf("origin %q polling=%v: allowed=%v, err=%v", origin, polling, allowed, err)
			}
			if s != nil {
				s.Close()
			}
		}
	}
	if !strings.Contains(env.Logs(), "origin_not_allowed") {
		t.Fatal("refused origin not logged")
	}
}

// Pitfall 32: no "Access-Control-Allow-Origin: false"; a listed origin is
// echoed so that its pages may poll.
func TestCORSHeaders(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{AllowedOrigins: []string{"http://chat.example"}})
	for origin, want := range map[string]string{
		"":                    "",
		env.URL:               "",
		"http://chat.example": "http://chat.example",
	} {
		req, _ := http.NewRequest(http.MethodGet, env.URL+wire.SocketIOPath+"?EIO=4&transport=polling", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want || resp.StatusCode != http.StatusOK {
			t.Errorf("Origin %q: %s, Access-Control-Allow-Origin %q, want %q", origin, resp.Status, got, want)
		}
	}
}
