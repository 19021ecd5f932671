package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // thumbnails are PNG or JPEG
	_ "image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// A message's file in its row: the image's thumbnail (fetched from the
// server once, then kept), its name and size, and a Save button.

// attach is the part of a row's spec about its file.
type attach struct {
	file  *wire.Attachment
	thumb image.Image // nil until fetched (its place is kept meanwhile)
}

// attachGeom is where the file's parts go in a row.
type attachGeom struct {
	thumbY   float32
	thumbSz  fyne.Size
	fileY    float32
	saveSz   fyne.Size
	hasThumb bool
}

// fileActions are what a row's file offers.
type fileActions struct {
	save func(id int64, a wire.Attachment)
}

// fileUI are the row's objects for its file, made once and reused.
type fileUI struct {
	img  *canvas.Image
	save *widget.Button
}

// thumbCache holds the thumbnails fetched, by message id, and which are on
// their way (or failed: they are not asked for again).
type thumbCache struct {
	imgs    map[int64]image.Image
	pending map[int64]bool
}

func newThumbCache() *thumbCache {
	return &thumbCache{imgs: map[int64]image.Image{}, pending: map[int64]bool{}}
}

// fileSpec fills in a row's file, asking for its thumbnail the first time.
func (v *chatView) fileSpec(s *rowSpec, e entry) {
	a := e.msg.Attachment
	if a == nil || e.msg.Deleted {
		return
	}
	s.file = a
	if a.Thumb {
		s.thumb = v.files().thumb(e.msg.ID)
	}
}

func (v *chatView) fileActions() fileActions {
	return fileActions{save: func(id int64, a wire.Attachment) { v.files().save(id, a) }}
}

// thumb is message id's thumbnail, or nil while it is fetched.
func (f *fileView) thumb(id int64) image.Image {
	c := f.thumbs
	if img, ok := c.imgs[id]; ok || c.pending[id] {
		return img
	}
	c.pending[id] = true
	sess := f.v.chat.Session()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		b, err := sess.Thumbnail(ctx, id)
		var img image.Image
		if err == nil {
			img, _, err = image.Decode(bytes.NewReader(b))
		}
		if err != nil {
			return // stays pending: the row keeps its empty place
		}
		bridge.Do(func() {
			c.imgs[id] = img
			delete(c.pending, id)
			if f.v.ui.view == f.v {
				f.v.refreshMessages(false)
				f.v.flush()
			}
		})
	}()
	return nil
}

// fileLine is a file's name and size, as its row shows it.
func fileLine(a *wire.Attachment) string { return "📎 " + a.Name + " · " + sizeWords(a.Size) }

func sizeWords(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// layoutAttachment places the file under the text: the thumbnail (its
// size known before it arrives, so the row never jumps), then its line
// with the Save button; it returns the y below them.
func layoutAttachment(g *rowGeom, s *rowSpec, y, width float32) float32 {
	g.attachGeom = attachGeom{}
	if s.file == nil || s.deleted {
		return y
	}
	y += headerGap
	if a := s.file; a.Thumb && a.Width > 0 && a.Height > 0 {
		w, h := float32(a.Width), float32(a.Height)
		if room := width - 2*g.padX; w > room && room > 0 {
			w, h = room, h*room/w
		}
		g.hasThumb, g.thumbY, g.thumbSz = true, y, fyne.NewSize(w, h)
		y += h + headerGap
	}
	g.saveSz = widget.NewButton("Save…", nil).MinSize()
	g.fileY = y
	return y + g.saveSz.Height
}

// appendAttachment adds the file's thumbnail, line and Save button.
func (r *msgRow) appendAttachment(objs []fyne.CanvasObject, g rowGeom) []fyne.CanvasObject {
	a := r.spec.file
	if a == nil || r.spec.deleted {
		return objs
	}
	if g.hasThumb {
		if r.spec.thumb != nil {
			if r.img == nil {
				r.img = canvas.NewImageFromImage(r.spec.thumb)
				r.img.FillMode = canvas.ImageFillContain
			}
			r.img.Image = r.spec.thumb
			r.img.Move(fyne.NewPos(g.padX, g.thumbY))
			r.img.Resize(g.thumbSz)
			r.img.Refresh()
			objs = append(objs, r.img)
		} else {
			place := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
			place.Move(fyne.NewPos(g.padX, g.thumbY))
			place.Resize(g.thumbSz)
			objs = append(objs, place)
		}
	}
	m := currentMetrics()
	line := textAt(fileLine(a), theme.Color(theme.ColorNameForeground), fyne.TextStyle{}, m.size,
		fyne.NewPos(g.padX, g.fileY+(g.saveSz.Height-m.lineH)/2))
	objs = append(objs, line)
	if r.save == nil {
		r.save = widget.NewButton("Save…", nil)
	}
	id, file := r.spec.id, *a
	r.save.OnTapped = func() {
		if r.act.save != nil {
			r.act.save(id, file)
		}
	}
	x := min(g.padX+line.MinSize().Width+2*theme.Padding(), g.width-g.padX-g.saveSz.Width)
	r.save.Move(fyne.NewPos(max(g.padX, x), g.fileY))
	r.save.Resize(g.saveSz)
	return append(objs, r.save)
}
