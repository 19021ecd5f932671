package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"confab/internal/testserver"
	"confab/server"
	"confab/server/auth"
	"confab/wire"
)

const (
	ctJSON = "application/json"
	ctForm = "application/x-www-form-urlencoded"
)

func TestRegister(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	min := strings.Repeat("a", wire.MinUsernameLen)
	max := strings.Repeat("b", wire.MaxUsernameLen)
	okPw := strings.Repeat("p", wire.MinPasswordLen)
	cases := []struct {
		name, ct, body string
		code           int
		err            string
	}{
		{"json", ctJSON, testserver.JSON("alice", "password-a"), 201, ""},
		{"form", ctForm, testserver.Form("bob.b-_1", "password-b"), 201, ""},
		{"shortest name", ctJSON, testserver.JSON(min, okPw), 201, ""},
		{"longest name", ctJSON, testserver.JSON(max, okPw), 201, ""},
		{"name too short", ctJSON, testserver.JSON(min[1:], okPw), 400, wire.ErrInvalidUsername},
		{"name too long", ctJSON, testserver.JSON(max+"b", okPw), 400, wire.ErrInvalidUsername},
		{"name with space", ctJSON, testserver.JSON("al ice", okPw), 400, wire.ErrInvalidUsername},
		{"name with unicode", ctJSON, testserver.JSON("alicé", okPw), 400, wire.ErrInvalidUsername},
		{"password too short", ctJSON, testserver.JSON("carol", okPw[1:]), 400, wire.ErrWeakPassword},
		{"password too long", ctJSON, testserver.JSON("carol", strings.Repeat("p", wire.MaxPasswordBytes+1)), 400, wire.ErrBadRequest},
		{"taken, other case", ctJSON, testserver.JSON("ALICE", "password-x"), 409, wire.ErrUsernameTaken},
		{"no body", ctJSON, "", 400, wire.ErrBadRequest},
		{"not json", ctJSON, "{", 400, wire.ErrBadRequest},
		{"numbers", ctJSON, `{"username":1,"password":2}`, 400, wire.ErrBadRequest},
		{"missing password", ctForm, "username=dave", 400, wire.ErrBadRequest},
		{"no content type", "", testserver.JSON("erin", okPw), 400, wire.ErrBadRequest},
		{"body too large", ctJSON, `{"username":"frank","password":"` + strings.Repeat("p", server.MaxAuthBody) + `"}`, 400, wire.ErrBadRequest},
	}
	for _, tc := range cases {
		code, _, body := env.Post("/register", tc.ct, tc.body, "")
		if code != tc.code {
			t.Errorf("%s: status %d, want %d (%v)", tc.name, code, tc.code, body)
			continue
		}
		if tc.err != "" {
			if body["error"] != tc.err || body["message"] == "" {
				t.Errorf("%s: body %v, want error %s with a message", tc.name, body, tc.err)
			}
			continue
		}
		user := body["user"].(map[string]any)
		if body["token"] == "" || user["id"] == "" || user["username"] == "" {
			t.Errorf("%s: body %v", tc.name, body)
		}
		if _, err := time.Parse(time.RFC3339, body["expiresAt"].(string)); err != nil {
			t.Errorf("%s: expiresAt: %v", tc.name, err)
		}
	}
	// Refused registrations changed nothing: only the four good accounts exist.
	s := dial(t, env, env.Login("alice", "password-a").Token)
	if n := len(call(t, s, wire.EventUsers, map[string]any{})["users"].([]any)); n != 4 {
		t.Fatalf("%d accounts, want 4", n)
	}
}

func TestSignupDisabled(t *testing.T) {
	env := testserver.Start(t, server.Config{NoSignup: true})
	code, _, body := env.Post("/register", ctJSON, testserver.JSON("alice", "password-a"), "")
	if code != 403 || body["error"] != wire.ErrSignupDisabled {
		t.Fatalf("%d %v", code, body)
	}
}

func TestRegistrationThrottle(t *testing.T) {
	env := testserver.Start(t, server.Config{RegistrationsPerAddr: 3})
	for i := 0; i < 3; i++ {
		env.Register(fmt.Sprintf("user%d", i), "password-x")
	}
	code, h, body := env.Post("/register", ctJSON, testserver.JSON("user9", "password-x"), "")
	if code != 429 || body["error"] != wire.ErrTooManyAttempts || h.Get("Retry-After") == "" {
		t.Fatalf("4th registration: %d %v", code, body)
	}
}

