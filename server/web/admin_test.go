package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
)

// operatorTransport hands requests to the server's operator handler, as
// confabd users does over its socket.
type operatorTransport struct{ h http.Handler }

func (t operatorTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// Administration in the browser: an invitation link creates an account
// where sign-up is off; an administrator sees the Administration button
// (a member does not), lists the people, takes one out of a room and
// removes another, whose socket is cut; the log shows it all.
func TestBrowserAdmin(t *testing.T) {
	env := testserver.Start(t, server.Config{NoSignup: true})
	op := client.NewAdmin(&http.Client{Transport: operatorTransport{env.Srv.OperatorHandler()}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, name := range []string{"boss", "bob"} {
		if _, err := op.AddUser(ctx, name, "password-"+name, false); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := op.Invite(ctx, 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := client.Login(ctx, env.URL, "bob", "password-bob")
	if err != nil {
		t.Fatal(err)
	}
	bob := testchat.Connect(t, sess)

	b := newTab(t, 1280, 800)
	b.do(chromedp.Navigate(env.URL + "/?invite=" + inv.Code))
	b.wait("the invite code filled in", `!document.getElementById('invite-box').hidden && document.getElementById('invite').value === `+js(inv.Code))
	b.typeInto("#username", "newbie")
	b.typeInto("#password", "password-newbie")
	b.do(chromedp.Click(chromedp.CSS("#create-button")))
	b.wait("connected", `!document.getElementById('chat').hidden && document.getElementById('status').textContent === ''`)
	b.do(chromedp.Click(chromedp.CSS("#signout")))
	b.wait("signed out", `!document.getElementById('signin').hidden`)

	b.typeInto("#username", "boss")
	b.typeInto("#password", "password-boss")
	b.do(chromedp.Click(chromedp.CSS("#signin-button")))
	b.wait("the Administration button", `!document.getElementById('admin-open').hidden`)
	b.do(chromedp.Click(chromedp.CSS("#admin-open")))
	b.wait("the people", `document.querySelectorAll('#admin-people tr').length === 3`)
	if got := b.eval(`[...document.querySelectorAll('#admin-people tr')].map(r => r.cells[0].textContent + ':' + r.cells[1].textContent).join(' ')`); got != `"bob:member boss:administrator newbie:member"` {
		t.Errorf("people: %s", got)
	}
	b.screenshot("web-admin-1280x800.png", 1280, 800)
	b.checkAccessible("the administration dialog at 1280 px")
	b.screenshot("web-admin-360x740.png", 360, 740)
	b.do(chromedp.EmulateViewport(1280, 800))

	// Remove bob: his socket is cut at once.
	b.eval(`window.confirm = () => true`)
	b.eval(`[...document.querySelector('#admin-people tr').querySelectorAll('button')].find(x => x.textContent === 'Remove').click()`)
	b.wait("bob removed", `document.getElementById('admin-status').textContent === 'bob was removed.'`)
	if _, ok := bob.WaitState(client.SignedOut, time.Time{}, 10*time.Second); !ok {
		t.Error("bob's socket was not cut")
	}
	b.wait("the log", `document.querySelectorAll('#admin-log li').length === 5`)
	if got := b.eval(`document.querySelector('#admin-log li').textContent`); !strings.Contains(got, "boss removed bob") {
		t.Errorf("the log's newest line: %s", got)
	}

	// A member sees no Administration button.
	b.do(chromedp.Click(chromedp.CSS("#admin-close")), chromedp.Click(chromedp.CSS("#signout")))
	b.wait("signed out", `!document.getElementById('signin').hidden`)
	b.typeInto("#username", "newbie")
	b.typeInto("#password", "password-newbie")
	b.do(chromedp.Click(chromedp.CSS("#signin-button")))
	b.wait("connected", `!document.getElementById('chat').hidden && document.getElementById('status').textContent === ''`)
	b.wait("the server asked", `document.body.dataset.admin === 'no'`)
	if got := b.eval(`document.getElementById('admin-open').hidden`); got != "true" {
		t.Error("a member sees the Administration button")
	}
}
