package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testserver"
	"confab/wire"
)

// kill -9 of the server while a file is being uploaded loses no file that
// was acknowledged, posts nothing of the one cut off, and leaves no part
// of it where files are kept: every stored file is whole (named by the
// SHA-256 of its bytes).
func TestFileKill9LosesNothingAcknowledged(t *testing.T) {
	bin := buildDaemon(t)
	dir, addr := t.TempDir(), freeAddr(t)
	d := startDaemon(t, bin, dir, addr)
	ctx := context.Background()
	sess, err := client.Register(ctx, d.url, "keeper", "password-keeper")
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(2 << 20)
	acked, err := sess.Upload(ctx, "general", "kept.bin", bytes.NewReader(data), int64(len(data)), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// The second upload: a quarter of it sent, then the server is killed.
	tok, _ := sess.Token()
	const size = 4 << 20
	_, up := startUpload(t, &testserver.Env{URL: d.url}, tok, wire.FileUpload{Room: "general", Name: "cut.bin", Size: size})
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PATCH", d.url+wire.UploadPath(up.ID), pr)
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set(wire.HeaderUploadOffset, "0")
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	pw.Write(randomBytes(size / 4)) //nolint:errcheck
	testserver.WaitFor(t, 10*time.Second, "a quarter of the upload on the server", func() bool {
		h, _ := fileReq(t, "HEAD", d.url+wire.UploadPath(up.ID), tok, nil, nil)
		return h.Header.Get(wire.HeaderUploadOffset) == strconv.Itoa(size/4)
	})
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	d.cmd.Wait() //nolint:errcheck // killed
	pw.CloseWithError(io.ErrClosedPipe)
	<-sent

	d = startDaemon(t, bin, dir, addr)
	defer func() { d.cmd.Process.Signal(syscall.SIGTERM); d.cmd.Wait() }() //nolint:errcheck
	sess, err = client.Login(ctx, d.url, "keeper", "password-keeper")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "kept.bin")
	if err := sess.DownloadFile(ctx, acked.ID, dst, client.TransferOptions{}); err != nil {
		t.Fatalf("the acknowledged file after kill -9: %v", err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
		t.Fatal("the acknowledged file differs after kill -9")
	}
	tok, _ = sess.Token()
	if resp, _ := fileReq(t, "GET", d.url+wire.FilePath(acked.ID+1), tok, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a message after the acknowledged one: %s", resp.Status)
	}
	if resp, _ := fileReq(t, "HEAD", d.url+wire.UploadPath(up.ID), tok, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the cut upload after a restart: %s (a client starts over on 404)", resp.Status)
	}
	stored := 0
	filepath.WalkDir(filepath.Join(dir, "files"), func(p string, e fs.DirEntry, err error) error { //nolint:errcheck
		if err != nil || e.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".lock") || filepath.Base(filepath.Dir(p)) == "locks" {
			return nil // the running server's locks (blobs/staging.go), empty files
		}
		b, _ := os.ReadFile(p)
		sum := sha256.Sum256(b)
		if filepath.Base(filepath.Dir(filepath.Dir(p))) != "sha256" || filepath.Base(p) != hex.EncodeToString(sum[:]) {
			t.Errorf("a file that is not a whole blob: %s (%d bytes)", p, len(b))
		}
		stored++
		return nil
	})
	if stored != 1 {
		t.Fatalf("%d files stored, want the acknowledged one", stored)
	}
}
