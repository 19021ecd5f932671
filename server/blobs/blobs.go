// Package blobs keeps the content of uploaded files, each under the SHA-256
// of its bytes, behind a small interface: a directory (Dir), on the
// server's disk or on a disk the nodes of a cluster share (NFS or similar;
// see staging.go for how they stay out of each other's way).
package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotFound: no blob has that hash.
var ErrNotFound = errors.New("blob not found")

// ErrHashMismatch: the bytes given to Put are not the hash they were named.
var ErrHashMismatch = errors.New("blob content does not match its hash")

// Store keeps immutable blobs by hash. Every method is safe for concurrent use.
type Store interface {
	// Put stores r's bytes, whose SHA-256 is hash, durably before it
	// returns; a hash already stored is left as it is.
	Put(ctx context.Context, hash string, r io.Reader) error
	// Open reads a blob; the caller closes it.
	Open(ctx context.Context, hash string) (io.ReadSeekCloser, error)
	// Stat is a blob's size, or ErrNotFound.
	Stat(ctx context.Context, hash string) (int64, error)
	// Remove deletes a blob (nothing if it is absent).
	Remove(ctx context.Context, hash string) error
}

// Locker is a Store several servers may share (Dir): Lock keeps the blobs
// of hashes from being stored or removed through another one until unlock.
type Locker interface {
	Lock(ctx context.Context, hashes ...string) (unlock func(), err error)
}

// Adopter is a Store that can take a complete, synced local file by moving
// it, without copying it (Dir, for files staged on its disk).
type Adopter interface {
	Adopt(ctx context.Context, hash, path string) error
}

// ValidHash reports whether h is a lowercase hex SHA-256.
func ValidHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Dir is a Store in a directory: each blob is a file named by its hash
// under a two-letter folder, written to a temporary file, synced and
// renamed, so a blob is whole or absent, even after a crash. Several
// servers may share one (staging.go).
type Dir struct {
	root  string
	stage *stage // this Dir's own staging folder
}

// OpenDir opens (creating) a Dir: it takes a staging folder of its own and
// removes those of Dirs that are gone (a crash's temporary files), never
// another live one's.
func OpenDir(root string) (*Dir, error) {
	for _, d := range []string{filepath.Join(root, "sha256"), filepath.Join(root, "tmp"), filepath.Join(root, "locks")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create blob directory: %w", err)
		}
	}
	st, err := openStage(root)
	if err != nil {
		return nil, fmt.Errorf("blob staging: %w", err)
	}
	return &Dir{root: root, stage: st}, nil
}

// Close gives up the staging folder (its files with it); the Dir must not
// be used after.
func (d *Dir) Close() error { return d.stage.close() }

// TempDir is where files to be adopted are staged: on the same disk, this
// Dir's own, and emptied when it is closed or by the next OpenDir after a
// crash.
func (d *Dir) TempDir() string { return d.stage.dir }

func (d *Dir) path(hash string) (string, error) {
	if !ValidHash(hash) {
		return "", ErrNotFound
	}
	return filepath.Join(d.root, "sha256", hash[:2], hash), nil
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, hash string, r io.Reader) error {
	if _, err := d.Stat(ctx, hash); err == nil {
		return nil
	}
	f, err := os.CreateTemp(d.TempDir(), "put-*")
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	defer os.Remove(f.Name()) // nothing left once renamed
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), r); err != nil {
		f.Close()
		return fmt.Errorf("store blob: %w", err)
	}
	if hex.EncodeToString(h.Sum(nil)) != hash {
		f.Close()
		return ErrHashMismatch
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return d.Adopt(ctx, hash, f.Name())
}

// Adopt implements Adopter: path, synced by the caller and on the same
// disk (under TempDir), is renamed into place and the folder synced.
func (d *Dir) Adopt(_ context.Context, hash, path string) error {
	dst, err := d.path(hash)
	if err != nil {
		return ErrHashMismatch
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}

// Open implements Store.
func (d *Dir) Open(_ context.Context, hash string) (io.ReadSeekCloser, error) {
	p, err := d.path(hash)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// Stat implements Store.
func (d *Dir) Stat(_ context.Context, hash string) (int64, error) {
	p, err := d.path(hash)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// Remove implements Store.
func (d *Dir) Remove(_ context.Context, hash string) error {
	p, err := d.path(hash)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
