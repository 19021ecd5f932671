package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

func fileSession(t *testing.T, e *testserver.Env, name string) *client.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sess, err := client.Register(ctx, e.URL, name, "password-"+name)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// fileReq sends one request to the server with a token ("" for none).
func fileReq(t *testing.T, method, url, token string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func startUpload(t *testing.T, e *testserver.Env, token string, up wire.FileUpload) (*http.Response, wire.Upload) {
	t.Helper()
	b, _ := json.Marshal(up)
	resp, body := fileReq(t, "POST", e.URL+wire.PathFiles, token, bytes.NewReader(b), nil)
	var u wire.Upload
	json.Unmarshal(body, &u) //nolint:errcheck
	return resp, u
}

func errCode(body []byte) string {
	var e wire.Error
	json.Unmarshal(body, &e) //nolint:errcheck
	return e.Error
}

// A file of exactly the limit is stored, posted and downloaded whole; one
// byte more is refused before any byte is sent, and so is a body longer
// than the size the upload declared.
func TestFileSizeLimit(t *testing.T) {
	t.Parallel()
	const limit = 256 << 10
	e := testserver.Start(t, server.Config{MaxFileSize: limit})
	sess := fileSession(t, e, "filer")
	ctx := context.Background()
	data := randomBytes(limit)
	var last atomic.Int64
	m, err := sess.Upload(ctx, "general", "limit.bin", bytes.NewReader(data), limit,
		client.TransferOptions{Progress: func(done, total int64) { last.Store(done) }})
	if err != nil {
		t.Fatalf("upload at the limit: %v", err)
	}
	a := m.Attachment
	if a == nil || a.Size != limit || a.Hash != hexSum(data) || a.Name != "limit.bin" || a.Type != wire.TypeOctetStream {
		t.Fatalf("attachment %+v", a)
	}
	if last.Load() != limit {
		t.Fatalf("progress ended at %d", last.Load())
	}
	dst := filepath.Join(t.TempDir(), "got.bin")
	if err := sess.DownloadFile(ctx, m.ID, dst, client.TransferOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ")
	}

	_, err = sess.Upload(ctx, "general", "over.bin", bytes.NewReader(randomBytes(limit+1)), limit+1, client.TransferOptions{})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != wire.ErrFileTooLarge {
		t.Fatalf("one byte over the limit: %v", err)
	}

	tok, _ := sess.Token()
	resp, up := startUpload(t, e, tok, wire.FileUpload{Room: "general", Name: "x", Size: 10})
	if resp.StatusCode != http.StatusCreated {
		t.Fatal(resp.Status)
	}
	resp, body := fileReq(t, "PATCH", e.URL+wire.UploadPath(up.ID), tok, bytes.NewReader(make([]byte, 11)),
		map[string]string{wire.HeaderUploadOffset: "0"})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || errCode(body) != wire.ErrFileTooLarge {
		t.Fatalf("a body longer than declared: %s %s", resp.Status, body)
	}
}

// flakyReader fails once, at cutAt, like a network that drops mid-upload,
// and records where each read began.
type flakyReader struct {
	data   []byte
	cutAt  int64
	cut    atomic.Bool
	resume atomic.Int64 // the first offset read after the cut
}

func (f *flakyReader) ReadAt(p []byte, off int64) (int, error) {
	if f.cut.Load() {
		f.resume.CompareAndSwap(-1, off)
	} else if off+int64(len(p)) > f.cutAt {
		f.cut.Store(true)
		return 0, errors.New("network cut")
	}
	n := copy(p, f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// An upload cut off midway resumes from the bytes the server holds, not
// from the start, and posts the file once.
func TestFileUploadResumes(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	sess := fileSession(t, e, "resumer")
	data := randomBytes(3 << 20)
	r := &flakyReader{data: data, cutAt: 1 << 20}
	r.resume.Store(-1)
	m, err := sess.Upload(context.Background(), "general", "big.bin", r, int64(len(data)), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.cut.Load() {
		t.Fatal("the upload was never cut")
	}
	if r.resume.Load() <= 0 {
		t.Fatalf("resumed from %d, not from what the server held", r.resume.Load())
	}
	if m.Attachment == nil || m.Attachment.Hash != hexSum(data) {
		t.Fatalf("attachment %+v", m.Attachment)
	}
	// HEAD of an upload tells its offset; a PATCH from another offset is refused with it.
	tok, _ := sess.Token()
	_, up := startUpload(t, e, tok, wire.FileUpload{Room: "general", Name: "y", Size: 100})
	fileReq(t, "PATCH", e.URL+wire.UploadPath(up.ID), tok, bytes.NewReader(make([]byte, 40)), map[string]string{wire.HeaderUploadOffset: "0"})
	resp, _ := fileReq(t, "HEAD", e.URL+wire.UploadPath(up.ID), tok, nil, nil)
	if resp.Header.Get(wire.HeaderUploadOffset) != "40" {
		t.Fatalf("HEAD offset %q", resp.Header.Get(wire.HeaderUploadOffset))
	}
	resp, body := fileReq(t, "PATCH", e.URL+wire.UploadPath(up.ID), tok, bytes.NewReader(make([]byte, 10)), map[string]string{wire.HeaderUploadOffset: "0"})
	if resp.StatusCode != http.StatusConflict || errCode(body) != wire.ErrOffsetMismatch || resp.Header.Get(wire.HeaderUploadOffset) != "40" {
		t.Fatalf("PATCH at a wrong offset: %s %s", resp.Status, body)
	}
}

// Every file call needs a valid token; an upload is its user's alone.
func TestFileCallsNeedToken(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	owner := fileSession(t, e, "owner")
	other := fileSession(t, e, "other")
	m, err := owner.Upload(context.Background(), "general", "a.txt", strings.NewReader("hello"), 5, client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := owner.Token()
	_, up := startUpload(t, e, tok, wire.FileUpload{Room: "general", Name: "b", Size: 10})
	for _, bad := range []string{"", "not-a-token", tok + "x"} {
		resp, _ := startUpload(t, e, bad, wire.FileUpload{Room: "general", Name: "b", Size: 10})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("start with token %q: %s", bad, resp.Status)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", wire.FilePath(m.ID)}, {"GET", wire.ThumbPath(m.ID)},
			{"HEAD", wire.UploadPath(up.ID)}, {"PATCH", wire.UploadPath(up.ID)}, {"DELETE", wire.UploadPath(up.ID)},
		} {
			resp, _ := fileReq(t, c.method, e.URL+c.path, bad, strings.NewReader("xx"), map[string]string{wire.HeaderUploadOffset: "0"})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %s", c.method, c.path, bad, resp.Status)
			}
		}
	}
	otherTok, _ := other.Token()
	resp, _ := fileReq(t, "PATCH", e.URL+wire.UploadPath(up.ID), otherTok, strings.NewReader("xx"), map[string]string{wire.HeaderUploadOffset: "0"})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user's upload: %s", resp.Status)
	}
	resp, _ = fileReq(t, "GET", e.URL+wire.FilePath(m.ID), otherTok, nil, nil)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a signed-in user reading a public room's file: %s", resp.Status)
	}
}

// An HTML file is served as bytes to save, never as a page: attachment,
// octet-stream, nosniff and a CSP that allows nothing.
func TestFileHTMLServedAsAttachment(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	sess := fileSession(t, e, "htmler")
	page := "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
	m, err := sess.Upload(context.Background(), "general", "page.html", strings.NewReader(page), int64(len(page)), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := sess.Token()
	resp, body := fileReq(t, "GET", e.URL+wire.FilePath(m.ID), tok, nil, nil)
	h := resp.Header
	if resp.StatusCode != 200 || string(body) != page {
		t.Fatalf("%s %q", resp.Status, body)
	}
	if h.Get("Content-Type") != wire.TypeOctetStream || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(h.Get("Content-Disposition"), `filename=page.html`) ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("headers %v", h)
	}
	// Ranges work (a cut download resumes).
	resp, body = fileReq(t, "GET", e.URL+wire.FilePath(m.ID), tok, nil, map[string]string{"Range": "bytes=10-"})
	if resp.StatusCode != http.StatusPartialContent || string(body) != page[10:] {
		t.Fatalf("range: %s %q", resp.Status, body)
	}
	if m.Attachment.Thumb {
		t.Fatal("an HTML file has a thumbnail")
	}
}

func testPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x + y), 255})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img) //nolint:errcheck
	return buf.Bytes()
}