func TestLogin(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	for _, tc := range []struct{ ct, body string }{
		{ctJSON, testserver.JSON("alice", "password-a")},
		{ctJSON, testserver.JSON("ALICE", "password-a")},
		{ctForm, testserver.Form("alice", "password-a")}, // the seed's $.post('/login', {...})
	} {
		code, _, body := env.Post("/login", tc.ct, tc.body, "")
		if code != 200 || body["user"].(map[string]any)["id"] != alice.User.ID || body["token"] == alice.Token {
			t.Fatalf("login %s: %d %v", tc.ct, code, body)
		}
	}
	// Unknown user and wrong password are indistinguishable, to the byte.
	raw := func(body string) (int, []byte) {
		resp, err := http.Post(env.URL+"/login", ctJSON, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	c1, b1 := raw(testserver.JSON("alice", "wrong-password"))
	c2, b2 := raw(testserver.JSON("nobody", "wrong-password"))
	if c1 != 401 || c2 != 401 || !bytes.Equal(b1, b2) || !bytes.Contains(b1, []byte(wire.ErrInvalidCredentials)) {
		t.Fatalf("wrong password %d %s; unknown user %d %s", c1, b1, c2, b2)
	}
}

func TestLoginThrottle(t *testing.T) {
	const perUser, perAddr = 3, 5
	env := testserver.Start(t, server.Config{LoginFailuresPerUser: perUser, LoginFailuresPerAddr: perAddr, LoginWindow: time.Hour})
	env.Register("alice", "password-a")
	env.Register("bob", "password-b")
	login := func(user, pw string) (int, http.Header, map[string]any) {
		return env.Post("/login", ctJSON, testserver.JSON(user, pw), "")
	}
	for i := 0; i < perUser; i++ { // exactly perUser failures are answered normally
		if code, _, _ := login("alice", "wrong-pass"); code != 401 {
			t.Fatalf("failure %d: status %d", i+1, code)
		}
	}
	code, h, body := login("Alice", "password-a") // even the right password now waits
	if code != 429 || body["error"] != wire.ErrTooManyAttempts {
		t.Fatalf("after %d failures: %d %v", perUser, code, body)
	}
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 || secs > 3600 {
		t.Fatalf("Retry-After %q", h.Get("Retry-After"))
	}
	// Another user from the same address is not locked by alice's limit...
	if code, _, _ := login("bob", "password-b"); code != 200 {
		t.Fatalf("bob: %d", code)
	}
	// ...until the address has failed perAddr times.
	for i := 0; i < perAddr-perUser; i++ {
		login("carol", "wrong-pass")
	}
	if code, _, _ := login("bob", "password-b"); code != 429 {
		t.Fatalf("address limit: bob got %d", code)
	}
}

func TestRefreshAndLogout(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-a")
	code, _, body := env.Post("/refresh", "", "", alice.Token)
	if code != 200 || body["token"] == alice.Token || body["user"].(map[string]any)["username"] != "alice" {
		t.Fatalf("refresh %d %v", code, body)
	}
	fresh := body["token"].(string)
	for _, tc := range []struct{ token, reason string }{
		{"", wire.ReasonMissingToken},
		{"junk", wire.ReasonInvalidToken},
	} {
		for _, path := range []string{"/refresh", "/logout"} {
			code, h, body := env.Post(path, "", "", tc.token)
			if code != 401 || body["error"] != tc.reason || h.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s with %q: %d %v", path, tc.token, code, body)
			}
		}
	}
	if code, _, _ := env.Post("/logout", "", "", alice.Token); code != 204 {
		t.Fatalf("logout %d", code)
	}
	if code, _, body := env.Post("/logout", "", "", alice.Token); code != 401 || body["error"] != wire.ReasonTokenRevoked {
		t.Fatalf("second logout %d %v", code, body)
	}
	// The refreshed token belongs to the same sign-in and is dead too; a
	// sign-in of its own is not.
	if code, _, body := env.Post("/refresh", "", "", fresh); code != 401 || body["error"] != wire.ReasonTokenRevoked {
		t.Fatalf("refresh of the refreshed token: %d %v", code, body)
	}
	other := env.Login("alice", "password-a")
	if code, _, _ := env.Post("/refresh", "", "", other.Token); code != 200 {
		t.Fatalf("refresh of another sign-in: %d", code)
	}
}

func TestHealthz(t *testing.T) {
	env := testserver.Start(t, server.Config{Version: "9.9.9"})
	resp, err := http.Get(env.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(b) != `{"status":"ok","version":"9.9.9","protocol":1}`+"\n" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

func TestSecrets(t *testing.T) {
	t.Run("generated once, 0600", func(t *testing.T) {
		t.Chdir(t.TempDir()) // no .env here
		t.Setenv(auth.SecretEnv, "")
		dir := t.TempDir()
		s1, src, err := auth.LoadSecret(dir)
		if err != nil || len(s1) < auth.MinSecretLength || !strings.Contains(src, "generated") {
			t.Fatalf("%d bytes from %s: %v", len(s1), src, err)
		}
		fi, err := os.Stat(filepath.Join(dir, auth.SecretFile))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("secret file mode %v %v", fi.Mode(), err)
		}
		s2, _, _ := auth.LoadSecret(dir)
		if !bytes.Equal(s1, s2) {
			t.Fatal("secret changed between loads")
		}
	})
	t.Run("environment, and too short", func(t *testing.T) {
		t.Chdir(t.TempDir())
		t.Setenv(auth.SecretEnv, strings.Repeat("s", auth.MinSecretLength))
		if s, src, err := auth.LoadSecret(t.TempDir()); err != nil || len(s) != auth.MinSecretLength || !strings.Contains(src, "environment") {
			t.Fatalf("%q %s %v", s, src, err)
		}
		t.Setenv(auth.SecretEnv, strings.Repeat("s", auth.MinSecretLength-1))
		_, _, err := auth.LoadSecret(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "sss") {
			t.Fatalf("short secret: %v", err)
		}
		_, err = server.New(server.Config{DataDir: t.TempDir()})
		if err == nil {
			t.Fatal("server started with a short secret")
		}
	})
	t.Run(".env file", func(t *testing.T) {
		dir := t.TempDir()
		t.Chdir(dir)
		t.Setenv(auth.SecretEnv, "")
		want := strings.Repeat("e", 40)
		os.WriteFile(".env", []byte("# comment\nOTHER=1\n"+auth.SecretEnv+"=\""+want+"\"\n"), 0o600)
		s, src, err := auth.LoadSecret(t.TempDir())
		if err != nil || string(s) != want || !strings.Contains(src, ".env") {
			t.Fatalf("%q %s %v", s, src, err)
		}
	})
	t.Run("tokens of one secret fail on another", func(t *testing.T) {
		a, _ := auth.NewSigner(bytes.Repeat([]byte("a"), 32), time.Hour, 0)
		b, _ := auth.NewSigner(bytes.Repeat([]byte("b"), 32), time.Hour, 0)
		tok, _, _ := a.Issue(1, "alice", auth.Family{})
		if _, err := b.Verify(tok); err != auth.ErrInvalid {
			t.Fatalf("verify with another secret: %v", err)
		}
		if _, err := auth.NewSigner(bytes.Repeat([]byte("a"), 31), time.Hour, 0); err == nil {
			t.Fatal("31-byte secret accepted")
		}
	})
}

// Nothing secret reaches the logs: not tokens, passwords, the JWT secret or
// query strings (where the seeds' clients put tokens).
func TestLogsHoldNoSecrets(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	alice := env.Register("alice", "password-alice-1")
	env.Post("/login", ctJSON, testserver.JSON("alice", "wrong-password-2"), "")
	s, err := testserver.Dial(env.URL, testserver.DialOpts{Token: alice.Token, Via: testserver.ViaQuery, Polling: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	expired := sign(t, jwt.SigningMethodHS256, testserver.Secret, func() jwt.MapClaims {
		c := validClaims(alice.User.ID)
		c["exp"] = time.Now().Add(-time.Minute).Unix()
		return c
	}())
	testserver.Dial(env.URL, testserver.DialOpts{Token: expired, Via: testserver.ViaQuery})           //nolint:errcheck // refused, logged with its reason
	testserver.Dial(env.URL, testserver.DialOpts{Token: alice.Token + "x", Via: testserver.ViaQuery}) //nolint:errcheck
	testserver.Dial(env.URL, testserver.DialOpts{Token: alice.Token, Via: testserver.ViaHeader})      //nolint:errcheck
	env.Post("/logout", "", "", alice.Token)
	logs := env.Logs()
	for _, secret := range []string{alice.Token, strings.Split(alice.Token, ".")[2], expired, "password-alice-1", "wrong-password-2", string(testserver.Secret), "token="} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"socket refused", "token_expired", "login failed", "account created"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
}

func TestLocalSignupOnly(t *testing.T) {
	env := testserver.Start(t, server.Config{LocalSignupOnly: true})
	env.Register("host", "password-h") // from loopback: allowed
	req := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(testserver.JSON("guest", "password-g")))
	req.Header.Set("Content-Type", ctJSON)
	req.RemoteAddr = "192.168.1.20:50000"
	rec := httptest.NewRecorder()
	env.Srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), wire.ErrSignupDisabled) {
		t.Fatalf("registration from the LAN: %d %s", rec.Code, rec.Body)
	}
}
