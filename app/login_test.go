package app

import (
	"strings"
	"testing"

	"confab/app/bridge"
	"confab/client"
)

// A first-time host who presses Sign in (or Enter) is told there is no
// account yet and how to make it; once it exists, a wrong password says so.
func TestFirstTimeHostIsToldToCreateTheAccount(t *testing.T) {
	port := freePort(t)
	ui := newUI(t)
	hostAs(ui, port, "hostess", "password-h", false)
	waitUI(t, "the hint", func() bool { return !ui.login.passErr.Hidden })
	if got := onUI(func() string { return ui.login.passErr.Text }); got !=
		"There is no account named hostess on this computer yet. Press Create account to make it." {
		t.Fatalf("hint: %q", got)
	}
	hostAs(ui, port, "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.chat != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(ui.logout)
	waitUI(t, "login again", func() bool { return ui.login != nil && ui.host == nil })
	hostAs(ui, port, "hostess", "wrong-password", false)
	waitUI(t, "wrong password", func() bool { return !ui.login.passErr.Hidden })
	if got := onUI(func() string { return ui.login.passErr.Text }); !strings.Contains(got, "password is wrong") {
		t.Fatalf("wrong password: %q", got)
	}
}
