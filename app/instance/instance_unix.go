//go:build unix

package instance

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// On Unix the endpoint is a socket in a directory only the user can
// enter ($XDG_RUNTIME_DIR, else a private one in the temporary
// directory). Beside it, a lock file decides who is the instance: flock
// is released by the kernel when its holder dies, even by kill -9, so the
// next launch finds the lock free, removes the dead socket and listens.

// maxSockPath is the longest socket path every Unix takes (macOS: 104
// bytes with the terminating NUL).
const maxSockPath = 103

type endpoint struct {
	sock, lock string
}

func endpointFor(scope string) (endpoint, error) {
	dir, err := runtimeDir()
	if err != nil {
		return endpoint{}, err
	}
	base := filepath.Join(dir, scopeName(scope))
	e := endpoint{sock: base + ".sock", lock: base + ".lock"}
	if len(e.sock) > maxSockPath {
		return endpoint{}, fmt.Errorf("socket path %s is too long", e.sock)
	}
	return e, nil
}

// runtimeDir is $XDG_RUNTIME_DIR when it is private to the user, else a
// private directory of the user's in the temporary directory.
func runtimeDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) && private(d) == nil {
		return d, nil
	}
	d := filepath.Join(os.TempDir(), fmt.Sprintf("confab-%d", os.Getuid()))
	if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	return d, private(d) // another user may have made it first
}

// private checks that d is a directory of this user's that no one else
// can enter (not a symbolic link someone planted).
func private(d string) error {
	fi, err := os.Lstat(d)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || fi.Mode().Perm()&0o077 != 0 || !ok || int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s is not a private directory of this user", d)
	}
	return nil
}

// listen takes the lock and the socket, or says errTaken.
func (e endpoint) listen() (*Primary, error) {
	f, err := os.OpenFile(e.lock, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errTaken
		}
		return nil, err
	}
	// The lock is ours: a socket left there is a dead instance's.
	if err := os.Remove(e.sock); err != nil && !errors.Is(err, fs.ErrNotExist) {
		f.Close()
		return nil, err
	}
	ln, err := net.Listen("unix", e.sock)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Closing the listener removes the socket; the lock file stays (removing
	// a file others may be locking races with them).
	return newPrimary(ln, f, samePeer), nil
}

func (e endpoint) dial(timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("unix", e.sock, timeout)
}
