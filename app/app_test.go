package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
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

// onUI reads UI state on the UI thread.
func onUI[T any](f func() T) T {
	var v T
	bridge.DoAndWait(func() { v = f() })
	return v
}

func waitUI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testserver.WaitFor(t, 25*time.Second, what, func() bool { return onUI(cond) })
}

// newUI is the app off the local network (tests outside a network
// namespace must not send multicast).
func newUI(t *testing.T) *UI { return newUIWith(t, NoLAN()) }

func newUIWith(t *testing.T, opts ...Option) *UI {
	t.Helper()
	a := test.NewTempApp(t)
	dir := t.TempDir()
	ui := onUI(func() *UI {
		return New(a, append(opts, StorageDir(dir))...)
	})
	t.Cleanup(func() { bridge.DoAndWait(ui.shutdown) })
	return ui
}

// signIn fills the join form and taps a button.
func signIn(t *testing.T, ui *UI, url, user, pass string, create bool) {
	t.Helper()
	bridge.DoAndWait(func() {
		f := ui.login
		f.mode.SetSelected(modeJoin)
		f.url.SetText(url)
		f.user.SetText(user)
		f.pass.SetText(pass)
		if create {
			test.Tap(f.create)
		} else {
			test.Tap(f.signIn)
		}
	})
}

// hostAs fills the host form and creates the account, or signs in.
func hostAs(ui *UI, port int, user, pass string, create bool) {
	bridge.DoAndWait(func() {
		f := ui.login
		f.mode.SetSelected(modeHost)
		f.port.SetText(strconv.Itoa(port))
		f.user.SetText(user)
		f.pass.SetText(pass)
		if create {
			test.Tap(f.create)
		} else {
			test.Tap(f.signIn)
		}
	})
}

func texts(v *chatView) []string {
	var out []string
	t := v.tl()
	for i := 0; i < t.len(); i++ {
		out = append(out, t.at(i).msg.Text)
	}
	return out
}

