package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/host"
	"confab/wire"
)

const (
	modeJoin = "Join a chat"
	modeHost = "Host a chat on this computer"
)

// loginForm is the login screen's widgets.
type loginForm struct {
	mode                     *widget.RadioGroup
	url, port, user, pass    *widget.Entry
	others, announce         *widget.Check
	found                    *foundList
	urlErr, portErr, userErr *widget.Label
	passErr, formErr         *widget.Label
	signIn, create           *focusButton
	busy                     *widget.Activity
	joinFields, hostFields   *fyne.Container
	root                     fyne.CanvasObject

	invited *invitedNote // which chat a handed invitation is to (launch.go)
}

// loginWidth is the login form's width.
const loginWidth = 420

// fixedWidth lays one object out at a fixed width and its own height.
type fixedWidth float32

func (w fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(w), h)
}

func (w fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}

// centered lays one object out at its own size, centred across, with
// margins above and below.
type centered struct{ top, bottom float32 }

// loginTop is the margin above the login form, and below its buttons.
const loginTop = 24

func (c centered) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(0, 0)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s.AddWidthHeight(0, c.top+c.bottom)
}

func (c centered) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		m := o.MinSize()
		o.Resize(m)
		o.Move(fyne.NewPos(max(0, (size.Width-m.Width)/2), c.top))
	}
}

func errLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func showErr(l *widget.Label, msg string) {
	l.SetText(msg)
	l.Show()
}

