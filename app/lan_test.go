package app

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/discovery"
	"confab/internal/netns"
	"confab/internal/testserver"
)

// newLANUI is the app on the local network: only inside a network namespace.
func newLANUI(t *testing.T) *UI { return newUIWith(t) }

func foundButtons(ui *UI) []*widget.Button {
	var out []*widget.Button
	for _, o := range ui.login.found.hosts.Objects {
		if b, ok := o.(*widget.Button); ok {
			out = append(out, b)
		}
	}
	return out
}

// Alice hosts from the app with the box "Announce" left ticked, Carol
// hosts with it unticked; Bob's join screen lists Alice's chat only, and
// picking it signs him in over HTTPS with no certificate question, pinning
// the certificate Alice's host panel shows.
func TestJoinAChatFoundOnTheLAN(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	alice := newLANUI(t)
	bridge.DoAndWait(func() { alice.login.others.SetChecked(true) })
	hostAs(alice, 7878, "alice", "password-a", true)
	carol := newLANUI(t)
	bridge.DoAndWait(func() { carol.login.announce.SetChecked(false) })
	hostAs(carol, 7879, "carol", "password-c", true)
	waitUI(t, "both hosting", func() bool {
		for _, ui := range []*UI{alice, carol} {
			if f := ui.login; f != nil && (f.formErr.Visible() || f.urlErr.Visible() || f.portErr.Visible() || f.passErr.Visible()) {
				t.Fatalf("hosting failed: %q %q %q %q", f.formErr.Text, f.urlErr.Text, f.portErr.Text, f.passErr.Text)
			}
		}
		return alice.chat != nil && carol.chat != nil && alice.chat.State() == client.Online && carol.chat.State() == client.Online
	})
	screenshot(t, alice, "host-listed.png")
	if got := onUI(func() string { return announceText(alice.host) }); got != "Listed on this network as “alice's chat”." {
		t.Fatalf("alice's host panel: %q", got)
	}
	if got := onUI(func() string { return announceText(carol.host) }); !strings.HasPrefix(got, "Not listed on this network") {
		t.Fatalf("carol's host panel: %q", got)
	}

	bob := newLANUI(t)
	start := time.Now()
	waitUI(t, "alice's chat listed", func() bool {
		bs := foundButtons(bob)
		return len(bs) == 1 && strings.HasPrefix(bs[0].Text, "alice's chat (")
	})
	t.Logf("listed after %v", time.Since(start))
	// Carol's chat never shows up, however long we look.
	deadline := time.Now().Add(2 * discovery.RoundTime)
	for time.Now().Before(deadline) {
		if n := onUI(func() int { return len(foundButtons(bob)) }); n != 1 {
			t.Fatalf("%d chats listed", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if txt := onUI(func() string { return bob.login.found.status.Text }); txt != foundSome {
		t.Fatalf("status %q", txt)
	}

	screenshot(t, bob, "join-found.png")
	bridge.DoAndWait(func() {
		test.Tap(foundButtons(bob)[0])
		f := bob.login
		f.user.SetText("bob")
		f.pass.SetText("password-b")
	})
	url := onUI(func() string { return bob.login.url.Text })
	if !strings.HasPrefix(url, "https://10.213.0.") || !strings.HasSuffix(url, ":7878") {
		t.Fatalf("picked chat filled %q", url)
	}
	bridge.DoAndWait(func() { test.Tap(bob.login.create) })
	// An announcement is a hint: the first connection asks, showing the
	// same safety code as alice's host panel.
	waitUI(t, "the first-use question", func() bool {
		if f := bob.login; f != nil && (f.formErr.Visible() || f.urlErr.Visible() || f.userErr.Visible()) {
			t.Fatalf("sign-in failed: %q %q %q", f.formErr.Text, f.urlErr.Text, f.userErr.Text)
		}
		return bob.trust != nil
	})
	code := onUI(func() string { return alice.host.SafetyCode() })
	if got := onUI(func() string { return bob.trust.code.Text }); got != code || code == "" {
		t.Fatalf("the joiner is asked about %q, the host shows %q", got, code)
	}
	screenshot(t, bob, "join-first-use.png")
	bridge.DoAndWait(func() { test.Tap(bob.trust.accept) })
	testserver.WaitFor(t, 25*time.Second, "bob online", func() bool {
		return onUI(func() bool {
			if f := bob.login; f != nil && (f.formErr.Visible() || f.urlErr.Visible() || f.userErr.Visible()) {
				t.Fatalf("sign-in failed: %q %q %q", f.formErr.Text, f.urlErr.Text, f.userErr.Text)
			}
			return bob.chat != nil && bob.chat.State() == client.Online
		})
	})
	fp := onUI(func() string { return alice.host.Fingerprint() })
	if got := onUI(func() string { return bob.pinStore.Pin(client.ServerKey(url)) }); got != fp {
		t.Fatalf("pinned %q, want alice's %q", got, fp)
	}
}
