package blobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"confab/server/blobs"
)

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// A Dir keeps blobs by hash, refuses bytes that are not their hash, and
// takes no name that is not a hash (no path leaves it).
func TestDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d, err := blobs.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var s blobs.Store = d
	h := sum("hello")
	if err := s.Put(ctx, h, strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, h, strings.NewReader("hello")); err != nil {
		t.Fatalf("a second Put of the same blob: %v", err)
	}
	if err := s.Put(ctx, sum("other"), strings.NewReader("not other")); !errors.Is(err, blobs.ErrHashMismatch) {
		t.Fatalf("bytes under another hash: %v", err)
	}
	if n, err := s.Stat(ctx, h); err != nil || n != 5 {
		t.Fatalf("Stat: %d %v", n, err)
	}
	r, err := s.Open(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "hello" {
		t.Fatalf("Open read %q", b)
	}
	for _, bad := range []string{"../../etc/passwd", strings.ToUpper(h), h[:10], ""} {
		if _, err := s.Open(ctx, bad); !errors.Is(err, blobs.ErrNotFound) {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
	if err := s.Remove(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, h); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("Stat after Remove: %v", err)
	}
	// Closing gives the staging folder up, files and all.
	os.WriteFile(filepath.Join(d.TempDir(), "upload-half"), []byte("half"), 0o600) //nolint:errcheck
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staging after Close: %v", err)
	}
}
