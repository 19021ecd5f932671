package app

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// The administration dialog lists the people with their role and when
// they were last seen, and its actions reach the server: promote, reset
// (the temporary password shown once), take out of a room, remove; the
// log shows them. Someone who is not an administrator is told so.
func TestAdminDialog(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")            // the first account: the administrator
	testchat.Join(t, env.URL, "bob", "password-b") // online

	ui := newScreenshotUI(t)
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(900, 700)) })
	signIn(t, ui, env.URL, "alice", "password-a", false)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(ui.showAdmin)
	a := onUI(func() *adminView { return ui.adminView })
	waitUI(t, "the people listed", func() bool { return len(a.users) == 2 })
	if facts := onUI(func() string { return userFacts(a.users[0], a.users[0].CreatedAt) }); facts != "administrator · online" {
		t.Errorf("alice: %q", facts)
	}
	if onUI(func() bool { return a.promote.Disabled() }) == false {
		t.Error("the actions are enabled with nobody selected")
	}
	bridge.DoAndWait(func() { a.people.Select(1); test.Tap(a.promote) })
	waitUI(t, "bob promoted", func() bool { return len(a.users) == 2 && a.users[1].Admin })
	if got := onUI(func() string { return a.promote.Text }); got != "Remove administrator" {
		t.Errorf("the button of an administrator: %q", got)
	}
	screenshot(t, ui, "admin-people.png")

	bridge.DoAndWait(a.confirmReset)
	bridge.DoAndWait(func() { ui.asking.choose(1) })
	waitUI(t, "the temporary password shown", func() bool { return a.tempPw != nil })
	screenshot(t, ui, "admin-temp-password.png")
	if _, err := client.Login(context.Background(), env.URL, "bob", "password-b"); err == nil {
		t.Error("bob's old password still works")
	}
	if _, err := client.Login(context.Background(), env.URL, "bob", onUI(func() string { return a.tempPw.Text })); err != nil {
		t.Errorf("the temporary password: %v", err)
	}
	bridge.DoAndWait(func() { ui.asking.choose(0) })

	bridge.DoAndWait(func() { a.selected = 1; a.confirmRemove() })
	bridge.DoAndWait(func() { ui.asking.choose(1) })
	waitUI(t, "bob removed", func() bool { return len(a.users) == 2 && a.users[1].Removed })
	if !onUI(func() bool { return a.promote.Disabled() }) {
		t.Error("actions enabled on a removed account")
	}
	waitUI(t, "the log", func() bool { return len(a.entries) == 3 })
	want := []string{"alice removed bob", "alice reset the password of bob", "alice made an administrator: bob"}
	for i, w := range want {
		if got := onUI(func() string { return auditText(a.entries[i], a.entries[i].At) }); !strings.Contains(got, w) {
			t.Errorf("log line %d: %q, want %q", i, got, w)
		}
	}
	bridge.DoAndWait(func() { a.tabs.SelectIndex(2) })
	screenshot(t, ui, "admin-log.png")
}

// A user who is not an administrator opens the dialog and is told so.
func TestAdminDialogRefusedToMembers(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	env.Register("bob", "password-b")
	ui := newUI(t)
	signIn(t, ui, env.URL, "bob", "password-b", false)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(ui.showAdmin)
	a := onUI(func() *adminView { return ui.adminView })
	waitUI(t, "told", func() bool { return a.status.Text == errWords(client.CodeError(wire.ErrNotAdmin)) })
}

// An invitation link with an invite code creates the account where
// sign-up is off: the join screen passes the code on.
func TestJoinWithInviteCode(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{NoSignup: true})
	adm := client.NewAdmin(&http.Client{Transport: handlerTransport{env.Srv.OperatorHandler()}})
	inv, err := adm.Invite(context.Background(), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link := wire.Invitation{Addr: env.Addr, Fingerprint: env.Cert.Fingerprint, Code: inv.Code}.String()
	ui := newUI(t)
	signIn(t, ui, link, "carol", "password-c", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })

	// Carol, made an administrator, invites dan: her link (the address she
	// joined at, the key she pinned there) brings him in.
	if err := adm.SetAdmin(context.Background(), "carol", true); err != nil {
		t.Fatal(err)
	}
	bridge.DoAndWait(ui.showAdmin)
	a := onUI(func() *adminView { return ui.adminView })
	waitUI(t, "listed", func() bool { return len(a.users) == 1 })
	carols := onUI(func() wire.Invitation {
		l, _ := a.inviteLink("ABCD-EFGH-JKLM-NPQR")
		return l
	})
	if carols.Addr != env.Addr || carols.Fingerprint != env.Cert.Fingerprint || carols.Code != "ABCD-EFGH-JKLM-NPQR" {
		t.Fatalf("carol's link: %+v", carols)
	}
	inv2, err := a.adm.Invite(context.Background(), 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	carols.Code = inv2.Code
	dan := newUI(t)
	signIn(t, dan, carols.String(), "dan", "password-d", true)
	waitUI(t, "dan's chat window", func() bool { return dan.view != nil && dan.chat.State() == client.Online })
}

// handlerTransport hands requests to a handler in this process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// The host is its chat's administrator: the host panel opens the dialog,
// and an invitation comes with the link to send, the code in it.
func TestHostInvites(t *testing.T) {
	port := func() int {
		ln, _ := net.Listen("tcp", ":0")
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	ui := newScreenshotUI(t)
	bridge.DoAndWait(func() { ui.win.Resize(fyne.NewSize(900, 700)) })
	hostAs(ui, port, "hostess", "password-h", true)
	waitUI(t, "hosting and online", func() bool { return ui.host != nil && ui.chat != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(ui.showAdmin)
	a := onUI(func() *adminView { return ui.adminView })
	waitUI(t, "the host listed as the administrator", func() bool { return len(a.users) == 1 && a.users[0].Admin })
	bridge.DoAndWait(func() { a.tabs.SelectIndex(1) })
	bridge.DoAndWait(func() {
		for _, o := range test.LaidOutObjects(a.tabs.Items[1].Content) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Create invitation" {
				test.Tap(b)
			}
		}
	})
	waitUI(t, "the invitation", func() bool {
		return strings.HasPrefix(a.inviteTo.Text, "Invite code: ") && strings.HasPrefix(a.status.Text, "Invitation created")
	})
	text := onUI(func() string { return a.inviteTo.Text })
	if invs := onUI(ui.host.Invitations); len(invs) > 0 && !strings.Contains(text, "confab://") {
		t.Errorf("no link: %q", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, wire.InviteScheme+"://") {
			continue
		}
		inv, err := wire.ParseInvitation(line)
		if err != nil || !strings.Contains(text, inv.Code) || inv.Fingerprint != onUI(ui.host.Fingerprint) {
			t.Errorf("the link %q: %+v %v", line, inv, err)
		}
	}
	screenshot(t, ui, "admin-invite.png")
}
