package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// The administration dialog's Invitations tab (admin.go): an invite code
// and the link to send, which lets people create an account where others
// may not.

// inviteChoices are how long an invitation may stay good, as offered.
var inviteChoices = []struct {
	label string
	ttl   time.Duration
}{{"1 hour", time.Hour}, {"1 day", 24 * time.Hour}, {"7 days", 7 * 24 * time.Hour}, {"30 days", 30 * 24 * time.Hour}}

func (a *adminView) invitesTab() fyne.CanvasObject {
	var labels []string
	for _, c := range inviteChoices {
		labels = append(labels, c.label)
	}
	ttl := widget.NewSelect(labels, nil)
	ttl.SetSelected(inviteChoices[2].label)
	uses := widget.NewSelect([]string{"1 person", "5 people", "20 people"}, nil)
	uses.SetSelected("1 person")
	a.inviteTo = wrapped("")
	a.inviteTo.TextStyle.Monospace = true
	a.inviteTo.Selectable = true
	create := widget.NewButtonWithIcon("Create invitation", theme.MailSendIcon(), func() {
		n := map[string]int{"1 person": 1, "5 people": 5, "20 people": 20}[uses.Selected]
		d := inviteChoices[ttl.SelectedIndex()].ttl
		a.run(func(ctx context.Context) (string, error) {
			inv, err := a.adm.Invite(ctx, n, d)
			if err == nil {
				bridge.Do(func() { a.showInvite(inv) })
			}
			return "Invitation created: send the link or the code.", err
		})
	})
	create.Importance = widget.HighImportance
	a.copyInv = widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { a.ui.app.Clipboard().SetContent(a.invText) })
	a.copyInv.Disable() // until there is an invitation (shown, it would move the row)
	return container.NewVBox(
		wrapped("An invitation lets people create an account even when this chat does not let others create accounts."),
		widget.NewForm(widget.NewFormItem("Good for", uses), widget.NewFormItem("Valid for", ttl)),
		container.NewHBox(create, a.copyInv), a.inviteTo)
}

// showInvite shows a new invitation: its code, and the link to send (the
// app's join screen takes the link, not a bare code).
func (a *adminView) showInvite(inv wire.InviteCode) {
	text := fmt.Sprintf("Invite code: %s\nGood for %d account(s) until %s.", inv.Code, inv.Uses, whenText(inv.ExpiresAt, time.Now()))
	a.invText = inv.Code
	if link, ok := a.inviteLink(inv.Code); ok {
		a.invText = link.String()
		text += "\n\nInvitation link (they paste it and press Create account):\n" + a.invText
	}
	a.inviteTo.SetText(text)
	a.copyInv.Enable()
}

// inviteLink is an invitation to this chat with code: the host's own
// (its LAN address and key), else the address this app joined at with the
// key it pinned there. None over plain HTTP: an invitation carries a key.
func (a *adminView) inviteLink(code string) (wire.Invitation, bool) {
	if h := a.ui.host; h != nil {
		if invs := h.Invitations(); len(invs) > 0 {
			link := invs[0]
			link.Code = code
			return link, true
		}
		return wire.Invitation{}, false
	}
	base := a.ui.chat.Session().URL
	addr, isHTTPS := strings.CutPrefix(base, "https://")
	fp := a.ui.pinStore.Pin(client.ServerKey(base))
	if !isHTTPS || fp == "" || strings.Contains(addr, "/") {
		return wire.Invitation{}, false
	}
	if !strings.Contains(addr, ":") { // the default port of https
		addr += ":443"
	}
	return wire.Invitation{Addr: addr, Fingerprint: fp, Code: code}, true
}
