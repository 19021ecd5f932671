package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"confab/internal/sio"
	"confab/server/blobs"
	"confab/server/store"
	"confab/wire"
)

// Transfers of files are bounded by a slowest rate, not by the server's
// read and write timeouts (meant for small requests): a file of n bytes
// may take fileGrace + n/minFileRate.
const (
	fileGrace   = 30 * time.Second
	minFileRate = 64 << 10 // bytes per second
)

// files are the server's files: blobs, and unfinished uploads.
type files struct {
	blobs   blobs.Store
	uploads *uploads
	// mu orders storing a file (its blob, then its message) and removing
	// one no message names any more, so a blob is never removed between
	// another upload of the same bytes and its message.
	mu sync.Mutex
}

// openFiles opens the blob store: Config.FilesDir, else in the data directory.
func (s *Server) openFiles() error {
	dir := s.cfg.FilesDir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, "files")
	}
	d, err := blobs.OpenDir(dir)
	if err != nil {
		return err
	}
	up, err := newUploads(d.TempDir())
	if err != nil {
		d.Close()
		return err
	}
	if s.cfg.NodeID != "" {
		up.prefix = sio.SessionPrefixOf(s.cfg.NodeID) + "."
	}
	s.files = &files{blobs: d, uploads: up}
	s.mux.HandleFunc("POST "+wire.PathFiles, s.handleUploadStart)
	s.mux.HandleFunc("HEAD "+wire.PathUploads+"{id}", s.handleUploadHead)
	s.mux.HandleFunc("PATCH "+wire.PathUploads+"{id}", s.handleUploadPatch)
	s.mux.HandleFunc("DELETE "+wire.PathUploads+"{id}", s.handleUploadDelete)
	s.mux.HandleFunc("GET "+wire.PathFiles+"/{id}", s.handleDownload(false))
	s.mux.HandleFunc("GET "+wire.PathFiles+"/{id}/thumb", s.handleDownload(true))
	return nil
}

// lockBlobs keeps other servers sharing the blob store (a cluster's nodes)
// from storing or removing the blobs of hashes until unlock: files.mu does
// it within this server.
func (f *files) lockBlobs(ctx context.Context, hashes ...string) (unlock func(), err error) {
	if l, ok := f.blobs.(blobs.Locker); ok {
		return l.Lock(ctx, hashes...)
	}
	return func() {}, nil
}

// close gives up the blob store's staging (after closeAll of the uploads).
func (f *files) close() error {
	if c, ok := f.blobs.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func userKey(id int64) string { return strconv.FormatInt(id, 10) }

// cleanFileName is the last part of a name as a person would type it, or
// "" when it is empty, too long or has control characters.
func cleanFileName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = strings.TrimSpace(name[i+1:])
	}
	if name == "" || name == "." || name == ".." || len(name) > wire.MaxFileNameBytes || !utf8.ValidString(name) ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return ""
	}
	return name
}

func (s *Server) handleUploadStart(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.bearer(w, r)
	if !ok {
		return
	}
	var req wire.FileUpload
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxAuthBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, "the request is not a file upload")
		return
	}
	req.Name, req.Text = cleanFileName(req.Name), strings.TrimSpace(req.Text)
	switch {
	case req.Size > s.cfg.MaxFileSize:
		writeError(w, http.StatusRequestEntityTooLarge, wire.ErrFileTooLarge,
			"the file is larger than this server accepts ("+strconv.FormatInt(s.cfg.MaxFileSize, 10)+" bytes)")
		return
	case req.Size <= 0 || len(req.ClientID) > wire.MaxClientIDLen:
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, "the upload's size or client id is not valid")
		return
	case req.Name == "":
		writeError(w, http.StatusBadRequest, wire.ErrInvalidFile, "the file name is empty, too long, or has control characters")
		return
	case !wire.ValidConversation(req.Room):
		writeError(w, http.StatusBadRequest, wire.ErrInvalidRoom, "the room name is not valid")
		return
	case utf8.RuneCountInString(req.Text) > wire.MaxMessageRunes:
		writeError(w, http.StatusBadRequest, wire.ErrInvalidMessage, "the caption is too long")
		return
	}
	if !s.mayUseFiles(w, r.Context(), claims.UserID, req.Room) {
		return
	}
	if !s.hub.limitsOf(claims.UserID).messages.Allow() {
		writeError(w, http.StatusTooManyRequests, wire.ErrRateLimited, "too many messages: wait a moment")
		return
	}
	up, allowed, err := s.files.uploads.start(claims.UserID, claims.Username, req)
	if err != nil {
		s.internalError(w, "start upload", err)
		return
	}
	if !allowed {
		writeError(w, http.StatusTooManyRequests, wire.ErrTooManyUploads, "too many unfinished uploads: finish or cancel one first")
		return
	}
	w.Header().Set("Location", wire.UploadPath(up.id))
	writeJSON(w, http.StatusCreated, wire.Upload{ID: up.id, Size: req.Size})
}

