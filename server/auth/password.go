package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (the OWASP minimum for argon2id: 19 MiB, 2 passes).
// They are written into every hash, so raising them later keeps old hashes valid.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// MaxConcurrentHashes bounds how many hashes run at once: each takes
// argonMemory, so a login storm must not multiply it without limit.
var MaxConcurrentHashes = 2 * runtime.NumCPU()

var hashSlots = make(chan struct{}, MaxConcurrentHashes)

// dummyHash is compared against when a username does not exist, so an
// unknown user costs the same time as a wrong password.
var dummyHash = mustHash("confab-dummy-password")

// HashPassword returns an encoded argon2id hash with a random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("salt: %w", err)
	}
	key := derive([]byte(password), salt, argonTime, argonMemory, argonThreads)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the encoded hash, in
// constant time. An empty hash (unknown user) is checked against a dummy
// hash and always fails.
func CheckPassword(encoded, password string) bool {
	unknown := encoded == ""
	if unknown {
		encoded = dummyHash
	}
	var version int
	var memory, passes uint32
	var threads uint8
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || memory > 1<<20 || passes > 16 || threads == 0 {
		return false
	}
	got := deriveLen([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1 && !unknown
}

func derive(password, salt []byte, passes, memory uint32, threads uint8) []byte {
	return deriveLen(password, salt, passes, memory, threads, argonKeyLen)
}

func deriveLen(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, passes, memory, threads, keyLen)
}

func mustHash(p string) string {
	h, err := HashPassword(p)
	if err != nil {
		panic("auth: " + err.Error())
	}
	return h
}
