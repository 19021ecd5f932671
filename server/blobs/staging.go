package blobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Several servers may share one Dir's directory: the nodes of a cluster,
// over NFS or a similar shared disk. Blobs are named by their hash and
// renamed into place whole, so two servers storing the same bytes at once
// each rename a complete copy; what they must not share is staging. Each
// Dir stages in tmp/<random>/ and holds an exclusive lock (flock) on
// tmp/<random>.lock while it is open. OpenDir removes only the folders whose
// lock it can take: their Dir was closed, or its process died (the system,
// or the NFS server once the node's lease runs out, releases the lock).
// tmp.lock orders these sweeps with the creation of staging folders.
//
// Storing a blob and its message, and removing a blob no message names any
// more, are ordered across servers by Lock: a per-hash-prefix lock file
// under locks/.

// stage is a Dir's own staging folder and the lock that says it is alive.
type stage struct {
	dir  string
	held *os.File
}

func openStage(root string) (*stage, error) {
	guard, err := os.OpenFile(filepath.Join(root, "tmp.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	defer guard.Close() // releases the lock
	if err := lockFile(guard); err != nil {
		return nil, err
	}
	tmp := filepath.Join(root, "tmp")
	if err := sweep(tmp); err != nil {
		return nil, fmt.Errorf("clear staging of servers that are gone: %w", err)
	}
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // never fails
	id := hex.EncodeToString(b[:])
	held, err := os.OpenFile(filepath.Join(tmp, id+".lock"), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if ok, err := tryLockFile(held); !ok || err != nil {
		held.Close()
		return nil, errors.Join(errors.New("cannot lock a new staging folder"), err)
	}
	dir := filepath.Join(tmp, id)
	if err := os.Mkdir(dir, 0o700); err != nil {
		os.Remove(held.Name()) //nolint:errcheck
		held.Close()
		return nil, err
	}
	return &stage{dir: dir, held: held}, nil
}

// sweep removes from tmp every staging folder whose Dir is gone, and what
// an earlier release staged directly in tmp. The caller holds tmp.lock.
func sweep(tmp string) error {
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, e := range entries {
		id, isLock := strings.CutSuffix(e.Name(), ".lock")
		if !isLock || e.IsDir() {
			continue
		}
		alive, err := lockHeld(filepath.Join(tmp, e.Name()))
		if err != nil {
			return err
		}
		live[id] = alive
	}
	for _, e := range entries {
		name := e.Name()
		if id, isLock := strings.CutSuffix(name, ".lock"); isLock && !e.IsDir() {
			if !live[id] {
				if err := removeAll(filepath.Join(tmp, id)); err != nil {
					return err
				}
				if err := removeAll(filepath.Join(tmp, name)); err != nil {
					return err
				}
			}
			continue
		}
		if _, hasLock := live[name]; !hasLock { // no lock: nobody's
			if err := removeAll(filepath.Join(tmp, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockHeld reports whether another Dir holds the lock file at path.
func lockHeld(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // closed meanwhile
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	ok, err := tryLockFile(f)
	return !ok, err
}

func removeAll(path string) error {
	if err := os.RemoveAll(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// close removes the staging folder, gives up its lock, and removes the
// lock file (a sweep may have removed it already).
func (s *stage) close() error {
	err := removeAll(s.dir)
	err = errors.Join(err, s.held.Close())
	return errors.Join(err, removeAll(s.held.Name()))
}

// Lock keeps the blobs of hashes from being stored or removed through
// another Dir on the same directory (another server of a cluster) until
// unlock is called. It waits as long as it takes; ctx is not watched.
// Within one process, callers order their own Locks (a lock file may be
// shared per process on some network disks).
func (d *Dir) Lock(_ context.Context, hashes ...string) (unlock func(), err error) {
	var prefixes []string
	for _, h := range hashes {
		if ValidHash(h) {
			prefixes = append(prefixes, h[:2])
		}
	}
	slices.Sort(prefixes) // one order everywhere: no deadlock
	prefixes = slices.Compact(prefixes)
	var held []*os.File
	unlock = func() {
		for _, f := range slices.Backward(held) {
			f.Close() // releases its lock
		}
	}
	for _, p := range prefixes {
		f, err := os.OpenFile(filepath.Join(d.root, "locks", p), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("lock blob: %w", err)
		}
		if err := lockFile(f); err != nil {
			f.Close()
			unlock()
			return nil, fmt.Errorf("lock blob: %w", err)
		}
		held = append(held, f)
	}
	return unlock, nil
}