// mayUseFiles answers 404 for a room the user may not read: whether it
// exists is none of their business.
func (s *Server) mayUseFiles(w http.ResponseWriter, ctx context.Context, userID int64, room string) bool {
	ok, err := s.mayRead(ctx, userID, room)
	if err != nil {
		s.internalError(w, "check access", err)
		return false
	}
	if !ok {
		writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such file or room")
	}
	return ok
}

// upload finds the caller's upload, answering 401 or 404 when it cannot.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) *upload {
	claims, ok := s.bearer(w, r)
	if !ok {
		return nil
	}
	up := s.files.uploads.get(r.PathValue("id"), claims.UserID)
	if up == nil {
		writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such upload: start it again")
	}
	return up
}

func setOffset(w http.ResponseWriter, off int64) {
	w.Header().Set(wire.HeaderUploadOffset, strconv.FormatInt(off, 10))
	w.Header().Set("Cache-Control", "no-store")
}

func (s *Server) handleUploadHead(w http.ResponseWriter, r *http.Request) {
	if up := s.upload(w, r); up != nil {
		setOffset(w, s.files.uploads.offset(up))
		w.Header().Set("Upload-Length", strconv.FormatInt(up.req.Size, 10))
		w.WriteHeader(http.StatusOK)
	}
}

