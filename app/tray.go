package app

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
)

// The system tray: an icon (with a red dot while messages are unread) and
// a menu to show the window or quit. It lets a host close the window and
// keep the chat running. The window's title counts unread messages too.

// setupTray adds the tray icon where the app has one (not in tests, which
// wrap the test app to get one).
func (ui *UI) setupTray() {
	d, ok := ui.app.(desktop.App)
	if !ok {
		return
	}
	// A test's app with a tray says so (testTray): no desktop to ask.
	if _, test := ui.app.(interface{ testTray() }); !test && !trayShown() {
		return // nothing would show the icon: closing must not hide the window
	}
	ui.tray = d
	ui.trayShow = fyne.NewMenuItem("Show Confab", ui.showWindow)
	quit := fyne.NewMenuItem("Quit", ui.requestClose)
	quit.IsQuit = true
	ui.trayMenu = fyne.NewMenu("Confab", ui.trayShow, fyne.NewMenuItemSeparator(), quit)
	d.SetSystemTrayMenu(ui.trayMenu)
	d.SetSystemTrayIcon(trayIcon(ui.app.Icon(), false))
	d.SetSystemTrayWindow(ui.win) // a tap on the icon shows the window (New intercepts closing after this)
}

// showUnread shows how many messages are unread: in the window's title,
// the tray menu and the tray icon's dot.
func (ui *UI) showUnread(n int) {
	if n == ui.unread {
		return
	}
	ui.unread = n
	title, show := "Confab", "Show Confab"
	if n > 0 {
		title = fmt.Sprintf("Confab (%d)", n)
		show = fmt.Sprintf("Show Confab (%d unread)", n)
	}
	ui.win.SetTitle(title)
	if ui.tray == nil {
		return
	}
	ui.trayShow.Label = show
	ui.tray.SetSystemTrayMenu(ui.trayMenu)
	ui.tray.SetSystemTrayIcon(trayIcon(ui.app.Icon(), n > 0))
}

// hideToTray hides the window; the hosted chat keeps running.
func (ui *UI) hideToTray() {
	ui.inTray = true
	ui.win.Hide()
}

// showWindow brings the window back from the tray.
func (ui *UI) showWindow() {
	ui.inTray = false
	ui.win.Show()
	ui.win.RequestFocus()
}

// trayIcon is the app's icon, with a red dot in its corner when dot.
// Without a PNG icon (a build without the app's metadata) it is a blue
// disc, so that the dot can still be drawn.
func trayIcon(icon fyne.Resource, dot bool) fyne.Resource {
	var src image.Image
	if icon != nil {
		src, _ = png.Decode(bytes.NewReader(icon.Content()))
	}
	if src == nil {
		src = disc(image.Rect(0, 0, trayIconSize, trayIconSize), color.RGBA{R: 0x29, G: 0x79, B: 0xff, A: 0xff})
	} else if !dot {
		return icon
	}
	b := src.Bounds()
	img := image.NewRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	if dot {
		r := b.Dx() / 5
		dotImg := disc(image.Rect(b.Max.X-2*r-1, b.Min.Y+1, b.Max.X-1, b.Min.Y+2*r+1), color.RGBA{R: 0xe0, G: 0x20, B: 0x20, A: 0xff})
		draw.Draw(img, dotImg.Bounds(), dotImg, dotImg.Bounds().Min, draw.Over)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return theme.MailComposeIcon()
	}
	name := "confab-tray.png"
	if dot {
		name = "confab-tray-unread.png"
	}
	return fyne.NewStaticResource(name, buf.Bytes())
}

const trayIconSize = 64 // px, when the icon is drawn here

// disc is a filled circle in the square r.
func disc(r image.Rectangle, c color.Color) *image.RGBA {
	img := image.NewRGBA(r)
	cx, cy, rad := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2, r.Dx()/2
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad {
				img.Set(x, y, c)
			}
		}
	}
	return img
}
