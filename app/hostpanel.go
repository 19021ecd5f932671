package app

import (
	"errors"
	"fmt"
	"log/slog"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/host"
)

// Texts of the host panel.
const (
	hostingTitle   = "You are hosting."
	howOthersJoin  = "How others join…"
	stopHosting    = "Stop hosting…"
	stopQuestion   = "Stop the chat? Everyone on it is disconnected until you host it again."
	keepHostingBtn = "Keep hosting"
	stopChatBtn    = "Stop the chat"
)

// hostPanel shows, when hosting, the safety code joiners compare, a button
// to what else they need (hostJoinDialog), and Stop hosting. It stays
// narrow: the conversation beside it keeps its width in a small window.
func (v *chatView) hostPanel() fyne.CanvasObject {
	h := v.ui.host
	if h == nil {
		return container.NewVBox()
	}
	code := safetyCodeLabel(h.SafetyCode())
	code.SizeName = theme.SizeNameText // one line as in the dialog, at the panel's width
	how := newFocusButton(howOthersJoin, func() { hostJoinDialog(v.ui, h) })
	how.SetIcon(theme.InfoIcon())
	stop := newFocusButton(stopHosting, func() { confirmStop(v.ui) })
	admin := newFocusButton(adminMenu, v.ui.showAdmin) // admin.go
	admin.SetIcon(theme.AccountIcon())
	return container.NewVBox(
		widget.NewLabelWithStyle(hostingTitle, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel("Safety code:"), code,
		how, admin, stop,
	)
}

// hostJoinDialog shows how others join: an invitation (a link and its QR
// code) that needs no comparing, the addresses they can type, the safety
// code and the key's fingerprint, and whether the chat is listed.
func hostJoinDialog(ui *UI, h *host.Host) {
	copyButton := func(text string) *widget.Button {
		return widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { ui.app.Clipboard().SetContent(text) })
	}
	box := container.NewVBox()
	if invs := h.Invitations(); len(invs) > 0 {
		link := invs[0].String()
		box.Add(wrapped("Send them the invitation link, or let them scan it: joining by it needs no comparing."))
		box.Add(widget.NewButtonWithIcon("Copy invitation link", theme.ContentCopyIcon(), func() { ui.app.Clipboard().SetContent(link) }))
		if qr := qrImage(link); qr != nil {
			box.Add(container.NewCenter(qr))
		}
	}
	box.Add(wrapped("Or they type one of these addresses and compare the safety code:"))
	for _, a := range hostAddresses(h) {
		box.Add(container.NewBorder(nil, nil, nil, copyButton(a.url), widget.NewLabel(a.label)))
	}
	box.Add(widget.NewLabel("Safety code:"))
	box.Add(safetyCodeLabel(h.SafetyCode()))
	box.Add(widget.NewLabel("Key fingerprint:"))
	box.Add(container.NewBorder(nil, nil, nil, copyButton(h.Fingerprint()), fingerprintLabel(h.Fingerprint())))
	box.Add(wrapped(announceText(h)))
	var d dialog.Dialog
	closeBtn := newFocusButton("Close", func() { d.Hide() })
	closeBtn.Importance = widget.HighImportance
	closeBtn.onEscape = closeBtn.OnTapped
	d = dialog.NewCustomWithoutButtons("How others join", container.NewBorder(nil, container.NewHBox(closeBtn), nil, nil,
		container.NewVScroll(box)), ui.win)
	// As tall as its content (at 520 px across) where the window allows; it scrolls in a small window.
	box.Resize(fyne.NewSize(480, box.MinSize().Height))
	d.Resize(fyne.NewSize(520, min(box.MinSize().Height+dialogChrome, ui.win.Canvas().Size().Height-40)))
	showKeyed(ui.win, d, closeBtn, closeBtn.OnTapped)
}

// dialogChrome is a dialog's height around its content: title, padding, buttons.
const dialogChrome = 150

// hostAddress is an address others may type, as shown and as copied.
type hostAddress struct{ label, url string }

// hostAddresses are the LAN addresses, then this computer's own, which
// works when there is no network (or for a second window here).
func hostAddresses(h *host.Host) []hostAddress {
	var out []hostAddress
	for _, a := range h.Addresses() {
		out = append(out, hostAddress{a, a})
	}
	return append(out, hostAddress{h.LocalURL() + " (this computer only)", h.LocalURL()})
}

func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// confirmStop asks before stopping the chat: it ends it for everyone.
// Enter keeps hosting; stopping takes a deliberate choice.
func confirmStop(ui *UI) {
	ui.ask("Stop hosting", paragraph(stopQuestion),
		answer{label: keepHostingBtn, primary: true, cancel: true},
		answer{label: stopChatBtn, run: ui.logout, danger: true})
}

// announceText says whether joiners on the LAN see the chat in their list.
func announceText(h *host.Host) string {
	name, err := h.Announced()
	switch {
	case name != "":
		return fmt.Sprintf("Listed on this network as “%s”.", name)
	case errors.Is(err, host.ErrLoopbackOnly):
		return "Not listed on this network: the chat is reachable from this computer only."
	case err != nil:
		slog.Warn("announcing the hosted chat", "err", err)
		return "Not listed on this network (this computer could not announce it): joiners type an address or use the invitation."
	}
	return "Not listed on this network: joiners type an address or use the invitation."
}