func (s *Server) handleUploadDelete(w http.ResponseWriter, r *http.Request) {
	if up := s.upload(w, r); up != nil {
		if s.files.uploads.lock(up, func() {}) {
			s.files.uploads.drop(up)
			up.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// handleUploadPatch appends a body to an upload from its Upload-Offset;
// the body that completes it stores the file and posts the message, and is
// answered (201) only once both are on disk.
func (s *Server) handleUploadPatch(w http.ResponseWriter, r *http.Request) {
	up := s.upload(w, r)
	if up == nil {
		return
	}
	off, err := strconv.ParseInt(r.Header.Get(wire.HeaderUploadOffset), 10, 64)
	if err != nil || off < 0 {
		writeError(w, http.StatusBadRequest, wire.ErrBadRequest, "the Upload-Offset header is missing or not a number")
		return
	}
	rc := http.NewResponseController(w)
	if !s.files.uploads.lock(up, func() { rc.SetReadDeadline(time.Now()) }) { //nolint:errcheck // not every connection can
		writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such upload: start it again")
		return
	}
	defer s.files.uploads.unlock(up)
	remaining := up.req.Size - up.offset
	switch {
	case off != up.offset:
		setOffset(w, up.offset)
		writeError(w, http.StatusConflict, wire.ErrOffsetMismatch, "the upload is at another offset: resume from it")
		return
	case r.ContentLength > remaining:
		setOffset(w, up.offset)
		writeError(w, http.StatusRequestEntityTooLarge, wire.ErrFileTooLarge, "more bytes than the upload's size")
		return
	}
	rc.SetReadDeadline(time.Now().Add(fileGrace + time.Duration(remaining/minFileRate)*time.Second)) //nolint:errcheck
	if err := s.appendBody(up, r.Body); err != nil {
		if errors.Is(err, errTooLong) {
			s.files.uploads.drop(up)
			writeError(w, http.StatusRequestEntityTooLarge, wire.ErrFileTooLarge, "more bytes than the upload's size")
			return
		}
		if errors.Is(err, errDisk) {
			s.files.uploads.drop(up)
			s.internalError(w, "write upload", err)
			return
		}
		// The client went away or was cut off by its own newer PATCH: what
		// arrived is kept, for a HEAD to tell.
	}
	if up.offset < up.req.Size {
		setOffset(w, up.offset)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.completeUpload(w, r.Context(), up)
}

var (
	errTooLong = errors.New("more bytes than the upload's size")
	errDisk    = errors.New("upload could not be written")
)

// appendBody writes the body to the upload's file and hash, together, so
// both always hold the same bytes.
func (s *Server) appendBody(up *upload, body io.Reader) error {
	buf := make([]byte, 256<<10)
	for up.offset < up.req.Size {
		k, err := body.Read(buf[:min(int64(len(buf)), up.req.Size-up.offset)])
		if k > 0 {
			if _, werr := up.file.Write(buf[:k]); werr != nil {
				return errors.Join(errDisk, werr)
			}
			up.sum.Write(buf[:k])
			s.files.uploads.advance(up, int64(k))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	if k, _ := body.Read(buf[:1]); k > 0 {
		return errTooLong
	}
	return nil
}

// completeUpload stores a whole upload and its message: the file is
// synced and renamed into the blob store, its thumbnail stored, the message
// committed, and only then is the client answered.
func (s *Server) completeUpload(w http.ResponseWriter, ctx context.Context, up *upload) {
	defer s.files.uploads.drop(up)
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	if err := up.file.Sync(); err != nil {
		s.internalError(w, "sync upload", err)
		return
	}
	sum := hex.EncodeToString(up.sum.Sum(nil))
	facts := inspect(up.file.Name())
	att := &store.Attachment{Hash: sum, Name: up.req.Name, Size: up.req.Size, Type: facts.typ,
		ImageWidth: facts.width, ImageHeight: facts.height}
	if facts.thumb != nil {
		th := sha256.Sum256(facts.thumb)
		att.ThumbHash = hex.EncodeToString(th[:])
	}
	unlock, err := s.files.lockBlobs(ctx, att.Hash, att.ThumbHash)
	if err != nil {
		s.internalError(w, "lock file", err)
		return
	}
	defer unlock()
	if facts.thumb != nil {
		if err := s.files.blobs.Put(ctx, att.ThumbHash, bytes.NewReader(facts.thumb)); err != nil {
			s.internalError(w, "store thumbnail", err)
			return
		}
		att.ThumbWidth, att.ThumbHeight = facts.thumbW, facts.thumbH
	}
	if err := s.putBlob(ctx, sum, up); err != nil {
		s.internalError(w, "store file", err)
		return
	}
	stored, created, err := s.store.AddMessage(ctx, store.Message{Room: up.req.Room, AuthorID: up.userID,
		AuthorName: up.username, Text: up.req.Text, ClientID: up.req.ClientID, Attachment: att})
	if err != nil {
		s.internalError(w, "store message", err)
		return
	}
	msg := toWire(stored)
	if created && !s.pokeFeed() { // cluster.go: a node's stream sends it
		s.sockets.ToRoom(stored.Room, wire.EventMessage, msg)
	}
	writeJSON(w, http.StatusCreated, wire.UploadDone{Message: msg})
}

// putBlob moves a synced upload into the blob store (by rename when the
// store is on this disk).
func (s *Server) putBlob(ctx context.Context, sum string, up *upload) error {
	if a, ok := s.files.blobs.(blobs.Adopter); ok {
		return a.Adopt(ctx, sum, up.file.Name())
	}
	if _, err := up.file.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return s.files.blobs.Put(ctx, sum, up.file)
}

// handleDownload serves a message's file or its thumbnail to a user who
// may read the room, so that no browser renders it: as an attachment, of an
// image type only for an image the server decoded, never sniffed, under a
// CSP that allows nothing.
func (s *Server) handleDownload(thumb bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		claims, ok := s.bearer(w, r)
		if !ok {
			return
		}
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such file")
			return
		}
		m, err := s.store.MessageFile(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, wire.ErrNotFound, "there is no such file")
			return
		}
		if err != nil {
			s.internalError(w, "read attachment", err)
			return
		}
		if !s.mayUseFiles(w, r.Context(), claims.UserID, m.Room) {
			return
		}
		a := m.Attachment
		hash, typ, name := a.Hash, a.Type, a.Name
		if thumb {
			if a.ThumbHash == "" {
				writeError(w, http.StatusNotFound, wire.ErrNotFound, "this file has no thumbnail")
				return
			}
			hash, typ, name = a.ThumbHash, wire.TypeJPEG, "thumbnail-"+name
		}
		f, err := s.files.blobs.Open(r.Context(), hash)
		if err != nil {
			s.internalError(w, "open file", err)
			return
		}
		defer f.Close()
		if thumb {
			typ = thumbType(f)
		}
		h := w.Header()
		h.Set("Content-Type", typ)
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
		if disp == "" {
			disp = "attachment"
		}
		h.Set("Content-Disposition", disp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "private, no-cache")
		h.Set("ETag", `"`+hash+`"`)
		http.NewResponseController(w).SetWriteDeadline( //nolint:errcheck // not every connection can
			time.Now().Add(fileGrace + time.Duration(a.Size/minFileRate)*time.Second))
		http.ServeContent(w, r, "", time.Time{}, f)
	}
}

// thumbType is a thumbnail's type: PNG or JPEG, as thumbnail wrote it.
func thumbType(f io.ReadSeeker) string {
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	f.Seek(0, io.SeekStart) //nolint:errcheck // ServeContent seeks again
	if http.DetectContentType(head[:n]) == wire.TypePNG {
		return wire.TypePNG
	}
	return wire.TypeJPEG
}

func wireAttachment(a *store.Attachment) *wire.Attachment {
	if a == nil {
		return nil
	}
	return &wire.Attachment{Name: a.Name, Size: a.Size, Type: a.Type, Hash: a.Hash, Thumb: a.ThumbHash != "",
		Width: a.ThumbWidth, Height: a.ThumbHeight, ImageWidth: a.ImageWidth, ImageHeight: a.ImageHeight}
}

// forgetFile removes a deleted message's file: its attachment, and its
// blobs unless another message has the same bytes. A failure is logged:
// the message is deleted all the same, and its file is no longer served.
func (s *Server) forgetFile(ctx context.Context, id int64) {
	s.files.mu.Lock()
	defer s.files.mu.Unlock()
	hashes, err := s.store.DropAttachment(ctx, id)
	unlock, lerr := s.files.lockBlobs(ctx, hashes...)
	if lerr != nil {
		s.limited.Error("remove a deleted message's file", "message_id", id, "err", errors.Join(err, lerr))
		return
	}
	defer unlock()
	for _, h := range hashes {
		used, uerr := s.store.BlobInUse(ctx, h)
		if uerr == nil && !used {
			uerr = s.files.blobs.Remove(ctx, h)
		}
		err = errors.Join(err, uerr)
	}
	if err != nil {
		s.limited.Error("remove a deleted message's file", "message_id", id, "err", err)
	}
}
