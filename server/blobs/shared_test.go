package blobs_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confab/server/blobs"
)

func openDir(t *testing.T, root string) *blobs.Dir {
	t.Helper()
	d, err := blobs.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Two servers sharing a files directory (a cluster's nodes) each stage in a
// folder of their own, and opening one never clears the other's uploads;
// what an earlier release or a closed Dir left is cleared.
func TestDirSharedStaging(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	a := openDir(t, root)
	half := filepath.Join(a.TempDir(), "upload-half")
	if err := os.WriteFile(half, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(root, "tmp", "upload-0123") // an earlier release staged here
	if err := os.WriteFile(old, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	gone := openDir(t, root)
	goneStage := gone.TempDir()
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	b := openDir(t, root)
	if a.TempDir() == b.TempDir() {
		t.Fatal("two Dirs share a staging folder")
	}
	if _, err := os.Stat(half); err != nil {
		t.Fatalf("another server's open upload was removed: %v", err)
	}
	for _, p := range []string{old, goneStage} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind: %v", p, err)
		}
	}
	// A blob stored through one is read through the other.
	ctx := context.Background()
	if err := a.Put(ctx, sum("shared"), strings.NewReader("shared")); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Stat(ctx, sum("shared")); err != nil || n != 6 {
		t.Fatalf("Stat through the other Dir: %d %v", n, err)
	}
}

// The staging of a server killed with SIGKILL is cleared by the next open:
// the system released its lock.
func TestDirKilledStagingCleared(t *testing.T) {
	t.Parallel()
	if os.Getenv("BLOBS_HOLD") != "" {
		return // the child's run: see holdDir
	}
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldDir$")
	cmd.Env = append(os.Environ(), "BLOBS_HOLD="+root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var line string
	for !strings.Contains(line, "\n") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("child: %v (read %q)", err, line)
		}
		line += string(buf[:n])
	}
	stage, _, _ := strings.Cut(strings.TrimPrefix(line, "staging "), "\n")
	// While it lives, its staging stays.
	openDir(t, root).Close()
	if _, err := os.Stat(filepath.Join(stage, "upload-half")); err != nil {
		t.Fatalf("a live process's staging was cleared: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait() //nolint:errcheck // killed
	openDir(t, root)
	if _, err := os.Stat(stage); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a killed process's staging stays: %v", err)
	}
}

// TestHoldDir is the child of TestDirKilledStagingCleared: it opens a Dir,
// stages a file, says where, and waits to be killed.
func TestHoldDir(t *testing.T) {
	root := os.Getenv("BLOBS_HOLD")
	if root == "" {
		t.Skip("run by TestDirKilledStagingCleared")
	}
	d, err := blobs.OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d.TempDir(), "upload-half"), []byte("half"), 0o600) //nolint:errcheck
	os.Stdout.WriteString("staging " + d.TempDir() + "\n")                         //nolint:errcheck
	time.Sleep(time.Hour)
}

// Lock through one Dir keeps another Dir on the same directory waiting
// until it is unlocked; hashes of other prefixes are not held up.
func TestDirLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	a, b := openDir(t, root), openDir(t, root)
	h := sum("x")
	unlock, err := a.Lock(ctx, h, sum("y"), h)
	if err != nil {
		t.Fatal(err)
	}
	other := sum("z")
	for other[:2] == h[:2] || other[:2] == sum("y")[:2] {
		other = sum(other)
	}
	u, err := b.Lock(ctx, other) // another prefix: at once
	if err != nil {
		t.Fatal(err)
	}
	u()
	var got atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		u, err := b.Lock(ctx, h)
		if err != nil {
			t.Error(err)
			return
		}
		got.Store(true)
		u()
	}()
	time.Sleep(100 * time.Millisecond) // a lock wrongly shared would be taken by now
	if got.Load() {
		t.Fatal("two Dirs held the lock of one hash at once")
	}
	unlock()
	<-done
	if !got.Load() {
		t.Fatal("the lock was not given once released")
	}
}
