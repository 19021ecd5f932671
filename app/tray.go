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
func trayIcon(icon fyne.Resource, dot bool) fyne.Resource {
	if icon == nil {
		icon = theme.MailComposeIcon()
	}
	if !dot {
		return icon
	}
	src, err := png.Decode(bytes.NewReader(icon.Content()))
	if err != nil {
		return theme.MailComposeIcon() // the icon is not a PNG: no dot
	}
	b := src.Bounds()
	img := image.NewRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	r := b.Dx() / 5 // the dot's radius
	cx, cy := b.Max.X-r-1, b.Min.Y+r+1
	red := color.RGBA{R: 0xe0, G: 0x20, B: 0x20, A: 0xff}
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			if (x-cx)*(x-cx)+(y-cy)*(y-cy) <= r*r {
				img.Set(x, y, red)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return icon
	}
	return fyne.NewStaticResource("confab-unread.png", buf.Bytes())
}
