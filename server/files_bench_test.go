package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// Upload and download throughput on loopback, of the Go client and of
// curl (the reference) against the same server, plain HTTP:
//
//	go test -run '^$' -bench BenchmarkFileTransfer -benchtime 5x ./server/
//
// Upload is the whole acknowledged upload: the bytes, their SHA-256, the
// fsync, the rename and the message's commit.
func BenchmarkFileTransfer(b *testing.B) {
	const size = 64 << 20
	e := testserver.Start(b, server.Config{})
	ctx := context.Background()
	sess, err := client.Register(ctx, e.URL, "bencher", "password-bencher")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := randomBytes(size)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		b.Fatal(err)
	}
	m, err := sess.UploadFile(ctx, "general", src, client.TransferOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := sess.Token()
	curl, curlErr := exec.LookPath("curl")

	b.Run("upload/go", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			if _, err := sess.Upload(ctx, "general", "b.bin", bytes.NewReader(data), size, client.TransferOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("upload/curl", func(b *testing.B) {
		if curlErr != nil {
			b.Skip("no curl")
		}
		b.SetBytes(size)
		for b.Loop() {
			start, _ := json.Marshal(wire.FileUpload{Room: "general", Name: "c.bin", Size: size})
			out, err := exec.Command(curl, "-sS", "-f", "-H", "Authorization: Bearer "+tok, "-H", "Content-Type: application/json",
				"--data-binary", string(start), e.URL+wire.PathFiles).Output()
			var up wire.Upload
			if err != nil || json.Unmarshal(out, &up) != nil {
				b.Fatalf("curl start: %v %s", err, out)
			}
			if out, err := exec.Command(curl, "-sS", "-f", "-X", "PATCH", "-H", "Authorization: Bearer "+tok,
				"-H", "Upload-Offset: 0", "-H", "Content-Type: "+wire.ContentTypeUpload, "-T", src, // streams the file (--data-binary @ reads it into memory first)
				"-o", "/dev/null", e.URL+wire.UploadPath(up.ID)).CombinedOutput(); err != nil {
				b.Fatalf("curl patch: %v %s", err, out)
			}
		}
	})
	b.Run("download/go", func(b *testing.B) {
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			if err := sess.DownloadFile(ctx, m.ID, filepath.Join(dir, fmt.Sprint("go", i)), client.TransferOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("download/curl", func(b *testing.B) {
		if curlErr != nil {
			b.Skip("no curl")
		}
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			if out, err := exec.Command(curl, "-sS", "-f", "-H", "Authorization: Bearer "+tok,
				"-o", filepath.Join(dir, fmt.Sprint("curl", i)), e.URL+wire.FilePath(m.ID)).CombinedOutput(); err != nil {
				b.Fatalf("curl get: %v %s", err, out)
			}
		}
	})
}
