//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package blobs

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes f's exclusive lock, waiting for it. Linux's NFS client
// carries flock to the server as a whole-file lock, so it holds across
// machines too.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// tryLockFile takes f's exclusive lock if nobody holds it.
func tryLockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case !errors.Is(err, syscall.EINTR):
			return false, err
		}
	}
}
