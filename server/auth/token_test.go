package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte(strings.Repeat("s", MinSecretLength))

func newTestSigner(t testing.TB) *Signer {
	s, err := NewSigner(testSecret, time.Hour, DefaultLeeway)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sign makes a token with arbitrary claims, as another issuer might.
func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestVerifyRoundTrip(t *testing.T) {
	s := newTestSigner(t)
	tok, issued, err := s.Issue(42, "alice", Family{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok)
	if err != nil || got != issued {
		t.Fatalf("verify: %+v %v, issued %+v", got, err, issued)
	}
}

// Every claim is checked, whatever form the JSON gives it.
func TestVerifyClaims(t *testing.T) {
	s := newTestSigner(t)
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": "7", "name": "bob", "jti": "x1", "iss": Issuer, "aud": Audience,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
		want   error
	}{
		{"good, audience as a string", good(), nil},
		{"audience as a list", with("aud", []string{"other", Audience}), nil},
		{"fractional times", with("exp", float64(now.Add(time.Minute).UnixMilli())/1000), nil},
		{"expired", with("exp", now.Add(-time.Minute).Unix()), ErrExpired},
		{"expired within the leeway", with("exp", now.Add(-DefaultLeeway/2).Unix()), nil},
		{"no expiry", with("exp", nil), ErrInvalid},
		{"expiry not a number", with("exp", "soon"), ErrInvalid},
		{"issued in the future", with("iat", now.Add(time.Hour).Unix()), ErrInvalid},
		{"not valid yet", with("nbf", now.Add(time.Hour).Unix()), ErrInvalid},
		{"other issuer", with("iss", "someone"), ErrInvalid},
		{"no issuer", with("iss", nil), ErrInvalid},
		{"other audience", with("aud", "someone"), ErrInvalid},
		{"no audience", with("aud", nil), ErrInvalid},
		{"subject not a number", with("sub", "bob"), ErrInvalid},
		{"subject zero", with("sub", "0"), ErrInvalid},
		{"no name", with("name", nil), ErrInvalid},
		{"no id", with("jti", nil), ErrInvalid},
	} {
		if _, err := s.Verify(sign(t, tc.claims)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another algorithm, or another secret, is refused.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, good()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, good()).SignedString([]byte(strings.Repeat("o", MinSecretLength)))
	for _, tok := range []string{none, other, "", "a.b.c", sign(t, good()) + "x"} {
		if _, err := s.Verify(tok); err == nil {
			t.Errorf("%q accepted", tok)
		}
	}
}

// BenchmarkVerify is the token check of every socket handshake.
func BenchmarkVerify(b *testing.B) {
	s := newTestSigner(b)
	tok, _, err := s.Issue(42, "alice", Family{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// A refresh keeps the sign-in's family; a new sign-in starts one.
func TestFamilies(t *testing.T) {
	s := newTestSigner(t)
	_, first, err := s.Issue(42, "alice", Family{Gen: 3})
	if err != nil {
		t.Fatal(err)
	}
	if first.SID == "" || first.SID == first.ID || first.Gen != 3 || first.AuthTime.IsZero() || first.AuthTime.After(time.Now()) {
		t.Fatalf("new sign-in %+v", first)
	}
	tok, again, err := s.Issue(42, "alice", first.Family)
	if err != nil || again.Family != first.Family || again.ID == first.ID {
		t.Fatalf("refresh %+v %v, sign-in %+v", again, err, first)
	}
	got, err := s.Verify(tok)
	if err != nil || got.Family != first.Family {
		t.Fatalf("verified %+v %v, want family %+v", got, err, first.Family)
	}
	_, other, _ := s.Issue(42, "alice", Family{})
	if other.SID == first.SID {
		t.Fatal("two sign-ins share a family")
	}

	now := time.Now()
	base := jwt.MapClaims{"sub": "7", "name": "bob", "jti": "x1", "iss": Issuer, "aud": Audience,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range base {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// A token from before families is its own, signed in at iat.
	old, err := s.Verify(sign(t, base))
	if err != nil || old.SID != "x1" || old.AuthTime.Unix() != now.Unix() || old.Gen != 0 {
		t.Fatalf("old token %+v %v", old, err)
	}
	for _, tc := range []struct {
		name   string
		claims jwt.MapClaims
	}{
		{"auth_time not a number", with("auth_time", "yesterday")},
		{"gen not a number", with("gen", "one")},
		{"gen fractional", with("gen", 1.5)},
		{"gen negative", with("gen", -1)},
		{"no time of sign-in", with("iat", nil)},
	} {
		if _, err := s.Verify(sign(t, tc.claims)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}
