package app

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
)

// Texts of the list of chats found on the network.
const (
	foundSearching = "Looking for chats on this network…"
	foundNone      = "No chat announced on this network yet. You can type the address."
	foundSome      = "Chats on this network (pick one, or type an address):"
)

// foundList is the join screen's list of chats announced on the LAN. An
// announcement is a hint: picking a chat fills in its address, and its key
// is trusted only if it was trusted before.
type foundList struct {
	status   *widget.Label
	hosts    *fyne.Container // one button per chat
	insecure *widget.Check   // also list chats that are not encrypted
	pins     client.PinStore
	all      []client.Host // the last list heard
	shown    []client.Found
	stop     context.CancelFunc
	// picked is the chat last picked, while the address field holds its URL.
	picked  *client.Found
	pick    func(client.Found)
	changed func() // after the list changed, to lay the screen out again
}

// maxFoundShown bounds the list; more chats than that on one LAN is unusual,
// and the rest are counted.
const maxFoundShown = 8

func newFoundList(pins client.PinStore, pick func(client.Found)) *foundList {
	l := &foundList{status: widget.NewLabel(foundSearching), hosts: container.NewVBox(), pins: pins, pick: pick}
	l.status.Wrapping = fyne.TextWrapWord
	l.insecure = widget.NewCheck("Also list chats that are not encrypted", func(bool) { l.show(l.all) })
	l.insecure.Hide() // until there is one
	return l
}

// start browses until stop; the list updates on the UI thread.
func (l *foundList) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.stop = cancel
	bridge.Drain(client.Discover(ctx), func(hosts []client.Host) {
		if ctx.Err() == nil {
			l.show(hosts)
		}
	}, nil)
}

// close stops browsing (the login screen is going away).
func (l *foundList) close() {
	if l.stop != nil {
		l.stop()
	}
}

func (l *foundList) show(hosts []client.Host) {
	l.all = hosts
	l.shown = client.Annotate(hosts, l.pins, l.insecure.Checked)
	if plain := len(client.Annotate(hosts, l.pins, true)) - len(client.Annotate(hosts, l.pins, false)); plain > 0 || l.insecure.Checked {
		l.insecure.Show()
	} else {
		l.insecure.Hide()
	}
	l.hosts.RemoveAll()
	if len(l.shown) == 0 {
		l.status.SetText(foundNone)
	} else {
		l.status.SetText(foundSome)
	}
	for i, h := range l.shown {
		if i == maxFoundShown {
			l.hosts.Add(widget.NewLabel(fmt.Sprintf("And %d more: type the address of the one you want.", len(l.shown)-i)))
			break
		}
		icon := theme.ComputerIcon()
		if h.Conflict || h.Impostor || !h.Secure {
			icon = theme.WarningIcon()
		}
		b := widget.NewButtonWithIcon(foundLabel(h), icon, func() { l.choose(h) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		l.hosts.Add(b)
	}
	l.hosts.Refresh()
	if l.changed != nil {
		l.changed()
	}
}

func (l *foundList) choose(h client.Found) {
	l.picked = &h
	l.pick(h)
}

// foundLabel names a chat of the list with what is known of it.
func foundLabel(h client.Found) string {
	note := ""
	switch {
	case !h.Secure:
		note = " · not encrypted"
	case h.Impostor:
		note = " · not the key you trusted for this name"
	case h.Conflict:
		note = " · another chat uses this name"
	case h.Trusted:
		note = " · trusted"
	}
	return fmt.Sprintf("%s (%s, %s)%s", h.Name, h.Machine, h.Addr(), note)
}
