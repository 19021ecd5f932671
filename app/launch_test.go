package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"confab/app/bridge"
	"confab/app/instance"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

func invitationTo(env *testserver.Env, name string) wire.Invitation {
	return wire.Invitation{Addr: env.Addr, Fingerprint: wire.NormalizeFingerprint(env.Cert.Fingerprint), Name: name}
}

// A launch with a link hands it to the running app: the join screen
// shows it as if pasted (signing in asks nothing about the key); the link
// to the chat on screen changes nothing; a link to another chat asks
// before leaving this one, and Escape keeps it.
func TestHandedInvitation(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	other := testserver.StartTLS(t, server.Config{})
	env.Register("alice", "password-a")
	inv, otherInv := invitationTo(env, "Team chat"), invitationTo(other, "Other chat")
	ui := newUI(t)

	bridge.DoAndWait(func() {
		ui.login.mode.SetSelected(modeHost)
		showErr(ui.login.urlErr, "an old error")
		ui.handOff(instance.Request{Invitation: &inv})
	})
	if got := onUI(func() string { return ui.login.url.Text }); got != inv.String() {
		t.Fatalf("join screen shows %q, want the invitation %q", got, inv.String())
	}
	if onUI(func() bool { return ui.login.mode.Selected != modeJoin || ui.login.urlErr.Visible() }) {
		t.Fatal("the join screen is not shown as new")
	}
	if onUI(func() bool { return ui.win.Canvas().Focused() != ui.login.user }) {
		t.Fatal("the keyboard is not in the username field")
	}
	note := onUI(func() string { return ui.login.invited.Text })
	if !onUI(ui.login.invited.Visible) || !strings.Contains(note, "“Team chat” at "+env.Addr) {
		t.Fatalf("the join screen says %q about the invitation", note)
	}
	screenshot(t, ui, "handed-invitation-join.png")
	bridge.DoAndWait(func() { ui.login.url.SetText(env.Addr) })
	if onUI(ui.login.invited.Visible) {
		t.Fatal("the note about the invitation stayed when the address changed")
	}
	bridge.DoAndWait(func() { ui.login.url.SetText(inv.String()) })
	bridge.DoAndWait(func() {
		ui.login.user.SetText("alice")
		ui.login.pass.SetText("password-a")
		test.Tap(ui.login.signIn)
	})
	waitUI(t, "signed in by the invitation", func() bool { return ui.chat != nil || ui.trust != nil })
	if onUI(func() bool { return ui.trust != nil }) {
		t.Fatal("signing in by the handed invitation asked about the key")
	}

	bridge.DoAndWait(func() { ui.handOff(instance.Request{Invitation: &inv}) })
	if onUI(func() bool { return ui.asking != nil || ui.chat == nil }) {
		t.Fatal("the invitation to the chat on screen asked or left it")
	}

	bridge.DoAndWait(func() { ui.handOff(instance.Request{Invitation: &otherInv}) })
	if onUI(func() bool { return ui.asking == nil }) {
		t.Fatal("an invitation to another chat did not ask before leaving this one")
	}
	screenshot(t, ui, "handed-invitation-ask.png")
	pressKey(t, ui, fyne.KeyEscape)
	if onUI(func() bool { return ui.asking != nil || ui.chat == nil || ui.login != nil }) {
		t.Fatal("Escape did not keep the chat")
	}
	bridge.DoAndWait(func() { ui.handOff(instance.Request{Invitation: &otherInv}) })
	pressKey(t, ui, fyne.KeyReturn)
	waitUI(t, "the join screen with the other invitation", func() bool {
		return ui.login != nil && ui.login.url.Text == otherInv.String()
	})
	if onUI(func() bool { return ui.chat != nil || ui.invite != nil }) {
		t.Fatal("still signed in, or the invitation still waiting")
	}
	screenshot(t, ui, "handed-invitation.png")
}

// While hosting, a link to the hosted chat changes nothing; one to
// another chat asks whether to stop hosting, and does on Enter.
func TestHandedInvitationWhileHosting(t *testing.T) {
	other := testserver.StartTLS(t, server.Config{})
	ui := newUI(t)
	hostAs(ui, freePort(t), "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.host != nil && ui.view != nil })
	own := wire.Invitation{Addr: "192.168.1.5:7878", Fingerprint: wire.NormalizeFingerprint(onUI(ui.host.Fingerprint))}
	bridge.DoAndWait(func() { ui.handOff(instance.Request{Invitation: &own}) })
	if onUI(func() bool { return ui.asking != nil }) {
		t.Fatal("the invitation to the hosted chat asked to leave it")
	}
	otherInv := invitationTo(other, "")
	bridge.DoAndWait(func() { ui.handOff(instance.Request{Invitation: &otherInv}) })
	q := onUI(func() *question { return ui.asking })
	if q == nil || !q.answers[1].danger || !strings.Contains(q.answers[1].label, "Stop hosting") {
		t.Fatalf("asked %+v, want whether to stop hosting", q)
	}
	pressKey(t, ui, fyne.KeyReturn)
	waitUI(t, "the join screen with the invitation", func() bool {
		return ui.login != nil && ui.login.url.Text == otherInv.String() && ui.host == nil
	})
}

// A second launch brings the window back from the tray.
func TestHandOffShowsTheWindow(t *testing.T) {
	t.Parallel()
	tray := &trayApp{App: test.NewTempApp(t)}
	dir := t.TempDir()
	ui := onUI(func() *UI { return New(tray, NoLAN(), StorageDir(dir)) })
	t.Cleanup(func() { bridge.DoAndWait(ui.shutdown) })
	bridge.DoAndWait(ui.hideToTray)
	bridge.DoAndWait(func() { ui.handOff(instance.Request{}) })
	if onUI(func() bool { return ui.inTray }) {
		t.Fatal("the window stayed in the tray")
	}
}

func TestLaunchRequest(t *testing.T) {
	t.Parallel()
	inv := wire.Invitation{Addr: "192.168.1.5:7878", Fingerprint: wire.NormalizeFingerprint(testFP)}
	if r, err := launchRequest(nil); err != nil || r.Invitation != nil {
		t.Fatalf("no arguments: %+v, %v", r, err)
	}
	if r, err := launchRequest([]string{inv.String()}); err != nil || r.Invitation == nil || *r.Invitation != inv {
		t.Fatalf("a link: %+v, %v", r, err)
	}
	for _, bad := range [][]string{{"confab://192.168.1.5:7878"}, {inv.String(), inv.String()},
		{"confab://" + strings.Repeat("h", 5000) + ":7878?fp=" + testFP}} {
		if _, err := launchRequest(bad); err == nil {
			t.Errorf("%.60q accepted", bad)
		}
	}
}

const testFP = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
