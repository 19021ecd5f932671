package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/host"
)

// hostPanel shows, when hosting, how others join: the safety code they
// compare, an invitation (a link and its QR code) that needs no comparing,
// and the addresses they can type.
func (v *chatView) hostPanel() fyne.CanvasObject {
	h := v.ui.host
	if h == nil {
		return container.NewVBox()
	}
	copyButton := func(text string) *widget.Button {
		return widget.NewButtonWithIcon("", theme.ContentCopyIcon(), func() { v.ui.app.Clipboard().SetContent(text) })
	}
	box := container.NewVBox(widget.NewLabelWithStyle("You are hosting.", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	box.Add(widget.NewLabel("Safety code: joiners compare it\nthe first time they connect."))
	box.Add(safetyCodeLabel(h.SafetyCode()))
	if invs := h.Invitations(); len(invs) > 0 {
		link := invs[0].String()
		invite := widget.NewButtonWithIcon("Copy invitation link", theme.ContentCopyIcon(), func() { v.ui.app.Clipboard().SetContent(link) })
		box.Add(invite)
		if qr := qrImage(link); qr != nil {
			box.Add(container.NewCenter(qr))
		}
	}
	box.Add(widget.NewLabel("Or they type one of these:"))
	addrs := h.Addresses()
	if len(addrs) == 0 {
		addrs = []string{h.LocalURL() + " (no network: this computer only)"}
	}
	for _, a := range addrs {
		box.Add(container.NewBorder(nil, nil, nil, copyButton(a), widget.NewLabel(a)))
	}
	box.Add(widget.NewAccordion(widget.NewAccordionItem("Key fingerprint",
		container.NewBorder(nil, nil, nil, copyButton(h.Fingerprint()), fingerprintLabel(h.Fingerprint())))))
	listed := widget.NewLabel(announceText(h))
	listed.Wrapping = fyne.TextWrapWord
	box.Add(listed)
	box.Add(widget.NewButton("Stop hosting", func() { v.ui.logout() }))
	return box
}

// announceText says whether joiners on the LAN see the chat in their list.
func announceText(h *host.Host) string {
	name, err := h.Announced()
	switch {
	case name != "":
		return fmt.Sprintf("Listed on this network as “%s”.", name)
	case err != nil:
		return "Not listed on this network (" + err.Error() + "): joiners type an address."
	}
	return "Not listed on this network: joiners type an address."
}
