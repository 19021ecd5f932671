package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"confab/wire"
)

// Who may use a room's files is Server.mayRead's answer: someone outside a
// direct conversation neither posts a file to it nor downloads one, and
// learns nothing more than 404.
func TestFileAccessRefused(t *testing.T) {
	t.Parallel()
	s, err := New(Config{DataDir: t.TempDir(), Secret: []byte("confab-test-secret-0123456789-abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s)
	defer func() { hs.Close(); s.Close() }()

	do := func(method, path, token string, body []byte, hdr ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, hs.URL+path, bytes.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	account := func(name string) wire.Session {
		_, b := do("POST", wire.PathRegister, "", []byte(`{"username":"`+name+`","password":"password-`+name+`"}`), "Content-Type", "application/json")
		var sess wire.Session
		json.Unmarshal(b, &sess) //nolint:errcheck
		return sess
	}
	member, partner, stranger := account("member"), account("partner"), account("stranger")
	id := func(sess wire.Session) int64 { n, _ := strconv.ParseInt(sess.User.ID, 10, 64); return n }
	dm, _, err := s.store.OpenDM(context.Background(), id(member), id(partner))
	if err != nil {
		t.Fatal(err)
	}
	secret := wire.PrivateRoom(dm.ID)

	upload := func(token, room string) (*http.Response, wire.Message) {
		start, _ := json.Marshal(wire.FileUpload{Room: room, Name: "plan.txt", Size: 4})
		resp, b := do("POST", wire.PathFiles, token, start)
		if resp.StatusCode != http.StatusCreated {
			return resp, wire.Message{}
		}
		var up wire.Upload
		json.Unmarshal(b, &up) //nolint:errcheck
		resp, b = do("PATCH", wire.UploadPath(up.ID), token, []byte("plan"), wire.HeaderUploadOffset, "0")
		var done wire.UploadDone
		json.Unmarshal(b, &done) //nolint:errcheck
		return resp, done.Message
	}
	resp, m := upload(member.Token, secret)
	if resp.StatusCode != http.StatusCreated || m.Attachment == nil {
		t.Fatalf("a member's upload: %s", resp.Status)
	}
	if resp, _ := upload(stranger.Token, secret); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a stranger's upload: %s", resp.Status)
	}
	for _, path := range []string{wire.FilePath(m.ID), wire.ThumbPath(m.ID), wire.FilePath(m.ID + 1000)} {
		resp, b := do("GET", path, stranger.Token, nil)
		var e wire.Error
		json.Unmarshal(b, &e) //nolint:errcheck
		if resp.StatusCode != http.StatusNotFound || e.Error != wire.ErrNotFound {
			t.Errorf("a stranger's GET %s: %s %s", path, resp.Status, b)
		}
	}
	if resp, b := do("GET", wire.FilePath(m.ID), member.Token, nil); resp.StatusCode != http.StatusOK || string(b) != "plan" {
		t.Fatalf("a member's download: %s %q", resp.Status, b)
	}
}

// An upload untouched for wire.UploadExpiry is dropped with its bytes; a
// user holds at most wire.MaxUploadsPerUser.
func TestUploadsExpireAndAreBounded(t *testing.T) {
	t.Parallel()
	u, err := newUploads(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer u.closeAll()
	var ups []*upload
	for range wire.MaxUploadsPerUser {
		up, ok, err := u.start(1, "a", wire.FileUpload{Size: 10})
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		ups = append(ups, up)
	}
	if _, ok, _ := u.start(1, "a", wire.FileUpload{Size: 10}); ok {
		t.Fatal("one upload more than the bound")
	}
	if _, ok, _ := u.start(2, "b", wire.FileUpload{Size: 10}); !ok {
		t.Fatal("another user refused")
	}
	u.mu.Lock()
	ups[0].touched = ups[0].touched.Add(-wire.UploadExpiry - time.Second)
	u.mu.Unlock()
	u.expire(time.Now())
	if u.get(ups[0].id, 1) != nil || u.get(ups[1].id, 1) == nil {
		t.Fatal("expired the wrong uploads")
	}
	if _, err := os.Stat(ups[0].file.Name()); !os.IsNotExist(err) {
		t.Fatalf("an expired upload's bytes: %v", err)
	}
	if _, ok, _ := u.start(1, "a", wire.FileUpload{Size: 10}); !ok {
		t.Fatal("the expired upload still counts")
	}
}
