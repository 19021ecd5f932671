package server

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"os"

	"golang.org/x/image/draw"

	"confab/wire"
)

// thumbSlots bounds the images decoded at once: each may take up to
// maxDecodedBytes of memory.
var thumbSlots = make(chan struct{}, 1)

// maxDecodedBytes bounds an image's decoded pixels (a 16-bit image takes
// 8 bytes a pixel, twice an 8-bit one).
const maxDecodedBytes = 4 * wire.MaxImagePixels

// bytesPerPixel is what the decoder will allocate per pixel of a model.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	return 4
}

// imageFacts is what the server learned of a staged file: the type it is
// served as, and for an image within bounds its size and thumbnail.
type imageFacts struct {
	typ            string
	width, height  int
	thumb          []byte // PNG or JPEG; nil when there is none
	thumbW, thumbH int
}

// inspect sniffs a staged file by its content. Only a PNG, JPEG or GIF whose
// header declares at most wire.MaxImagePixels (and wire.MaxImageSide a side)
// is decoded, and only one that decodes is served as an image: a
// decompression bomb or a broken image is a plain file, and no browser is
// ever handed it as an image either.
func inspect(path string) imageFacts {
	plain := imageFacts{typ: wire.TypeOctetStream}
	f, err := os.Open(path)
	if err != nil {
		return plain
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	typ := http.DetectContentType(head[:n])
	if typ != wire.TypePNG && typ != wire.TypeJPEG && typ != wire.TypeGIF {
		return plain
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return plain
	}
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || "image/"+format != typ || cfg.Width <= 0 || cfg.Height <= 0 ||
		cfg.Width > wire.MaxImageSide || cfg.Height > wire.MaxImageSide ||
		int64(cfg.Width)*int64(cfg.Height) > wire.MaxImagePixels ||
		int64(cfg.Width)*int64(cfg.Height)*bytesPerPixel(cfg.ColorModel) > maxDecodedBytes {
		return plain
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return plain
	}
	thumbSlots <- struct{}{}
	defer func() { <-thumbSlots }()
	img, err := decodeImage(f, typ)
	if err != nil {
		return plain
	}
	facts := imageFacts{typ: typ, width: cfg.Width, height: cfg.Height}
	facts.thumb, facts.thumbW, facts.thumbH = thumbnail(img, typ)
	return facts
}

func decodeImage(r io.Reader, typ string) (image.Image, error) {
	switch typ {
	case wire.TypePNG:
		return png.Decode(r)
	case wire.TypeJPEG:
		return jpeg.Decode(r)
	default:
		return gif.Decode(r) // the first frame
	}
}

// thumbnail scales img to fit wire.ThumbSide square (never up), as a PNG
// for PNG and GIF (they may be transparent) or a JPEG, within
// wire.MaxThumbBytes (a JPEG of lower quality when a PNG is larger); nil
// when even that is too large.
func thumbnail(img image.Image, typ string) ([]byte, int, int) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > wire.ThumbSide || h > wire.ThumbSide {
		if w >= h {
			w, h = wire.ThumbSide, max(1, h*wire.ThumbSide/b.Dx())
		} else {
			w, h = max(1, w*wire.ThumbSide/b.Dy()), wire.ThumbSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if typ != wire.TypeJPEG {
		if err := png.Encode(&buf, dst); err == nil && buf.Len() <= wire.MaxThumbBytes {
			return buf.Bytes(), w, h
		}
		buf.Reset()
	}
	for _, q := range []int{80, 50} {
		buf.Reset()
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}); err == nil && buf.Len() <= wire.MaxThumbBytes {
			return buf.Bytes(), w, h
		}
	}
	return nil, 0, 0
}
