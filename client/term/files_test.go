package term_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// The terminal uploads a file with /upload, shows others' files, and saves
// one with /download, against a real server and a second real client.
func TestUploadAndDownloadInTerminal(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-bob", client.AllowPlainHTTP())
	in, out := aliceInTerminal(t, env)

	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	os.WriteFile(notes, []byte("the plan, in words"), 0o600) //nolint:errcheck
	fmt.Fprintf(in, "/upload %s the plan\n", notes)
	id := waitID(t, out, "alice: the plan [file: notes.txt, 18 bytes]")
	if m := bob.Stored(t, "general")[id]; m.Attachment == nil || m.Attachment.Name != "notes.txt" || m.Text != "the plan" {
		t.Fatalf("bob sees %+v", m)
	}

	var pic bytes.Buffer
	png.Encode(&pic, image.NewGray(image.Rect(0, 0, 40, 30))) //nolint:errcheck
	m, err := bob.Chat.Session().Upload(context.Background(), "general", "pic.png", bytes.NewReader(pic.Bytes()), int64(pic.Len()), client.TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, 10*time.Second, "bob's image shown", func() bool {
		return out.has(fmt.Sprintf("#%d bob:  [image 40x30: pic.png, %d bytes] (/download %d)", m.ID, pic.Len(), m.ID))
	})
	fmt.Fprintf(in, "/download %d %s\n", m.ID, dir)
	testserver.WaitFor(t, 10*time.Second, "saved", func() bool { return out.has("-- saved " + filepath.Join(dir, "pic.png")) })
	if got, _ := os.ReadFile(filepath.Join(dir, "pic.png")); !bytes.Equal(got, pic.Bytes()) {
		t.Fatal("the saved file differs")
	}
}
