package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"github.com/skip2/go-qrcode"
)

// qrSize is the side of an invitation's QR code on screen.
const qrSize = 168

// qrImage draws text as a QR code a phone's camera reads; nil if it cannot.
func qrImage(text string) *canvas.Image {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil
	}
	img := canvas.NewImageFromImage(q.Image(qrSize * 2))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(qrSize, qrSize))
	return img
}