// An image gets a thumbnail within bounds, and is served as that image.
func TestFileImageThumbnail(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	sess := fileSession(t, e, "imager")
	pic := testPNG(900, 600)
	m, err := sess.Upload(context.Background(), "general", "pic.png", bytes.NewReader(pic), int64(len(pic)), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := m.Attachment
	if a.Type != wire.TypePNG || !a.Thumb || a.Width != wire.ThumbSide || a.Height != 213 || a.ImageWidth != 900 || a.ImageHeight != 600 {
		t.Fatalf("attachment %+v", a)
	}
	thumb, err := sess.Thumbnail(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
	if err != nil || format != "png" || cfg.Width != a.Width || cfg.Height != a.Height || len(thumb) > wire.MaxThumbBytes {
		t.Fatalf("thumbnail %v %s %+v, %d bytes", err, format, cfg, len(thumb))
	}
	tok, _ := sess.Token()
	resp, _ := fileReq(t, "GET", e.URL+wire.FilePath(m.ID), tok, nil, nil)
	if resp.Header.Get("Content-Type") != wire.TypePNG || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("headers %v", resp.Header)
	}
}

// pngBomb is a valid PNG header declaring side x side pixels (a few bytes
// that would decode to gigabytes), followed by a tiny image's data.
func pngBomb(side uint32) []byte {
	b := testPNG(8, 8)
	ihdr := b[8+8 : 8+8+13] // after the signature and the chunk's length and type
	binary.BigEndian.PutUint32(ihdr[0:4], side)
	binary.BigEndian.PutUint32(ihdr[4:8], side)
	crc := crc32.ChecksumIEEE(b[8+4 : 8+8+13])
	binary.BigEndian.PutUint32(b[8+8+13:], crc)
	return b
}

// A decompression bomb is never decoded: no thumbnail, and it is served as
// bytes, not as an image another program would decode. Every kind: a
// header declaring sides no image has, a real image of more pixels than
// wire.MaxImagePixels, and one of fewer pixels that decode to too many bytes.
func TestFilePNGBombRefused(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	sess := fileSession(t, e, "bomber")
	tok, _ := sess.Token()
	// A real image of 7000 x 6000 black pixels, 52 KB that decode to 42 MB
	// at least (made by png.Encode of an image.NewGray).
	real, err := os.ReadFile("testdata/bomb-7000x6000.png")
	if err != nil || 7000*6000 <= wire.MaxImagePixels {
		t.Fatal("the real bomb is missing or within bounds", err)
	}
	// 25 M pixels of 16-bit RGBA: within the pixels, but 200 MB decoded.
	deep, err := os.ReadFile("testdata/bomb16-5000x5000.png")
	if err != nil {
		t.Fatal(err)
	}
	for name, bomb := range map[string][]byte{"header.png": pngBomb(100_000), "pixels.png": real, "deep.png": deep} {
		if _, err := png.DecodeConfig(bytes.NewReader(bomb)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := sess.Upload(context.Background(), "general", name, bytes.NewReader(bomb), int64(len(bomb)), client.TransferOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a := m.Attachment; a.Thumb || a.Type != wire.TypeOctetStream || a.ImageWidth != 0 {
			t.Fatalf("%s: attachment %+v", name, a)
		}
		if _, err := sess.Thumbnail(context.Background(), m.ID); !errors.Is(err, client.ErrBadInput) {
			t.Fatalf("%s: thumbnail of a bomb: %v", name, err)
		}
		resp, _ := fileReq(t, "GET", e.URL+wire.FilePath(m.ID), tok, nil, nil)
		if resp.Header.Get("Content-Type") != wire.TypeOctetStream {
			t.Fatalf("%s: bomb served as %q", name, resp.Header.Get("Content-Type"))
		}
	}
}

// A download cut off midway resumes from the part saved (HTTP Range).
func TestFileDownloadResumes(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	sess := fileSession(t, e, "loader")
	data := randomBytes(1 << 20)
	m, err := sess.Upload(context.Background(), "general", "d.bin", bytes.NewReader(data), int64(len(data)), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "d.bin")
	os.WriteFile(dst+".part", data[:300_000], 0o600)                         //nolint:errcheck
	os.WriteFile(dst+".part.etag", []byte(`"`+m.Attachment.Hash+`"`), 0o600) //nolint:errcheck
	var first atomic.Int64
	first.Store(-1)
	err = sess.DownloadFile(context.Background(), m.ID, dst, client.TransferOptions{Progress: func(done, total int64) {
		first.CompareAndSwap(-1, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatal("resumed download differs")
	}
	if f := first.Load(); f <= 300_000 {
		t.Fatalf("the download started over (first progress %d)", f)
	}
}

// Deleting a message deletes its file on the server (the bytes and the
// thumbnail), unless another message has the same bytes.
func TestFileGoesWithItsMessage(t *testing.T) {
	t.Parallel()
	e := testserver.Start(t, server.Config{})
	alice := testchat.Join(t, e.URL, "alice", "password-alice", client.AllowPlainHTTP())
	sess := alice.Chat.Session()
	ctx := context.Background()
	pic := testPNG(100, 80)
	var ms []wire.Message
	for range 2 { // the same bytes twice: one blob
		m, err := sess.Upload(ctx, "general", "pic.png", bytes.NewReader(pic), int64(len(pic)), client.TransferOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	blob := func(h string) string { return filepath.Join(e.Cfg.DataDir, "files", "sha256", h[:2], h) }
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	file, thumb := blob(ms[0].Attachment.Hash), ""
	tok, _ := sess.Token()
	if resp, b := fileReq(t, "GET", e.URL+wire.ThumbPath(ms[0].ID), tok, nil, nil); resp.StatusCode == 200 {
		thumb = blob(hexSum(b))
	}
	if !exists(file) || thumb == "" || !exists(thumb) {
		t.Fatalf("blobs %q %q not stored", file, thumb)
	}
	if _, err := alice.Chat.Delete(ctx, ms[0].ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := fileReq(t, "GET", e.URL+wire.FilePath(ms[0].ID), tok, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a deleted message's file: %s", resp.Status)
	}
	if !exists(file) || !exists(thumb) {
		t.Fatal("a file another message has was removed")
	}
	if _, err := alice.Chat.Delete(ctx, ms[1].ID); err != nil {
		t.Fatal(err)
	}
	if exists(file) || exists(thumb) {
		t.Fatal("the file of deleted messages is still on the server")
	}
}
