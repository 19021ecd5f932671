package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

func gradientPNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(90 + y*120/h), 200, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img) //nolint:errcheck
	return b.Bytes()
}

// A file sent from the window shows a bar that fills to the end, then
// goes, and the message carries the file; another's image shows inline,
// its thumbnail fetched from the server, with a Save button.
func TestAttachShowsProgressAndThumbnails(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newScreenshotUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })

	path := filepath.Join(t.TempDir(), "report.bin")
	if err := os.WriteFile(path, bytes.Repeat([]byte("confab "), 600_000), 0o600); err != nil {
		t.Fatal(err)
	}
	var values []float64
	bridge.DoAndWait(func() {
		ui.win.Resize(fyne.NewSize(800, 600))
		v.files().moved = func(tr *transfer) {
			if !v.files().box.Visible() || !slices.Contains(v.files().box.Objects, fyne.CanvasObject(tr.row)) {
				t.Error("a bar moved that is not shown")
			}
			values = append(values, tr.bar.Value)
		}
		v.files().upload(path) // what the file picker and a drop do
	})
	waitUI(t, "the file in the conversation", func() bool {
		n := v.tl().len()
		return n > 0 && v.tl().at(n-1).msg.Attachment != nil && !v.files().box.Visible()
	})
	got := onUI(func() []float64 { return slices.Clone(values) })
	if len(got) < 2 || got[len(got)-1] != 1 || !slices.IsSorted(got) {
		t.Fatalf("the bar went %v", got)
	}

	pic := gradientPNG(640, 400)
	m, err := bob.Chat.Session().Upload(context.Background(), "general", "sunset.png", bytes.NewReader(pic), int64(len(pic)), client.TransferOptions{Text: "the view from here"})
	if err != nil {
		t.Fatal(err)
	}
	waitUI(t, "bob's image shown inline", func() bool {
		v.flush()
		n := v.tl().len()
		if n == 0 || v.tl().at(n-1).msg.ID != m.ID {
			return false
		}
		r, ok := v.msgList.shown[n-1]
		return ok && r.img != nil && slices.Contains(r.objs, fyne.CanvasObject(r.img)) &&
			slices.Contains(r.objs, fyne.CanvasObject(r.save)) && r.img.Size().Width == 320
	})
	// Save: the file downloads where the save dialog said, with a bar.
	dst := filepath.Join(t.TempDir(), "saved.png")
	bridge.DoAndWait(func() {
		values = nil
		v.files().download(m.ID, *m.Attachment, dst)
	})
	waitUI(t, "saved", func() bool { return !v.files().box.Visible() })
	if b, _ := os.ReadFile(dst); !bytes.Equal(b, pic) {
		t.Fatal("the saved file differs")
	}
	if got := onUI(func() []float64 { return slices.Clone(values) }); len(got) == 0 || got[len(got)-1] != 1 {
		t.Fatalf("the download's bar went %v", got)
	}
	// A file dropped on the window is sent to the room; a folder is not.
	dropped := filepath.Join(t.TempDir(), "dropped.txt")
	os.WriteFile(dropped, []byte("dropped here"), 0o600) //nolint:errcheck
	bridge.DoAndWait(func() {
		v.files().dropped([]fyne.URI{storage.NewFileURI(filepath.Dir(dropped)), storage.NewFileURI(dropped)})
	})
	waitUI(t, "the dropped file in the conversation", func() bool {
		n := v.tl().len()
		return v.tl().at(n-1).msg.Attachment != nil && v.tl().at(n-1).msg.Attachment.Name == "dropped.txt"
	})
	if n := len(bob.Stored(t, "general")); n != 3 {
		t.Fatalf("bob's history has %d messages, want 3", n)
	}

	bridge.DoAndWait(func() {
		v.msgList.ScrollToBottom()
		tr, _ := v.files().start("Sending holiday.mov…")
		tr.bar.SetValue(0.42)
	})
	screenshot(t, ui, "files-window-800x600.png")
}
