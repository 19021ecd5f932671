package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// The window's size is remembered, and leaving what ends the chat for
// others (logging out or quitting while hosting) is asked first.

const (
	prefWinWidth  = "windowWidth"
	prefWinHeight = "windowHeight"
)

// Window sizes: the first start's, the smallest the layout fits (the
// three columns at 700 px), and a bound on a remembered size that can no
// longer be right (another screen).
var (
	defaultWinSize = fyne.NewSize(960, 640)
	minWinSize     = fyne.NewSize(700, 500)
	maxWinSize     = fyne.NewSize(7680, 4320)
)

// clampSize keeps a window size between minWinSize and maxWinSize.
func clampSize(s fyne.Size) fyne.Size {
	return s.Max(minWinSize).Min(maxWinSize)
}

// restoreSize sizes the window as it was left.
func (ui *UI) restoreSize() {
	p := ui.app.Preferences()
	s := fyne.NewSize(float32(p.FloatWithFallback(prefWinWidth, float64(defaultWinSize.Width))),
		float32(p.FloatWithFallback(prefWinHeight, float64(defaultWinSize.Height))))
	ui.win.Resize(clampSize(s))
}

// saveSize remembers the window's size for the next start.
func (ui *UI) saveSize() {
	s := ui.win.Canvas().Size()
	if s.Width <= 0 || s.Height <= 0 {
		return
	}
	s = clampSize(s)
	p := ui.app.Preferences()
	p.SetFloat(prefWinWidth, float64(s.Width))
	p.SetFloat(prefWinHeight, float64(s.Height))
}

// confirmLogout is the menu's Log out: when hosting, that ends the chat
// for everyone, so it is asked first.
func (ui *UI) confirmLogout() {
	if ui.host == nil {
		ui.logout()
		return
	}
	ui.ask("Stop hosting?", paragraph("Logging out stops the chat you host: everyone in it is disconnected until you host it again."),
		answer{label: "Cancel", cancel: true},
		answer{label: "Stop hosting and log out", run: ui.logout, primary: true, danger: true})
}

// requestClose answers the window's close button and Quit. Without a
// hosted chat the app quits. While hosting it asks: keep the chat running
// with the window in the tray (when there is one), or stop it and quit.
func (ui *UI) requestClose() {
	ui.saveSize()
	if ui.host == nil {
		ui.win.Close()
		return
	}
	ui.showWindow() // Quit in the tray's menu asks too
	answers := []answer{{label: "Cancel", cancel: true}}
	text := "Quitting stops the chat you host: everyone in it is disconnected."
	if ui.tray != nil {
		text = "The chat you host runs while Confab runs. Keep it running in the system tray, or stop it and quit (everyone in it is disconnected)."
		answers = append(answers, answer{label: "Keep hosting in the tray", run: ui.hideToTray, primary: true})
		answers = append(answers, answer{label: "Stop the chat and quit", run: ui.win.Close, danger: true})
	} else {
		answers = append(answers, answer{label: "Stop the chat and quit", run: ui.win.Close, primary: true, danger: true})
	}
	ui.ask("Keep hosting?", paragraph(text), answers...)
}

// paragraph is a paragraph for a dialog.
func paragraph(text string) fyne.CanvasObject {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return container.New(minWidth(dialogWidth), l)
}

// dialogWidth keeps a dialog's paragraph from wrapping into a column.
const dialogWidth = 400
