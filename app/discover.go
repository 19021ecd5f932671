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

// foundList is the join screen's list of chats announced on the LAN.
type foundList struct {
	status *widget.Label
	hosts  *fyne.Container // one button per chat
	shown  []client.Host
	stop   context.CancelFunc
	// picked is the chat last picked; its fingerprint is expected while the
	// address field still holds its URL.
	picked  *client.Host
	pick    func(client.Host)
	changed func() // after the list changed, to lay the screen out again
}

// maxFoundShown bounds the list; more chats than that on one LAN is unusual,
// and the rest are counted.
const maxFoundShown = 8

func newFoundList(pick func(client.Host)) *foundList {
	l := &foundList{status: widget.NewLabel(foundSearching), hosts: container.NewVBox(), pick: pick}
	l.status.Wrapping = fyne.TextWrapWord
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
	l.shown = hosts
	l.hosts.RemoveAll()
	if len(hosts) == 0 {
		l.status.SetText(foundNone)
	} else {
		l.status.SetText(foundSome)
	}
	for i, h := range hosts {
		if i == maxFoundShown {
			l.hosts.Add(widget.NewLabel(fmt.Sprintf("and %d more: type the address of the one you want", len(hosts)-i)))
			break
		}
		b := widget.NewButtonWithIcon(hostLabel(h), theme.ComputerIcon(), func() { l.choose(h) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		l.hosts.Add(b)
	}
	l.hosts.Refresh()
	if l.changed != nil {
		l.changed()
	}
}

func (l *foundList) choose(h client.Host) {
	l.picked = &h
	l.pick(h)
}

// expected is the fingerprint the picked chat announced, if url is still its address.
func (l *foundList) expected(url string) string {
	if l.picked == nil || l.picked.URL() != url {
		return ""
	}
	return l.picked.Fingerprint
}

func hostLabel(h client.Host) string {
	lock := ""
	if !h.Secure {
		lock = ", not encrypted"
	}
	return fmt.Sprintf("%s (%s, %s%s)", h.Name, h.Machine, h.Addr(), lock)
}
