package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"confab/wire"
)

// Progress is told the bytes done of a total, as a transfer goes (from the
// transfer's goroutine; a GUI hands it to its own thread).
type Progress func(done, total int64)

// TransferOptions tune Upload and Download.
type TransferOptions struct {
	Text     string   // an upload's caption
	ClientID string   // an upload's client id (default: a new one, kept across retries)
	Progress Progress // optional
	// Retries is how many failures in a row (a network cut, a server
	// restart) are retried, resuming where the server stands (default 5).
	Retries int
}

// errRestart: the server forgot the upload (it restarted): start over.
var errRestart = errors.New("upload forgotten by the server")

// fileHTTP is the session's transport without the account calls' timeout:
// a file takes as long as it takes, and ctx ends it.
func (s *Session) fileHTTP() *http.Client { return &http.Client{Transport: s.http.Transport} }

// UploadFile uploads the file at path to room; see Upload.
func (s *Session) UploadFile(ctx context.Context, room, path string, o TransferOptions) (wire.Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return wire.Message{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return wire.Message{}, err
	}
	return s.Upload(ctx, room, filepath.Base(path), f, fi.Size(), o)
}

// Upload sends size bytes of r as a file named name to room, and returns
// the message that carries it, once the server has stored both. A network
// cut resumes from the bytes the server holds (HEAD); a server that forgot
// the upload (restarted) gets it again from the start; the client id makes
// sure it is posted once.
func (s *Session) Upload(ctx context.Context, room, name string, r io.ReaderAt, size int64, o TransferOptions) (wire.Message, error) {
	if o.ClientID == "" {
		o.ClientID = newClientID()
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	req := wire.FileUpload{Room: room, Name: name, Size: size, Text: o.Text, ClientID: o.ClientID}
	var up wire.Upload
	fails, best := 0, int64(0)
	for {
		var err error
		if up.ID == "" {
			up, err = s.startUpload(ctx, req)
		}
		if err == nil {
			var m wire.Message
			var done bool
			m, done, err = s.sendFrom(ctx, &up, r, o.Progress)
			if done {
				return m, nil
			}
			if up.Offset > best { // progress: the budget is for failures in a row
				fails, best = 0, up.Offset
			}
		}
		if errors.Is(err, errRestart) {
			up = wire.Upload{}
		} else if !retryable(err) {
			return wire.Message{}, err
		}
		if fails++; fails > o.Retries || !sleepCtx(ctx, time.Duration(100<<min(fails, 6))*time.Millisecond) {
			if up.ID != "" {
				s.cancelUpload(up.ID)
			}
			return wire.Message{}, err
		}
		if up.ID != "" { // where does the server stand?
			if off, err := s.uploadOffset(ctx, up.ID); errors.Is(err, errRestart) {
				up = wire.Upload{}
			} else if err == nil {
				up.Offset = off
			}
		}
	}
}

// retryable: a failure a later attempt may not meet (the network, the
// server's own trouble), not a refusal.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind == ErrUnreachable || e.Kind == ErrServer
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Session) fileRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, body)
	if err != nil {
		return nil, &Error{Kind: ErrBadInput, Err: err}
	}
	tok, _ := s.Token()
	req.Header.Set("Authorization", "Bearer "+tok)
	return req, nil
}

// refusal turns an error answer into an Error.
func refusal(resp *http.Response) error {
	var e wire.Error
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		return &Error{Kind: ErrServer, Detail: "the server answered " + resp.Status}
	}
	kind := kindOfCode(e.Error)
	if resp.StatusCode >= 500 {
		kind = ErrServer
	}
	return &Error{Kind: kind, Code: e.Error, Detail: e.Message}
}

func (s *Session) startUpload(ctx context.Context, req wire.FileUpload) (wire.Upload, error) {
	body, _ := json.Marshal(req)
	hr, err := s.fileRequest(ctx, http.MethodPost, wire.PathFiles, bytes.NewReader(body))
	if err != nil {
		return wire.Upload{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := s.fileHTTP().Do(hr)
	if err != nil {
		return wire.Upload{}, netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return wire.Upload{}, refusal(resp)
	}
	var up wire.Upload
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&up); err != nil || up.ID == "" {
		return wire.Upload{}, &Error{Kind: ErrNotConfab, Detail: "the upload was not started"}
	}
	return up, nil
}

// sendFrom PATCHes the rest of the file from up.Offset, which it advances
// to what the server says it holds.
func (s *Session) sendFrom(ctx context.Context, up *wire.Upload, r io.ReaderAt, progress Progress) (wire.Message, bool, error) {
	body := &countingReader{r: io.NewSectionReader(r, up.Offset, up.Size-up.Offset), done: up.Offset, total: up.Size, progress: progress}
	req, err := s.fileRequest(ctx, http.MethodPatch, wire.UploadPath(up.ID), body)
	if err != nil {
		return wire.Message{}, false, err
	}
	req.ContentLength = up.Size - up.Offset
	req.Header.Set("Content-Type", wire.ContentTypeUpload)
	req.Header.Set(wire.HeaderUploadOffset, strconv.FormatInt(up.Offset, 10))
	resp, err := s.fileHTTP().Do(req)
	if err != nil {
		return wire.Message{}, false, netError(err)
	}
	defer resp.Body.Close()
	if off, err := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadOffset), 10, 64); err == nil {
		up.Offset = off
	}
	switch resp.StatusCode {
	case http.StatusCreated:
		var done wire.UploadDone
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&done); err != nil {
			return wire.Message{}, false, &Error{Kind: ErrUnreachable, Detail: "the answer was cut"}
		}
		return done.Message, true, nil
	case http.StatusNoContent:
		return wire.Message{}, false, &Error{Kind: ErrUnreachable, Detail: "the upload was cut"}
	case http.StatusConflict:
		return wire.Message{}, false, &Error{Kind: ErrUnreachable, Detail: "the upload is elsewhere"}
	case http.StatusNotFound:
		return wire.Message{}, false, errRestart
	}
	return wire.Message{}, false, refusal(resp)
}

