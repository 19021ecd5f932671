package auth

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretEnv names the variable (in the environment or a .env file in the
// working directory, as in the seed tutorial) that sets the JWT secret.
const SecretEnv = "LOCAL_JWT_SECRET"

// SecretFile is the generated secret's file name in the data directory.
const SecretFile = "jwt-secret"

// LoadSecret returns the signing secret and where it came from: the
// environment, else ./.env, else a file in dataDir, created with 32 random
// bytes and mode 0600 on first use. A configured secret under
// MinSecretLength bytes is an error, never silently padded or replaced.
func LoadSecret(dataDir string) (secret []byte, source string, err error) {
	if v, ok := os.LookupEnv(SecretEnv); ok && v != "" {
		return checkLen([]byte(v), "environment variable "+SecretEnv)
	}
	if v, ok, err := readDotEnv(".env", SecretEnv); err != nil {
		return nil, "", err
	} else if ok && v != "" {
		return checkLen([]byte(v), SecretEnv+" in .env")
	}
	path := filepath.Join(dataDir, SecretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return checkLen(b, path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("read JWT secret: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create data directory: %w", err)
	}
	b = make([]byte, MinSecretLength)
	if _, err := rand.Read(b); err != nil {
		return nil, "", fmt.Errorf("generate JWT secret: %w", err)
	}
	// O_EXCL: two servers starting on one data directory must not each write their own.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadSecret(dataDir)
		}
		return nil, "", fmt.Errorf("store JWT secret: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, "", fmt.Errorf("store JWT secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("store JWT secret: %w", err)
	}
	return b, path + " (generated)", nil
}

func checkLen(b []byte, source string) ([]byte, string, error) {
	if len(b) < MinSecretLength {
		return nil, "", fmt.Errorf("the JWT secret from %s is %d bytes long; use at least %d random bytes (or unset it to have one generated)",
			source, len(b), MinSecretLength)
	}
	return b, source, nil
}

// readDotEnv finds KEY=value in a dotenv file; a missing file is not an error.
func readDotEnv(path, key string) (string, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		return v, true, nil
	}
	return "", false, sc.Err()
}
