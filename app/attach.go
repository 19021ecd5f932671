package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// Files in the chat window: the attach button and its file picker, files
// dropped on the window, and a bar per upload or download above the
// composer, with its progress and a Cancel button.

// fileView is the chat view's part about files. Its methods run on the UI
// thread; transfers run in their own goroutines.
type fileView struct {
	v         *chatView
	attachBtn *widget.Button
	box       *fyne.Container // the transfers' bars; hidden while there are none
	thumbs    *thumbCache     // thumbs.go
	transfers map[*transfer]bool
	moved     func(*transfer) // tests: a bar moved
}

// transfer is one upload or download on screen.
type transfer struct {
	label  *widget.Label
	bar    *widget.ProgressBar
	row    *fyne.Container
	cancel context.CancelFunc
}

// files is the chat view's file part, made on first use (with the
// window's drop target).
func (v *chatView) files() *fileView {
	if v.fileBar == nil {
		f := &fileView{v: v, box: container.NewVBox(), thumbs: newThumbCache(), transfers: map[*transfer]bool{}}
		f.attachBtn = widget.NewButtonWithIcon("", theme.MailAttachmentIcon(), f.pick)
		f.box.Hide()
		v.ui.win.SetOnDropped(func(_ fyne.Position, uris []fyne.URI) { f.dropped(uris) })
		v.fileBar = f
	}
	return v.fileBar
}

// pick opens the file picker; the file chosen is sent to the current room.
func (f *fileView) pick() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		r.Close()
		f.upload(r.URI().Path())
	}, f.v.ui.win)
}

// dropped sends each file dropped on the window (folders are skipped).
func (f *fileView) dropped(uris []fyne.URI) {
	for _, u := range uris {
		if u.Scheme() != "file" {
			continue
		}
		if fi, err := os.Stat(u.Path()); err == nil && fi.Mode().IsRegular() {
			f.upload(u.Path())
		}
	}
}

// start shows a transfer's bar and returns it, with its context.
func (f *fileView) start(text string) (*transfer, context.Context) {
	ctx, cancel := context.WithCancel(context.Background())
	t := &transfer{label: widget.NewLabel(text), bar: widget.NewProgressBar(), cancel: cancel}
	t.label.Truncation = fyne.TextTruncateEllipsis
	stop := widget.NewButtonWithIcon("", theme.CancelIcon(), cancel)
	t.row = container.NewBorder(nil, nil, nil, stop, container.NewGridWithColumns(2, t.label, t.bar))
	f.transfers[t] = true
	f.box.Add(t.row)
	f.box.Show()
	return t, ctx
}

// progress moves a transfer's bar, from the transfer's goroutine: only
// when it moved by a percent, so a large file does not flood the UI thread.
func (f *fileView) progress(t *transfer) client.Progress {
	last := int64(-1)
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		if pc := done * 100 / total; pc != last {
			last = pc
			bridge.Do(func() {
				t.bar.SetValue(float64(done) / float64(total))
				if f.moved != nil {
					f.moved(t)
				}
			})
		}
	}
}

// end takes a transfer's bar away, or leaves it saying what went wrong.
func (f *fileView) end(t *transfer, failure string) {
	t.cancel()
	if failure != "" {
		t.label.SetText(failure)
		t.label.Importance = widget.DangerImportance
		t.label.Refresh()
		return // the Cancel button takes it away
	}
	f.remove(t)
}

func (f *fileView) remove(t *transfer) {
	delete(f.transfers, t)
	f.box.Remove(t.row)
	if len(f.transfers) == 0 {
		f.box.Hide()
	}
}

// upload sends the file at path to the current room, with a bar.
func (f *fileView) upload(path string) {
	name, room := filepath.Base(path), f.v.current
	t, ctx := f.start("Sending " + name + "…")
	t.row.Objects[1].(*widget.Button).OnTapped = func() { t.cancel(); f.remove(t) }
	sess := f.v.chat.Session()
	go func() {
		_, err := sess.UploadFile(ctx, room, path, client.TransferOptions{Progress: f.progress(t)})
		bridge.Do(func() {
			if err != nil && ctx.Err() == nil {
				f.end(t, fmt.Sprintf("%s was not sent. %s", name, errWords(err)))
				return
			}
			f.end(t, "")
		})
	}()
}

// save asks where to save message id's file, then downloads it there.
func (f *fileView) save(id int64, a wire.Attachment) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		w.Close()
		f.download(id, a, w.URI().Path())
	}, f.v.ui.win)
	d.SetFileName(a.Name)
	if home, err := os.UserHomeDir(); err == nil {
		if l, err := storage.ListerForURI(storage.NewFileURI(home)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Show()
}

// download saves message id's file at path, with a bar.
func (f *fileView) download(id int64, a wire.Attachment, path string) {
	t, ctx := f.start("Saving " + a.Name + "…")
	t.row.Objects[1].(*widget.Button).OnTapped = func() { t.cancel(); f.remove(t) }
	sess := f.v.chat.Session()
	go func() {
		err := sess.DownloadFile(ctx, id, path, client.TransferOptions{Progress: f.progress(t)})
		bridge.Do(func() {
			if err != nil && ctx.Err() == nil {
				f.end(t, fmt.Sprintf("%s was not saved. %s", a.Name, errWords(err)))
				return
			}
			f.end(t, "")
		})
	}()
}

// The words for the server's refusals of files (errwords.go has the others).
func init() {
	codeWords[wire.ErrFileTooLarge] = "That file is larger than this chat accepts."
	codeWords[wire.ErrInvalidFile] = "That file's name cannot be sent: it is empty, too long, or has control characters."
	codeWords[wire.ErrTooManyUploads] = "Too many files are being sent at once. Wait for one to finish."
}
