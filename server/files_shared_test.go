package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"confab/internal/pgtest"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// Two servers on one database and one files directory (--files-dir, the
// nodes of a cluster): an upload under way on one survives the other's
// start, and the file uploaded through one is downloaded through the other.
func TestFilesSharedDir(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	cfg := sharedStore(t)
	cfg.FilesDir = shared
	a := testserver.Start(t, cfg)
	sess := fileSession(t, a, "sharer")
	tok, _ := sess.Token()
	pic := testPNG(300, 200)
	half := int64(len(pic) / 2)
	resp, up := startUpload(t, a, tok, wire.FileUpload{Room: "general", Name: "pic.png", Size: int64(len(pic))})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start upload: %s", resp.Status)
	}
	patch := func(from, to int64) (*http.Response, []byte) {
		return fileReq(t, "PATCH", a.URL+wire.UploadPath(up.ID), tok, bytes.NewReader(pic[from:to]),
			map[string]string{wire.HeaderUploadOffset: strconv.FormatInt(from, 10)})
	}
	if resp, body := patch(0, half); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first half: %s %s", resp.Status, body)
	}
	cfgB := cfg
	cfgB.DataDir = t.TempDir()
	b := testserver.Start(t, cfgB) // the second node starts meanwhile
	resp, body := patch(half, int64(len(pic)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the upload under way on one node failed when another started: %s %s", resp.Status, body)
	}
	var done wire.UploadDone
	if err := json.Unmarshal(body, &done); err != nil {
		t.Fatal(err)
	}
	id := done.Message.ID
	resp, got := fileReq(t, "GET", b.URL+wire.FilePath(id), tok, nil, nil)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pic) {
		t.Fatalf("download through the other node: %s, %d bytes of %d", resp.Status, len(got), len(pic))
	}
	if resp, _ := fileReq(t, "GET", b.URL+wire.ThumbPath(id), tok, nil, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("thumbnail through the other node: %s", resp.Status)
	}
	h := done.Message.Attachment.Hash
	if _, err := os.Stat(filepath.Join(shared, "sha256", h[:2], h)); err != nil {
		t.Fatalf("the file is not in --files-dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "files")); err == nil {
		t.Fatal("files were kept in the data directory despite FilesDir")
	}
}

// sharedStore is the configuration of servers sharing one database, as the
// nodes of a cluster do: PostgreSQL (each node has a data directory of its
// own, for its certificate and operator socket).
func sharedStore(t *testing.T) server.Config {
	return server.Config{DataDir: t.TempDir(), Database: pgtest.DB(t)}
}
