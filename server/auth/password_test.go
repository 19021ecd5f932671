package auth

import (
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Fatal("right password refused")
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []struct{ hash, pw string }{
		{h, "correct horsE"},
		{h, ""},
		{"", "anything"}, // unknown user
		{"$argon2id$v=19$m=1,t=1,p=1$!!$!!", "x"},
		{"$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5", "x"},
		{"plain", "plain"},
	} {
		if CheckPassword(bad.hash, bad.pw) {
			t.Fatalf("accepted %q for %q", bad.pw, bad.hash)
		}
	}
}
