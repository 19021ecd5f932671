package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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

// layoutAll lays the tree out again from the top, as the window does when
// an object's minimum size changed (the test canvas does not).
func layoutAll(o fyne.CanvasObject) {
	switch c := o.(type) {
	case *fyne.Container:
		if c.Layout != nil {
			c.Layout.Layout(c.Objects, c.Size())
		}
		for _, child := range c.Objects {
			layoutAll(child)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(c)
		r.Layout(c.Size())
		for _, child := range r.Objects() {
			layoutAll(child)
		}
	}
}

// The login form fits its width, and an error that appears moves neither
// the fields above it nor, below the buttons, the buttons.
func TestLoginFormStaysPut(t *testing.T) {
	ui := newUI(t)
	bridge.DoAndWait(func() {
		ui.win.Resize(fyne.NewSize(800, 600))
		f := ui.login
		if w := f.mode.MinSize().Width; w > loginWidth {
			t.Errorf("the mode choice is %.0f px wide, the form %d", w, loginWidth)
		}
		d := fyne.CurrentApp().Driver()
		at := func() []fyne.Position {
			layoutAll(ui.win.Content())
			return []fyne.Position{d.AbsolutePositionForObject(f.url), d.AbsolutePositionForObject(f.user),
				d.AbsolutePositionForObject(f.pass), d.AbsolutePositionForObject(f.signIn)}
		}
		before := at()
		showErr(f.formErr, errText(errNoAccount{user: "hostess"}))
		if after := at(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("an error under the buttons moved the form: %v, then %v", before, after)
		}
		showErr(f.passErr, errText(client.ErrWrongCredentials))
		if after := at(); fmt.Sprint(after[:3]) != fmt.Sprint(before[:3]) {
			t.Errorf("an error under the password moved the fields above it: %v, then %v", before, after)
		}
	})
}
