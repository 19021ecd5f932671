package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"os"
	"path/filepath"
	"sync"
	"time"

	"confab/wire"
)

// upload is an unfinished upload: its bytes so far in a staging file, their
// running SHA-256, and what the message will say. One PATCH writes at a
// time (mu); a newer PATCH cuts an older one off (a client resuming after a
// network cut whose old request the server has not yet seen fail).
type upload struct {
	id       string
	userID   int64
	username string
	req      wire.FileUpload

	mu     sync.Mutex // held by the PATCH writing
	file   *os.File
	sum    hash.Hash
	offset int64 // bytes in file and sum; read under uploads.mu too

	cut     func() // ends the PATCH holding mu; under uploads.mu
	touched time.Time
}

// uploads are the unfinished uploads of every user, in memory: a restarted
// server has none (its staging files are gone with OpenDir), and a client
// whose HEAD answers 404 starts over.
type uploads struct {
	dir string // staging, on the blob store's disk when it can adopt files
	// prefix begins every upload id ("" for none): the cluster node's id
	// and a dot, so a load balancer sends an upload's later requests to
	// the node that holds it (deploy/haproxy.cfg), as it does a session's.
	prefix string

	mu     sync.Mutex
	byID   map[string]*upload
	byUser map[int64]int

	stop     chan struct{} // ends the janitor (closeAll)
	stopOnce sync.Once
}

func newUploads(dir string) (*uploads, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	u := &uploads{dir: dir, byID: map[string]*upload{}, byUser: map[int64]int{}, stop: make(chan struct{})}
	go u.janitor()
	return u, nil
}

// janitor drops expired uploads now and then, so an abandoned one's bytes
// do not wait for the next upload to be freed.
func (u *uploads) janitor() {
	t := time.NewTicker(wire.UploadExpiry / 6)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			u.expire(now)
		case <-u.stop:
			return
		}
	}
}

// start opens a new upload; false when the user holds too many.
func (u *uploads) start(userID int64, username string, req wire.FileUpload) (*upload, bool, error) {
	u.expire(time.Now())
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byUser[userID] >= wire.MaxUploadsPerUser {
		return nil, false, nil
	}
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // never fails
	id := u.prefix + hex.EncodeToString(b[:])
	f, err := os.OpenFile(filepath.Join(u.dir, "upload-"+id), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, true, err
	}
	up := &upload{id: id, userID: userID, username: username, req: req, file: f, sum: sha256.New(), touched: time.Now()}
	u.byID[id] = up
	u.byUser[userID]++
	return up, true, nil
}

// get returns a user's upload (nil for another user's: it does not exist for them).
func (u *uploads) get(id string, userID int64) *upload {
	u.mu.Lock()
	defer u.mu.Unlock()
	up := u.byID[id]
	if up == nil || up.userID != userID {
		return nil
	}
	up.touched = time.Now()
	return up
}

// offset is the bytes an upload holds.
func (u *uploads) offset(up *upload) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return up.offset
}

// lock takes an upload for one PATCH, cutting off the one holding it;
// cut ends this PATCH in turn. False if the upload was dropped meanwhile.
func (u *uploads) lock(up *upload, cut func()) bool {
	u.mu.Lock()
	if old := up.cut; old != nil {
		old()
	}
	u.mu.Unlock()
	up.mu.Lock()
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byID[up.id] != up {
		up.mu.Unlock()
		return false
	}
	up.cut = cut
	return true
}

func (u *uploads) unlock(up *upload) {
	u.mu.Lock()
	up.cut = nil
	up.touched = time.Now()
	u.mu.Unlock()
	up.mu.Unlock()
}

// advance records n more bytes written.
func (u *uploads) advance(up *upload, n int64) {
	u.mu.Lock()
	up.offset += n
	u.mu.Unlock()
}

// drop forgets an upload and deletes its staging file unless it was
// adopted (then the file is gone already).
func (u *uploads) drop(up *upload) {
	u.mu.Lock()
	if u.byID[up.id] == up {
		delete(u.byID, up.id)
		if u.byUser[up.userID]--; u.byUser[up.userID] <= 0 {
			delete(u.byUser, up.userID)
		}
	}
	u.mu.Unlock()
	up.file.Close()
	os.Remove(up.file.Name()) //nolint:errcheck // absent once adopted
}

// expire drops uploads untouched for wire.UploadExpiry (not one being written).
func (u *uploads) expire(now time.Time) {
	u.mu.Lock()
	var old []*upload
	for _, up := range u.byID {
		if up.cut == nil && now.Sub(up.touched) > wire.UploadExpiry {
			old = append(old, up)
		}
	}
	u.mu.Unlock()
	for _, up := range old {
		if up.mu.TryLock() {
			u.drop(up)
			up.mu.Unlock()
		}
	}
}

// closeAll drops every upload (the server is closing).
func (u *uploads) closeAll() {
	u.stopOnce.Do(func() { close(u.stop) })
	u.mu.Lock()
	all := make([]*upload, 0, len(u.byID))
	for _, up := range u.byID {
		all = append(all, up)
	}
	u.mu.Unlock()
	for _, up := range all {
		u.drop(up)
	}
}