func (s *Session) uploadOffset(ctx context.Context, id string) (int64, error) {
	req, err := s.fileRequest(ctx, http.MethodHead, wire.UploadPath(id), nil)
	if err != nil {
		return 0, err
	}
	resp, err := s.fileHTTP().Do(req)
	if err != nil {
		return 0, netError(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return 0, errRestart
	}
	off, err := strconv.ParseInt(resp.Header.Get(wire.HeaderUploadOffset), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil {
		return 0, &Error{Kind: ErrServer, Detail: "the server answered " + resp.Status}
	}
	return off, nil
}

// cancelUpload tells the server to drop an upload given up on (best effort).
func (s *Session) cancelUpload(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if req, err := s.fileRequest(ctx, http.MethodDelete, wire.UploadPath(id), nil); err == nil {
		if resp, err := s.fileHTTP().Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

// countingReader reports progress as the body is read.
type countingReader struct {
	r           io.Reader
	done, total int64
	progress    Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.done += int64(n)
		if c.progress != nil {
			c.progress(c.done, c.total)
		}
	}
	return n, err
}

// DownloadFile saves the attachment of message id at path. The bytes go
// to path + ".part" first: a cut download resumes from it (HTTP Range,
// only if the file is still the same), and the whole is checked against
// its SHA-256 before it is renamed to path.
func (s *Session) DownloadFile(ctx context.Context, id int64, path string, o TransferOptions) error {
	if o.Retries <= 0 {
		o.Retries = 5
	}
	part := path + ".part"
	fails := 0
	for {
		before := partSize(part)
		err := s.downloadOnce(ctx, wire.FilePath(id), part, o.Progress)
		if err == nil {
			return os.Rename(part, path)
		}
		if !retryable(err) {
			return err
		}
		if partSize(part) > before {
			fails = 0
		}
		if fails++; fails > o.Retries || !sleepCtx(ctx, time.Duration(100<<min(fails, 6))*time.Millisecond) {
			return err
		}
	}
}

func partSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

var errCorrupt = &Error{Kind: ErrServer, Detail: "the downloaded file does not match its checksum"}

func (s *Session) downloadOnce(ctx context.Context, path, part string, progress Progress) error {
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	sum := sha256.New()
	have, err := io.Copy(sum, f) // what a cut download left
	if err != nil {
		return err
	}
	etag := ""
	if have > 0 {
		etag, _ = readETag(part)
	}
	req, err := s.fileRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if have > 0 && etag != "" {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		req.Header.Set("If-Range", etag)
	}
	resp, err := s.fileHTTP().Do(req)
	if err != nil {
		return netError(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusPartialContent:
	case http.StatusOK, http.StatusRequestedRangeNotSatisfiable: // from the start
		if resp.StatusCode != http.StatusOK {
			os.Remove(part + ".etag")
			f.Truncate(0) //nolint:errcheck // the next try starts over anyway
			return &Error{Kind: ErrUnreachable, Detail: "the download starts over"}
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
		sum.Reset()
		have = 0
	default:
		return refusal(resp)
	}
	etag = resp.Header.Get("ETag")
	if err := os.WriteFile(part+".etag", []byte(etag), 0o600); err != nil {
		return err
	}
	total := have + resp.ContentLength
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return err
	}
	body := &countingReader{r: resp.Body, done: have, total: total, progress: progress}
	if _, err := io.Copy(io.MultiWriter(f, sum), body); err != nil {
		return &Error{Kind: ErrUnreachable, Err: err, Detail: "the download was cut"}
	}
	os.Remove(part + ".etag")
	if want := strings.Trim(etag, `"`); want != hex.EncodeToString(sum.Sum(nil)) {
		f.Truncate(0) //nolint:errcheck
		return errCorrupt
	}
	return nil
}

func readETag(part string) (string, error) {
	b, err := os.ReadFile(part + ".etag")
	return string(b), err
}

// Thumbnail fetches the thumbnail of message id's attachment (a PNG or
// JPEG of at most wire.MaxThumbBytes).
func (s *Session) Thumbnail(ctx context.Context, id int64) ([]byte, error) {
	req, err := s.fileRequest(ctx, http.MethodGet, wire.ThumbPath(id), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.fileHTTP().Do(req)
	if err != nil {
		return nil, netError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, refusal(resp)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxThumbBytes+1))
	if err != nil {
		return nil, netError(err)
	}
	if len(b) > wire.MaxThumbBytes {
		return nil, &Error{Kind: ErrServer, Detail: "the thumbnail is too large"}
	}
	return b, nil
}
