package app

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/app/instance"
	"confab/client"
	"confab/wire"
)

// One Confab runs per user and storage root. A later launch (the menu
// entry again, or an invitation link clicked in a browser or mail) hands
// its request to the running app, which comes forward and shows the
// invitation on the join screen: the same as pasting the link there, and
// no more (a link never signs in by itself).

// launchRequest reads a window launch's arguments: none, or the one
// invitation link a desktop passes for a link clicked (%u, %1).
func launchRequest(args []string) (instance.Request, error) {
	switch len(args) {
	case 0:
		return instance.Request{}, nil
	case 1:
		inv, err := wire.ParseInvitation(args[0])
		if err != nil {
			return instance.Request{}, err
		}
		req := instance.Request{Invitation: &inv}
		return req, req.Check()
	}
	return instance.Request{}, errors.New("give one invitation link at most")
}

// claimInstance makes this launch the running app (run), or hands req to
// the one that runs and says so. When the means to find a running app
// fail, the app runs all the same.
func claimInstance(a fyne.App, req instance.Request) (p *instance.Primary, run bool, err error) {
	p, handed, err := instance.Claim(a.Storage().RootURI().Path(), req)
	switch {
	case handed && req.Invitation != nil:
		fmt.Println("Confab is already running: its window shows the invitation.")
		return nil, false, nil
	case handed:
		fmt.Println("Confab is already running: its window was brought forward.")
		return nil, false, nil
	case errors.Is(err, instance.ErrNoAnswer):
		return nil, false, err
	case err != nil:
		slog.Warn("cannot tell whether Confab already runs; starting anyway", "err", err)
	}
	return p, true, nil
}

// serveLaunches opens this launch's invitation, and takes later launches'
// requests until the instance is closed.
func (ui *UI) serveLaunches(p *instance.Primary, req instance.Request) {
	if req.Invitation != nil {
		slog.Info("opening the invitation given at launch", "chat", req.Invitation.Addr)
		ui.openInvitation(*req.Invitation)
	}
	p.Serve(func(r instance.Request) { bridge.Do(func() { ui.handOff(r) }) })
}

// handOff answers a later launch: the window comes forward (out of the
// tray too), with the invitation it was given.
func (ui *UI) handOff(r instance.Request) {
	if r.Invitation != nil {
		slog.Info("another launch brought the window forward with an invitation", "chat", r.Invitation.Addr)
	} else {
		slog.Info("another launch brought the window forward")
	}
	ui.showWindow()
	if r.Invitation != nil {
		ui.openInvitation(*r.Invitation)
	}
}

// openInvitation shows the join screen with inv. In a chat, joining
// another means leaving this one (and stopping it, when hosted): that is
// asked first, never done by a click elsewhere. An invitation to the chat
// on screen changes nothing.
func (ui *UI) openInvitation(inv wire.Invitation) {
	if ui.inChat(inv) {
		return
	}
	if ui.asking != nil {
		ui.asking.d.Hide() // an older question (this one's too) gives way: as cancelled
	}
	if ui.trust != nil {
		ui.trust.close(ui)
	}
	switch {
	case ui.login != nil:
		ui.showInvitation(inv)
	case ui.chat == nil:
		ui.invite = &inv // signing out right now: the join screen takes it
	default:
		ui.askLeaveFor(inv)
	}
}

// inChat says whether inv is to the chat signed in to: the same key.
func (ui *UI) inChat(inv wire.Invitation) bool {
	if ui.chat == nil {
		return false
	}
	key := ui.pinStore.Pin(client.ServerKey(ui.chat.Session().URL))
	if ui.host != nil {
		key = ui.host.Fingerprint()
	}
	return key != "" && wire.NormalizeFingerprint(key) == inv.Fingerprint
}

// askLeaveFor asks before signing out to join inv.
func (ui *UI) askLeaveFor(inv wire.Invitation) {
	leave := func() {
		ui.invite = &inv
		ui.logout()
	}
	what := fmt.Sprintf("This invitation is to %s. ", invitationName(inv))
	if ui.host != nil {
		ui.ask("Stop hosting to join another chat?",
			paragraph(what+"To join it, Confab stops the chat you host (everyone in it is disconnected) and signs you out."),
			answer{label: "Cancel", cancel: true},
			answer{label: "Stop hosting and open the invitation", run: leave, primary: true, danger: true})
		return
	}
	ui.ask("Leave this chat to join another?",
		paragraph(what+"To join it, Confab signs you out of the chat you are in; you can come back to it later."),
		answer{label: "Cancel", cancel: true},
		answer{label: "Sign out and open the invitation", run: leave, primary: true})
}

// maxInviteName bounds the name shown from an invitation (anyone can
// write one).
const maxInviteName = 60

// invitationName is how a question names an invitation's chat.
func invitationName(inv wire.Invitation) string {
	name := []rune(strings.Join(strings.FieldsFunc(inv.Name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) // on one line, whatever the link holds
	}), " "))
	if len(name) == 0 {
		return "the chat at " + inv.Addr
	}
	if len(name) > maxInviteName {
		name = append(name[:maxInviteName-1], '…')
	}
	return fmt.Sprintf("“%s” at %s", string(name), inv.Addr)
}

// showInvitation fills the join screen with inv, as if pasted, says
// which chat it is to, and puts the keyboard where the person goes on.
func (ui *UI) showInvitation(inv wire.Invitation) {
	f := ui.login
	f.mode.SetSelected(modeJoin)
	for _, l := range []*widget.Label{f.urlErr, f.portErr, f.userErr, f.passErr, f.formErr} {
		l.Hide()
	}
	if f.invited == nil {
		f.invited = newInvitedNote(f)
	}
	f.invited.link = inv.String()
	f.url.SetText(f.invited.link)
	f.invited.SetText("You are invited to " + invitationName(inv) + ". Sign in, or create an account there.")
	f.invited.Show()
	if f.user.Text == "" {
		ui.win.Canvas().Focus(f.user)
	} else {
		ui.win.Canvas().Focus(f.pass)
	}
}

// invitedNote is the line under the address that says which chat a
// handed invitation is to, until the address is changed.
type invitedNote struct {
	*widget.Label
	link string
}

func newInvitedNote(f *loginForm) *invitedNote {
	n := &invitedNote{Label: widget.NewLabel("")}
	n.Wrapping = fyne.TextWrapWord
	n.Hide()
	objs := f.joinFields.Objects
	at := slices.Index(objs, fyne.CanvasObject(f.url)) + 1
	f.joinFields.Objects = slices.Insert(objs, at, fyne.CanvasObject(n.Label))
	f.joinFields.Refresh()
	changed := f.url.OnChanged
	f.url.OnChanged = func(s string) {
		if changed != nil {
			changed(s)
		}
		if s != n.link {
			n.Hide()
		}
	}
	return n
}

// takeInvitation shows the invitation waiting for the join screen, if any.
func (ui *UI) takeInvitation() {
	if inv := ui.invite; inv != nil && ui.login != nil {
		ui.invite = nil
		ui.showInvitation(*inv)
	}
}
