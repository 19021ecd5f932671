package term

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"confab/client"
	"confab/wire"
)

const filesHelp = `
  /upload PATH [CAPTION]     send a file to the current room (resumes after a network cut)
  /download ID [PATH]        save the file of message #ID (in this folder, by its name)`

// attachmentText is how a message's file reads in the terminal.
func attachmentText(m wire.Message) string {
	a := m.Attachment
	if a == nil || m.Deleted {
		return ""
	}
	kind := "file"
	if a.Type != wire.TypeOctetStream {
		kind = fmt.Sprintf("image %dx%d", a.ImageWidth, a.ImageHeight)
	}
	return fmt.Sprintf(" [%s: %s, %s] (/download %d)", kind, a.Name, sizeText(a.Size), m.ID)
}

// sizeText is a byte count as people read it.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// progress prints a transfer's progress at every tenth.
func (s *screen) progress(what string) client.Progress {
	var shown atomic.Int64
	return func(done, total int64) {
		if total <= 0 {
			return
		}
		tenth := done * 10 / total
		if old := shown.Load(); tenth > old && shown.CompareAndSwap(old, tenth) && tenth < 10 {
			s.printf("-- %s: %d%%", what, tenth*10)
		}
	}
}

// fileCommand runs /upload and /download.
func (s *screen) fileCommand(ctx context.Context, chat *client.Chat, cmd, arg string) {
	if cmd == "/upload" {
		path, caption, _ := strings.Cut(arg, " ")
		if path == "" {
			s.printf("! /upload needs the path of a file")
			return
		}
		name := filepath.Base(path)
		_, err := chat.Session().UploadFile(ctx, s.room(), path, client.TransferOptions{
			Text: strings.TrimSpace(caption), Progress: s.progress("uploading " + name)})
		if err != nil {
			s.printf("! %s was not sent: %v", name, err)
			return
		}
		s.printf("-- %s sent", name)
		return
	}
	idText, dst, _ := strings.Cut(arg, " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil || id < 1 {
		s.printf("! /download needs a message number, as shown after the time (#42)")
		return
	}
	m, err := s.find(ctx, chat, id)
	if err == nil && m.Attachment == nil {
		err = fmt.Errorf("message #%d has no file", id)
	}
	if err != nil {
		s.printf("! %v", err)
		return
	}
	if dst = strings.TrimSpace(dst); dst == "" {
		dst = m.Attachment.Name // the server keeps names to their last part
	}
	if fi, err := os.Stat(dst); err == nil && fi.IsDir() {
		dst = filepath.Join(dst, m.Attachment.Name)
	}
	if err := chat.Session().DownloadFile(ctx, id, dst, client.TransferOptions{Progress: s.progress("downloading " + m.Attachment.Name)}); err != nil {
		s.printf("! %s was not saved: %v", m.Attachment.Name, err)
		return
	}
	s.printf("-- saved %s", dst)
}
