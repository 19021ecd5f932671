// Package faildisk makes a data directory refuse writes in a test, as a disk
// that turned read-only does, and gives it back. It sets the immutable
// attribute (chattr +i), which binds root too and also refuses writes through
// files opened before: the tests run as root, whom permission bits do not
// stop, and a read-only bind mount cannot be made while SQLite holds its files
// open for writing (EBUSY). It needs root (CAP_LINUX_IMMUTABLE) and a file
// system that takes the attribute (ext4, xfs, btrfs, recent tmpfs); elsewhere
// the test is skipped (see package need). As another user, chmod would not
// do: SQLite's open files would go on writing.
package faildisk

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"confab/internal/need"
)

// ReadOnly makes dir and the named files in it (those that exist) refuse
// every write until restore is called, or the test ends. Never name a file
// SQLite maps into memory (the -shm file): a write to an immutable mapping is
// SIGBUS, not an error.
func ReadOnly(t testing.TB, dir string, files ...string) (restore func()) {
	t.Helper()
	need.Root(t, "to make a directory refuse writes (chattr +i)")
	if reason := unavailable(dir); reason != "" {
		need.Tool(t, "cannot make the disk fail: "+reason)
	}
	paths := []string{dir}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			for _, p := range paths {
				if err := setImmutable(p, false); err != nil {
					t.Errorf("make %s writable again: %v", p, err)
				}
			}
		})
	}
	t.Cleanup(restore)
	for _, p := range paths {
		if err := setImmutable(p, true); err != nil {
			t.Fatalf("make %s read-only: %v", p, err)
		}
	}
	return restore
}

func unavailable(dir string) string {
	probe := filepath.Join(dir, ".faildisk-probe")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return err.Error()
	}
	defer os.Remove(probe)
	if err := setImmutable(probe, true); err != nil {
		return "the file system does not take the immutable attribute: " + err.Error()
	}
	if err := setImmutable(probe, false); err != nil {
		return err.Error()
	}
	return ""
}

// The ioctls of chattr: _IOR('f', 1, long) and _IOW('f', 2, long).
const (
	sizeofLong   = unsafe.Sizeof(uintptr(0))
	getFlags     = 2<<30 | sizeofLong<<16 | 'f'<<8 | 1
	setFlags     = 1<<30 | sizeofLong<<16 | 'f'<<8 | 2
	immutableBit = 0x10 // FS_IMMUTABLE_FL
)

func setImmutable(path string, on bool) error {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var flags int32
	if err := ioctl(f, getFlags, &flags); err != nil {
		return err
	}
	if on {
		flags |= immutableBit
	} else {
		flags &^= immutableBit
	}
	return ioctl(f, setFlags, &flags)
}

func ioctl(f *os.File, req uintptr, flags *int32) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(flags)))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