// showLogin shows the login screen; notice (if any) says why we are here.
func (ui *UI) showLogin(notice string) {
	p := ui.app.Preferences()
	f := &loginForm{
		url: widget.NewEntry(), port: widget.NewEntry(), user: widget.NewEntry(), pass: widget.NewPasswordEntry(),
		urlErr: errLabel(), portErr: errLabel(), userErr: errLabel(), passErr: errLabel(), formErr: errLabel(),
		busy: widget.NewActivity(),
	}
	f.url.SetPlaceHolder("192.168.1.5:7878, or an invitation link")
	f.url.SetText(p.String(prefURL))
	f.port.SetText(strconv.Itoa(p.IntWithFallback(prefPort, DefaultPort)))
	f.user.SetText(p.String(prefUsername))
	f.user.SetPlaceHolder("username")
	f.pass.SetPlaceHolder("password")
	f.others = widget.NewCheck("Let others create accounts", nil)
	f.others.SetChecked(p.Bool(prefOthers))
	f.announce = widget.NewCheck("Announce this chat on the local network", nil)
	f.announce.SetChecked(p.BoolWithFallback(prefAnnounce, true))
	f.found = newFoundList(ui.pinStore, func(h client.Found) {
		f.url.SetText(h.URL())
		ui.win.Canvas().Focus(f.pass)
	})
	f.joinFields = container.NewVBox(widget.NewLabel("Server address"), f.url, f.urlErr)
	f.hostFields = container.NewVBox(widget.NewLabel("Port"), f.port, f.portErr, f.others)
	if !ui.noLAN {
		f.joinFields.Add(f.found.status)
		f.joinFields.Add(f.found.hosts)
		f.joinFields.Add(f.found.insecure)
		f.hostFields.Add(f.announce)
		f.found.start()
	}
	f.mode = widget.NewRadioGroup([]string{modeJoin, modeHost}, func(m string) {
		f.joinFields.Hidden = m != modeJoin
		f.hostFields.Hidden = m != modeHost
		f.joinFields.Refresh()
		f.hostFields.Refresh()
	})
	// One above the other: side by side, "Host a chat on this computer"
	// ran past the form.
	if p.StringWithFallback(prefMode, "join") == "host" {
		f.mode.SetSelected(modeHost)
	} else {
		f.mode.SetSelected(modeJoin)
	}
	f.signIn = newFocusButton("Sign in", func() { ui.submit(f, false) })
	f.signIn.Importance = widget.HighImportance
	f.create = newFocusButton("Create account", func() { ui.submit(f, true) })
	f.pass.OnSubmitted = func(string) { ui.submit(f, false) }
	// Enter in a field above the password goes on to the next one.
	next := func(to fyne.Focusable) func(string) { return func(string) { ui.win.Canvas().Focus(to) } }
	f.url.OnSubmitted, f.port.OnSubmitted, f.user.OnSubmitted = next(f.user), next(f.user), next(f.pass)
	if notice != "" {
		showErr(f.formErr, notice)
	}
	f.busy.Hide()
	ui.login = f
	fields := container.NewVBox(
		widget.NewLabelWithStyle("Confab", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		f.mode, f.joinFields, f.hostFields,
		widget.NewLabel("Username"), f.user, f.userErr,
		widget.NewLabel("Password"), f.pass, f.passErr,
	)
	buttons := container.NewVBox(
		container.NewHBox(f.signIn, f.create, f.busy),
		f.formErr, // under the buttons: a refusal does not move them
	)
	// Anchored to the top: an error that appears moves nothing above it
	// (centred, the whole form moved). A long form scrolls above the
	// buttons, which stay on screen (newScrollAbove).
	f.root = newScrollAbove(container.New(centered{top: loginTop}, container.New(fixedWidth(loginWidth), fields)),
		container.New(centered{top: theme.Padding(), bottom: loginTop}, container.New(fixedWidth(loginWidth), buttons)), nil)
	f.found.changed = f.root.Refresh // the list grows and shrinks: lay the form out again
	ui.win.SetContent(f.root)
	if f.user.Text == "" {
		ui.win.Canvas().Focus(f.user)
	} else {
		ui.win.Canvas().Focus(f.pass)
	}
}

// validate checks the form before anything goes over the network.
func (f *loginForm) validate(create bool) bool {
	for _, l := range []*widget.Label{f.urlErr, f.portErr, f.userErr, f.passErr, f.formErr} {
		l.Hide()
	}
	ok := true
	if f.mode.Selected == modeJoin {
		if _, err := client.NormalizeURL(f.url.Text); (err != nil || f.url.Text == "") && !wire.IsInvitation(f.url.Text) {
			showErr(f.urlErr, "Type the address or paste the invitation the host gave you, like 192.168.1.5:7878.")
			ok = false
		}
	} else if port, err := strconv.Atoi(f.port.Text); err != nil || port < 1 || port > 65535 {
		showErr(f.portErr, "A port is a number from 1 to 65535.")
		ok = false
	}
	if !wire.ValidUsername(f.user.Text) {
		showErr(f.userErr, usernameRule)
		ok = false
	}
	if f.pass.Text == "" || (create && len([]rune(f.pass.Text)) < wire.MinPasswordLen) {
		showErr(f.passErr, passwordRule)
		ok = false
	}
	return ok
}

func (f *loginForm) setBusy(busy bool) {
	for _, b := range []*focusButton{f.signIn, f.create} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if busy {
		f.busy.Show()
		f.busy.Start()
	} else {
		f.busy.Stop()
		f.busy.Hide()
	}
}

// joinTarget is what the join form asks for: an address, with what is
// known of its key.
type joinTarget struct {
	url      string
	expected string        // a key given out of band: an invitation
	picked   *client.Found // the chat picked from the LAN list
	plain    bool          // plain HTTP accepted: the person was asked
	invite   string        // an invite code from the link: lets Create account in where sign-up is off
}

// target reads the join form: an invitation link, a chat picked from the
// list (its key is a hint, trusted only if trusted before), or an address.
func (f *loginForm) target() (joinTarget, error) {
	text := strings.TrimSpace(f.url.Text)
	if wire.IsInvitation(text) {
		inv, err := wire.ParseInvitation(text)
		if err != nil {
			return joinTarget{}, err
		}
		return joinTarget{url: inv.URL(), expected: inv.Fingerprint, invite: inv.Code}, nil
	}
	t := joinTarget{url: text}
	if p := f.found.picked; p != nil && p.URL() == text {
		t.picked = p
		if p.Trusted {
			t.expected = p.Fingerprint // trusted before: the server must still have it
		}
	}
	return t, nil
}

// submit signs in (or creates the account) without blocking the UI thread.
func (ui *UI) submit(f *loginForm, create bool) {
	if !f.validate(create) {
		return
	}
	t, err := f.target()
	if err != nil {
		showErr(f.urlErr, errText(err))
		return
	}
	ui.submitTo(f, create, t)
}

func (ui *UI) submitTo(f *loginForm, create bool, t joinTarget) {
	p := ui.app.Preferences()
	hosting := f.mode.Selected == modeHost
	if hosting {
		p.SetString(prefMode, "host")
	} else {
		p.SetString(prefMode, "join")
		p.SetString(prefURL, f.url.Text)
	}
	p.SetString(prefUsername, f.user.Text)
	port, _ := strconv.Atoi(f.port.Text)
	p.SetInt(prefPort, port)
	p.SetBool(prefOthers, f.others.Checked)
	p.SetBool(prefAnnounce, f.announce.Checked)
	f.setBusy(true)
	user, pass, others, dataDir := f.user.Text, f.pass.Text, f.others.Checked, ui.dataDir()
	announceAs := ""
	if hosting && f.announce.Checked && !ui.noLAN {
		announceAs = user + "'s chat"
	}
	previous := ui.hostStopped
	go func() {
		var h *host.Host
		if hosting {
			<-previous // its port is free again
			var err error
			if h, err = startHost(dataDir, port, others, announceAs); err != nil {
				bridge.Do(func() {
					f.setBusy(false)
					showErr(f.portErr, errText(err))
				})
				return
			}
			t = joinTarget{url: h.LocalURL(), expected: h.Fingerprint()} // our own server
		}
		sess, err := ui.signIn(t, user, pass, create)
		if err != nil && h != nil {
			if errors.Is(err, client.ErrWrongCredentials) && !hasAccount(h, user) {
				err = errNoAccount{user: user}
			}
			h.Stop() //nolint:errcheck // the sign-in failed: nothing to tell
		}
		bridge.Do(func() {
			f.setBusy(false)
			if err != nil {
				ui.signInFailed(f, create, t, err)
				return
			}
			ui.host = h
			f.found.close()
			ui.login = nil
			ui.openChat(sess)
		})
	}()
}

// signIn runs on a goroutine of its own: it waits for the network.
func (ui *UI) signIn(t joinTarget, user, pass string, create bool) (*client.Session, error) {
	signIn := client.Login
	if create {
		signIn = client.Register
	}
	opts := []client.Option{client.WithPins(ui.pinStore)}
	if t.expected != "" {
		opts = append(opts, client.WithFingerprint(t.expected))
	}
	if t.plain {
		opts = append(opts, client.AllowPlainHTTP())
	}
	if t.invite != "" {
		opts = append(opts, client.WithInvite(t.invite))
	}
	return signIn(context.Background(), t.url, user, pass, opts...)
}

// signInFailed asks what must be asked (a key, plain HTTP), else says why.
func (ui *UI) signInFailed(f *loginForm, create bool, t joinTarget, err error) {
	retry := func() { ui.submitTo(f, create, t) }
	var ce *client.CertError
	switch {
	case errors.As(err, &ce) && ce.Kind() != client.ErrCertChanged && t.picked != nil && ce.Fingerprint != t.picked.Fingerprint:
		showErr(f.urlErr, fmt.Sprintf("The server at %s answered with a key other than the one announced for “%s” "+
			"(safety code %s): someone may be impersonating it. Do not sign in; ask the host for its address or an invitation.",
			ce.Server, t.picked.Name, unbroken(ce.SafetyCode())))
	case errors.As(err, &ce) && ce.Kind() == client.ErrCertMismatch:
		showErr(f.urlErr, fmt.Sprintf("This is not the chat you were invited to: its safety code is %s, the invitation's is %s. "+
			"Do not sign in; ask the host for a new invitation.", unbroken(ce.SafetyCode()), unbroken(client.SafetyCode(ce.Expected))))
	case errors.As(err, &ce):
		ui.askTrust(ce, t.picked, retry)
	case errors.Is(err, client.ErrInsecure):
		ui.askPlain(t.url, func() {
			t.plain = true
			retry()
		})
	default:
		f.show(err)
	}
}

// unbroken keeps a safety code on one line when a label wraps.
func unbroken(code string) string { return strings.ReplaceAll(code, " ", "\u00a0") }

// show puts a sign-in error next to the field it concerns.
func (f *loginForm) show(err error) {
	var noAccount errNoAccount
	switch text := errText(err); {
	case errors.Is(err, client.ErrWrongCredentials), errors.Is(err, client.ErrWeakPassword), errors.As(err, &noAccount):
		showErr(f.passErr, text)
	case errors.Is(err, client.ErrUsernameTaken), errors.Is(err, client.ErrUsernameSimilar), errors.Is(err, client.ErrInvalidUsername):
		showErr(f.userErr, text)
	case errors.Is(err, client.ErrUnreachable), errors.Is(err, client.ErrNotConfab), errors.Is(err, client.ErrTLS), errors.Is(err, client.ErrPlainHTTP),
		errors.Is(err, client.ErrDowngrade),
		errors.Is(err, client.ErrServerTooOld), errors.Is(err, client.ErrServerTooNew):
		if f.mode.Selected == modeJoin {
			showErr(f.urlErr, text)
		} else {
			showErr(f.formErr, text)
		}
	default:
		showErr(f.formErr, text)
	}
}
