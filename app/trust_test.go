package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/netns"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// An invitation link in the address field joins with no question about
// the key; a tampered one is refused in words that say what happened.
func TestJoinByInvitation(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	inv := wire.Invitation{Addr: env.Addr, Fingerprint: env.Cert.Fingerprint, Name: "Team chat"}
	ui := newUI(t)
	tampered := inv
	tampered.Fingerprint = strings.Repeat("AB:", 31) + "AB"
	signIn(t, ui, tampered.String(), "alice", "password-a", true)
	waitUI(t, "refused", func() bool {
		return ui.trust == nil && !ui.login.urlErr.Hidden && strings.Contains(ui.login.urlErr.Text, "not the chat you were invited to")
	})
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("alice", "password-a"), ""); code != 401 {
		t.Fatal("the account was created through a tampered invitation")
	}
	signIn(t, ui, inv.String(), "alice", "password-a", true)
	waitUI(t, "online", func() bool {
		if ui.trust != nil {
			t.Fatal("a question about the key although the invitation carries it")
		}
		return ui.chat != nil && ui.chat.State() == client.Online
	})
	if got := onUI(func() string { return ui.pinStore.Pin(client.ServerKey(inv.URL())) }); got != env.Cert.Fingerprint {
		t.Fatalf("pinned %q", got)
	}
}

// A chat of the list whose name is claimed twice, or was trusted under
// another key, asks with a warning and takes a deliberate confirmation.
func TestConflictTakesADeliberateStep(t *testing.T) {
	ui := newUI(t)
	fp := strings.Repeat("CD:", 31) + "CD"
	ce := &client.CertError{Server: "10.0.0.9:7878", Fingerprint: fp}
	picked := &client.Found{Host: client.Host{Name: "Team chat", Machine: "desk", Secure: true, Fingerprint: fp, Port: 7878},
		Conflict: true, Impostor: true}
	retried := false
	bridge.DoAndWait(func() { ui.askTrust(ce, picked, func() { retried = true }) })
	if onUI(func() bool { return ui.trust.checked == nil || !ui.trust.accept.Disabled() }) {
		t.Fatal("a conflicting chat can be trusted without the deliberate step")
	}
	if got := onUI(func() string { return ui.trust.code.Text }); got != wire.SafetyCode(fp) {
		t.Fatalf("code %q", got)
	}
	screenshot(t, ui, "trust-conflict.png")
	bridge.DoAndWait(func() {
		ui.trust.checked.SetChecked(true)
		test.Tap(ui.trust.accept)
	})
	if !onUI(func() bool { return retried }) || ui.pinStore.Pin(ce.Server) != fp || ui.pinStore.Named(fp) != "Team chat" {
		t.Fatal("accepting did not trust the key under its name")
	}
}

// Joining a chat that is not encrypted asks first, on a LAN of its own
// (this computer's own chats are not asked about: loopback never crosses
// a network).
func TestPlainHTTPAsksFirst(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	env := testserver.StartOn(t, netns.HostAddr+":0", server.Config{})
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "asked", func() bool { return ui.trust != nil && ui.trust.accept.Text == "Join without encryption" })
	screenshot(t, ui, "join-plain-http.png")
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("alice", "password-a"), ""); code != 401 {
		t.Fatal("the password crossed before the question")
	}
	bridge.DoAndWait(func() { test.Tap(ui.trust.accept) })
	waitUI(t, "online", func() bool { return ui.chat != nil && ui.chat.State() == client.Online })
}