func TestJoinSendAndReceive(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")

	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "chat window", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })

	// Typing and Enter sends; the message shows at once as pending, then as sent.
	bridge.DoAndWait(func() {
		test.Type(v.composer, "hello bob")
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	if onUI(func() string { return v.composer.Text }) != "" {
		t.Fatal("composer not cleared after sending")
	}
	waitUI(t, "sent", func() bool {
		tl := v.tl()
		return tl.len() == 1 && tl.at(0).outgoing == nil && tl.at(0).msg.ID > 0
	})
	select {
	case text := <-bob.Texts:
		if text != "hello bob" {
			t.Fatalf("bob got %q", text)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bob got nothing")
	}
	// Shift+Enter is a new line, not a send.
	bridge.DoAndWait(func() {
		v.composer.SetText("two")
		v.composer.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		v.composer.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
	})
	if txt := onUI(func() string { return v.composer.Text }); !strings.Contains(txt, "\n") {
		t.Fatalf("Shift+Enter: composer has %q", txt)
	}
	bridge.DoAndWait(func() { v.composer.SetText("") })

	bob.Chat.Send("general", "hi alice")
	waitUI(t, "bob's message shown", func() bool {
		ts := texts(v)
		return len(ts) == 2 && ts[1] == "hi alice"
	})
	// Empty and over-long text is not sent.
	bridge.DoAndWait(func() {
		v.send("   ")
		v.send(strings.Repeat("x", wire.MaxMessageRunes+1))
	})
	time.Sleep(200 * time.Millisecond)
	if n := onUI(func() int { return v.tl().len() }); n != 2 {
		t.Fatalf("%d entries after invalid sends", n)
	}
}

func TestFailedMessageShowsReason(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	// Leave general behind the UI's back: the server refuses the next message.
	if err := v.chat.Leave(context.Background(), "general"); err != nil {
		t.Fatal(err)
	}
	bridge.DoAndWait(func() { v.send("into the void") })
	waitUI(t, "failed with a reason", func() bool {
		tl := v.tl()
		if tl.len() != 1 || tl.at(0).outgoing == nil || tl.at(0).outgoing.State != client.Failed {
			return false
		}
		return strings.Contains(tl.at(0).outgoing.Err.Error(), "not in that room")
	})
	// Delete removes it.
	bridge.DoAndWait(func() { v.discard("general", v.tl().at(0).outgoing.ClientID) })
	if n := onUI(func() int { return v.tl().len() }); n != 0 {
		t.Fatalf("%d entries after delete", n)
	}
}

func TestRevocationReturnsToLogin(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	tok, _ := onUI(func() *client.Chat { return ui.chat }).Session().Token()
	if code, _, _ := env.Post("/logout", "", "", tok); code != 204 {
		t.Fatalf("logout %d", code)
	}
	waitUI(t, "login screen with the reason", func() bool {
		return ui.login != nil && !ui.login.formErr.Hidden && strings.Contains(ui.login.formErr.Text, "signed out")
	})
	if user := onUI(func() string { return ui.login.user.Text }); user != "alice" {
		t.Fatalf("username not kept: %q", user)
	}
}

func TestLoginErrorsShowByTheirField(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "wrong-password", false)
	waitUI(t, "wrong password shown", func() bool {
		return !ui.login.passErr.Hidden && strings.Contains(ui.login.passErr.Text, "username or password is wrong")
	})
	signIn(t, ui, "127.0.0.1:1", "alice", "password-a", false)
	waitUI(t, "unreachable shown by the URL", func() bool {
		return !ui.login.urlErr.Hidden && strings.Contains(ui.login.urlErr.Text, "Nothing answers at 127.0.0.1:1.")
	})
	signIn(t, ui, env.URL, "a", "", false) // validated before any network
	if onUI(func() bool { return ui.login.userErr.Hidden || ui.login.passErr.Hidden }) {
		t.Fatal("invalid input not flagged")
	}
}

// Joining an HTTPS server: the fingerprint is shown and pinned on consent;
// a changed certificate needs the deliberate step.
func TestJoinPinsTheCertificate(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	env.Register("alice", "password-a")
	ui := newUI(t)
	signIn(t, ui, env.Addr, "alice", "password-a", false)
	waitUI(t, "trust question", func() bool { return ui.trust != nil })
	if onUI(func() bool { return ui.trust.checked != nil }) {
		t.Fatal("a first connection asked as for a changed certificate")
	}
	bridge.DoAndWait(func() { test.Tap(ui.trust.accept) })
	waitUI(t, "signed in", func() bool { return ui.chat != nil })
	if got := onUI(func() string { return ui.pinStore.Pin(client.ServerKey(env.URL)) }); got != env.Cert.Fingerprint {
		t.Fatalf("pinned %q, want %q", got, env.Cert.Fingerprint)
	}
	bridge.DoAndWait(ui.logout)
	waitUI(t, "login again", func() bool { return ui.login != nil })

	// The server now presents another certificate.
	bridge.DoAndWait(func() { ui.pinStore.SetPin(client.ServerKey(env.URL), strings.Repeat("AB:", 31)+"AB") }) //nolint:errcheck
	signIn(t, ui, env.Addr, "alice", "password-a", false)
	waitUI(t, "changed-certificate warning", func() bool { return ui.trust != nil && ui.trust.checked != nil })
	if onUI(func() bool { return !ui.trust.accept.Disabled() }) {
		t.Fatal("the new certificate can be accepted without the deliberate step")
	}
	bridge.DoAndWait(func() { test.Tap(ui.trust.cancel) })
	if onUI(func() bool { return ui.chat != nil }) {
		t.Fatal("signed in although the change was not accepted")
	}
	signIn(t, ui, env.Addr, "alice", "password-a", false)
	waitUI(t, "warning again", func() bool { return ui.trust != nil && ui.trust.checked != nil })
	bridge.DoAndWait(func() {
		ui.trust.checked.SetChecked(true)
		test.Tap(ui.trust.accept)
	})
	waitUI(t, "signed in after accepting", func() bool { return ui.chat != nil })
}

func TestHostStartAndStop(t *testing.T) {
	port := func() int {
		ln, _ := net.Listen("tcp", ":0")
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}()
	ui := newUI(t)
	hostAs(ui, port, "hostess", "password-h", true)
	waitUI(t, "hosting and online", func() bool { return ui.host != nil && ui.chat != nil && ui.chat.State() == client.Online })
	// Others reach it over HTTPS on the LAN port, with the certificate whose
	// fingerprint the host panel shows.
	fp := onUI(func() string { return ui.host.Fingerprint() })
	for _, a := range onUI(ui.host.Addresses) {
		if !strings.HasPrefix(a, "https://") {
			t.Fatalf("host panel address %q is not HTTPS", a)
		}
	}
	if _, err := client.Login(context.Background(), "127.0.0.1:"+strconv.Itoa(port), "hostess", "password-h"); !errors.Is(err, client.ErrCertUnknown) {
		t.Fatalf("a joiner without the fingerprint: %v", err)
	}
	if _, err := client.Login(context.Background(), "127.0.0.1:"+strconv.Itoa(port), "hostess", "password-h", client.WithFingerprint(fp)); err != nil {
		t.Fatalf("login to the hosted server: %v", err)
	}
	// A second host on the same port is refused with a suggestion.
	ui2 := newUI(t)
	hostAs(ui2, port, "other", "password-o", true)
	waitUI(t, "port in use", func() bool {
		return !ui2.login.portErr.Hidden && strings.Contains(ui2.login.portErr.Text, "in use")
	})
	// Stop hosting: back to login, port free again.
	bridge.DoAndWait(ui.logout)
	waitUI(t, "login after stop", func() bool { return ui.login != nil && ui.host == nil })
	testserver.WaitFor(t, 5*time.Second, "port released", func() bool {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err == nil {
			ln.Close()
		}
		return err == nil
	})
}

func TestScrollingUpLoadsOlderMessages(t *testing.T) {
	env := testserver.Start(t, server.Config{EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	testserver.WaitFor(t, 20*time.Second, "bob online", func() bool { return bob.Chat.State() == client.Online })
	const n = 180
	for i := 0; i < n; i++ {
		bob.Chat.Send("general", fmt.Sprint("old ", i))
	}
	testserver.WaitFor(t, 20*time.Second, "all stored", func() bool { return len(bob.Chat.Pending()) == 0 })

	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "the newest 50 on joining", func() bool { return ui.view != nil && ui.view.tl().len() >= wire.JoinHistory })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { v.msgList.ScrollToTop() })
	// At least one older page (the list may have asked already while it
	// was laid out for the first time: its offset was 0 then).
	waitUI(t, "older pages after scrolling up", func() bool { return v.tl().len() >= wire.JoinHistory+olderPage })
	bridge.DoAndWait(func() { v.msgList.ScrollToTop() })
	waitUI(t, "all of the history", func() bool { return v.tl().len() == n && !v.tl().more })
	if first := onUI(func() string { return v.tl().at(0).msg.Text }); first != "old 0" {
		t.Fatalf("first message %q", first)
	}
}

func TestUnreadCountsAndNotification(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	bridge.DoAndWait(func() { v.join("dev", widget.NewEntry()) })
	waitUI(t, "in dev", func() bool { return v.current == "dev" })
	bridge.DoAndWait(func() { v.switchRoom("general") })
	if err := bob.Chat.Join(context.Background(), "dev"); err != nil {
		t.Fatal(err)
	}
	bob.Chat.Send("dev", "in the other room")
	waitUI(t, "unread count", func() bool { return v.room("dev").unread == 1 })
	bridge.DoAndWait(func() { v.switchRoom("dev") })
	if n := onUI(func() int { return v.room("dev").unread }); n != 0 {
		t.Fatalf("unread after opening the room: %d", n)
	}
	// While the window is in the background, a message in the room on
	// screen is unread too (notifications: notify_test.go), until it comes back.
	bridge.DoAndWait(func() {
		ui.setForeground(false)
		v.apply(client.MessageEvent{Message: wire.Message{ID: 999999, Room: "dev", Text: "ping",
			Author: wire.Author{ID: "bob-id", Username: "bob"}}})
	})
	if n, title := onUI(func() int { return v.room("dev").unread }), onUI(ui.win.Title); n != 1 || title != "Confab (1)" {
		t.Fatalf("in the background: %d unread in the room on screen, title %q", n, title)
	}
	bridge.DoAndWait(func() { ui.setForeground(true) })
	if n, title := onUI(func() int { return v.room("dev").unread }), onUI(ui.win.Title); n != 0 || title != "Confab" {
		t.Fatalf("back: %d unread, title %q", n, title)
	}
}

func TestRemembersModeURLAndUsername(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	a := test.NewTempApp(t)
	ui := onUI(func() *UI { return New(a, NoLAN()) })
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(ui.shutdown)
	// The next start of the app shows what was typed, but never the password.
	again := onUI(func() *UI { return New(a, NoLAN()) })
	t.Cleanup(func() { bridge.DoAndWait(again.shutdown) })
	got := onUI(func() []string {
		f := again.login
		return []string{f.mode.Selected, f.url.Text, f.user.Text, f.pass.Text}
	})
	if got[0] != modeJoin || got[1] != env.URL || got[2] != "alice" || got[3] != "" {
		t.Fatalf("login screen after restart: %q", got)
	}
	for _, key := range []string{prefMode, prefURL, prefUsername, "password", "pass"} {
		if strings.Contains(a.Preferences().String(key), "password-a") {
			t.Fatalf("preference %s holds the password", key)
		}
	}
}

func TestReconnectBannerCountsDown(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	bob := testchat.Join(t, env.URL, "bob", "password-b")
	ui := newUI(t)
	signIn(t, ui, env.URL, "alice", "password-a", true)
	waitUI(t, "online", func() bool { return ui.view != nil && ui.chat.State() == client.Online })
	v := onUI(func() *chatView { return ui.view })
	waitUI(t, "no banner once online", func() bool { return !v.bannerBox.Visible() })
	waitUI(t, "both listed online", func() bool { return userLine(v, "alice") == "● alice" && userLine(v, "bob") == "● bob" })
	bob.Chat.Close()
	env.Stop()
	waitUI(t, "reconnecting banner", func() bool {
		return v.bannerBox.Visible() && strings.HasPrefix(v.banner.Text, "Connection lost. Reconnecting")
	})
	// Disconnected, nobody's presence is known, ours included.
	waitUI(t, "presence unknown", func() bool { return userLine(v, "alice") == "? alice" && userLine(v, "bob") == "? bob" })
	// Nothing listens: the client asks every second, with no countdown.
	time.Sleep(2 * time.Second)
	if onUI(v.reconnect.Visible) || !onUI(func() bool { return v.banner.Text == "Connection lost. Reconnecting…" }) {
		t.Fatalf("while nothing listens: %q, button shown: %v", onUI(func() string { return v.banner.Text }), onUI(v.reconnect.Visible))
	}
	// Something answers but is not the chat: the waits grow into a
	// countdown, with "Reconnect now"; pressing it tries at once.
	unavailable := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})}
	ln, err := net.Listen("tcp", env.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go unavailable.Serve(ln) //nolint:errcheck
	waitUI(t, "countdown with the button", func() bool {
		return strings.Contains(v.banner.Text, "Reconnecting in") && v.reconnect.Visible()
	})
	unavailable.Close()
	env.Restart()
	start := time.Now()
	bridge.DoAndWait(func() { test.Tap(v.reconnect) })
	waitUI(t, "banner gone when back online", func() bool { return ui.chat.State() == client.Online && !v.bannerBox.Visible() })
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("online %v after Reconnect now", el)
	}
	waitUI(t, "presence known again", func() bool { return userLine(v, "alice") == "● alice" && userLine(v, "bob") == "○ bob" })
}

// userLine is the user list's line for name, as shown.
func userLine(v *chatView, name string) string {
	for i, id := range v.userIDs {
		if v.users[id].Username == name {
			var line string
			o := v.userList.CreateItem()
			v.userList.UpdateItem(i, o)
			line = tipped(o.(*fyne.Container)).(*widget.Label).Text
			return line
		}
	}
	return ""
}
