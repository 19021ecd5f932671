package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// roomRule is the app's words for invalid_room (app/errwords.go).
var roomRule = fmt.Sprintf("A room name is 1 to %d lowercase letters, digits, '_' or '-', starting with a letter or digit.", wire.MaxRoomLen)

// xss is a message that would run script if it were ever put in the page as HTML.
const xss = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`

// The web client in a real browser: create an account, read history and
// scroll back, chat both ways with a Go client, show a message made of
// HTML as text, reconnect by itself after a server restart, and keep its
// socket past its first token's expiry by refreshing it, as the Go client
// does. Screenshots at phone and desktop sizes land in test-artifacts/.
func TestBrowserChat(t *testing.T) {
	const ttl = 30 * time.Second // refreshed at 24 s: 6 s to spare on a loaded machine
	env := testserver.Start(t, server.Config{TokenTTL: ttl})
	early := env.Register("early", "password-early")
	raw, err := testserver.DialRaw(env.URL, early.Token)
	if err != nil {
		t.Fatal(err)
	}
	const earlier = wire.JoinHistory + 5 // more than a join brings: some only by scrolling back
	for i := 1; i <= earlier; i++ {
		if err := raw.Emit(i, wire.EventMessage, map[string]any{"text": fmt.Sprintf("early %d", i)}); err != nil {
			t.Fatal(err)
		}
		if ack, err := raw.Ack(i); err != nil || ack["ok"] != true {
			t.Fatalf("early message %d: %v %v", i, ack, err)
		}
	}
	raw.Close()
	gopher := testchat.Join(t, env.URL, "gopher", "password-gopher")

	b := newTab(t, 1280, 800)
	b.do(chromedp.Navigate(env.URL + "/"))
	b.wait("the sign-in form", `!document.getElementById('signin').hidden`)
	t.Logf("page loaded (load event) after %s ms, %s bytes transferred", b.eval(`Math.round(performance.getEntriesByType('navigation')[0].loadEventEnd)`),
		b.eval(`performance.getEntriesByType('resource').reduce((n, e) => n + e.transferSize, performance.getEntriesByType('navigation')[0].transferSize)`))
	b.screenshot("web-signin-360x740.png", 360, 740)
	b.checkAccessible("the sign-in form at 360 px")
	b.do(chromedp.EmulateViewport(1280, 800))

	// A refusal is worded as the app words it.
	b.typeInto("#username", "webby")
	b.typeInto("#password", "short")
	b.do(chromedp.Click(chromedp.CSS("#create-button")))
	b.wait("the weak password refused", `document.getElementById('signin-error').textContent === `+js("A password has at least 8 characters."))

	b.typeInto("#password", "password-webby")
	b.do(chromedp.Click(chromedp.CSS("#create-button")))
	signedIn := time.Now()
	b.wait("connected", `!document.getElementById('chat').hidden && document.getElementById('status').textContent === ''`)
	b.wait("gopher online", `[...document.querySelectorAll('#people li.online')].some(li => li.textContent.includes('gopher'))`)
	firstToken := b.eval(`JSON.parse(sessionStorage.getItem('confab.session')).session.token`)

	// History: the join brings the newest; scrolling to the top brings the rest.
	b.waitShown(fmt.Sprintf("early %d", earlier))
	if got := b.eval(shownTexts + `.includes('early 1')`); got != "false" {
		t.Fatalf("the join brought more than %d messages", wire.JoinHistory)
	}
	b.eval(`document.querySelector('#timelines section:not([hidden])').scrollTop = 0`)
	b.wait("the earliest message after scrolling back", shownTexts+`[0] === 'early 1'`)
	if got := b.eval(shownTexts + `.length`); got != fmt.Sprint(earlier) {
		t.Errorf("%s messages shown after scrolling back, want %d", got, earlier)
	}

	// Both ways with a Go client.
	b.send("hello from the browser")
	receive(t, gopher.Texts, "hello from the browser")
	if _, err := gopher.Chat.Send(wire.DefaultRoom, "hello from Go"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("hello from Go")
	b.wait("the message announced", `document.getElementById('announce').textContent.includes('gopher: hello from Go')`)

	// A message made of HTML is text.
	if _, err := gopher.Chat.Send(wire.DefaultRoom, xss); err != nil {
		t.Fatal(err)
	}
	b.waitShown(xss)
	if got := b.eval(`document.querySelectorAll('#timelines img, #timelines script').length + ' ' + document.title`); got != `"0 Confab"` {
		t.Errorf("the HTML message became elements: %s", got)
	}
	b.screenshot("web-chat-1280x800.png", 1280, 800)
	b.checkAccessible("the chat at 1280 px")
	b.screenshot("web-chat-360x740.png", 360, 740)
	b.checkAccessible("the chat at 360 px")
	b.colorScheme("dark")
	b.screenshot("web-chat-dark-1280x800.png", 1280, 800)
	b.checkAccessible("the dark chat at 1280 px")
	b.colorScheme("light")
	b.do(chromedp.EmulateViewport(1280, 800))

	// Rooms: join one, see it unread while in another, switch with the keyboard.
	b.typeInto("#join-room", "dev")
	b.do(chromedp.SendKeys(chromedp.CSS("#join-room"), kb.Enter))
	b.wait("in #dev", `document.getElementById('room-title').textContent === '#dev'`)
	if err := gopher.Chat.Join(ctx(t), "dev"); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.CSS(`#rooms button[data-room="general"]`)))
	if _, err := gopher.Chat.Send("dev", "news in dev"); err != nil {
		t.Fatal(err)
	}
	b.wait("#dev unread", `document.querySelector('#rooms button[data-room="dev"] .unread')?.textContent === '1 unread'`)
	b.screenshot("web-unread-360x740.png", 360, 740)
	b.do(chromedp.EmulateViewport(1280, 800))
	b.do(chromedp.Focus(chromedp.CSS("#text")), chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	b.wait("#dev shown by Alt+Down", `document.getElementById('room-title').textContent === '#dev' && !document.querySelector('#rooms .unread')`)
	b.waitShown("news in dev")
	b.typeInto("#join-room", "Not A Room!")
	b.do(chromedp.SendKeys(chromedp.CSS("#join-room"), kb.Enter))
	b.wait("a bad room name refused", `document.getElementById('join-error').textContent === `+js(roomRule))

	// A server restart: the page says so, reconnects by itself, joins its rooms again and chats on.
	restarted := time.Now()
	env.Stop()
	b.wait("the loss shown", `document.getElementById('status').textContent === 'Connection lost. Reconnecting…' &&
		!document.getElementById('reconnect').hidden &&
		[...document.querySelectorAll('#people .presence')].every(e => e.textContent === '?')`)
	b.screenshot("web-reconnecting-360x740.png", 360, 740)
	b.do(chromedp.EmulateViewport(1280, 800))
	env.Restart()
	b.wait("reconnected", `document.getElementById('status').textContent === '' && document.getElementById('reconnect').hidden &&
		document.querySelector('#people li.online') !== null`)
	if _, ok := gopher.WaitState(client.Online, restarted, pollTimeout); !ok {
		t.Fatalf("the Go client did not reconnect:%s", gopher.History(restarted))
	}
	// The page joined its rooms again: #dev is shown, and chats on.
	b.send("after the restart")
	receive(t, gopher.Texts, "after the restart")
	if _, err := gopher.Chat.Send("dev", "Go after the restart"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("Go after the restart")

	// The first token expires; the page refreshed it before, and its socket
	// lives on.
	b.wait("a refreshed token", `JSON.parse(sessionStorage.getItem('confab.session')).session.token !== `+firstToken)
	time.Sleep(time.Until(signedIn.Add(ttl + 2*time.Second))) // the condition is the token's expiry
	b.send("after the first token expired")
	receive(t, gopher.Texts, "after the first token expired")
	if got := b.eval(`document.getElementById('chat').hidden`); got != "false" {
		t.Fatalf("signed out at the first token's expiry: %s", b.eval(`document.body.innerText`))
	}
	if got := b.eval(`document.getElementById('text').value`); got != `""` {
		t.Errorf("the message box after sending holds %s", got)
	}

	// Signing out ends the sign-in on the server too, and forgets the token.
	token := b.eval(`JSON.parse(sessionStorage.getItem('confab.session')).session.token`)
	b.do(chromedp.Click(chromedp.CSS("#signout")))
	b.wait("the sign-in form after signing out", `!document.getElementById('signin').hidden && sessionStorage.getItem('confab.session') === null`)
	var tok string
	if err := json.Unmarshal([]byte(token), &tok); err != nil {
		t.Fatal(err)
	}
	testserver.WaitFor(t, pollTimeout, "the token refused after signing out", func() bool {
		code, _, _ := env.Post(wire.PathRefresh, "", "", tok)
		return code == http.StatusUnauthorized
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), pollTimeout)
	t.Cleanup(cancel)
	return c
}

// Over HTTPS, as a server runs unless told otherwise: the page signs up,
// connects over wss and has a message stored.
func TestBrowserHTTPS(t *testing.T) {
	env := testserver.StartTLS(t, server.Config{})
	b := newTab(t, 1280, 800)
	b.do(chromedp.Navigate(env.URL + "/"))
	b.wait("the sign-in form", `!document.getElementById('signin').hidden`)
	b.typeInto("#username", "secure")
	b.typeInto("#password", "password-secure")
	b.do(chromedp.Click(chromedp.CSS("#create-button")))
	b.wait("connected", `!document.getElementById('chat').hidden && document.querySelector('#people li.online') !== null`)
	b.send("over https")
	b.waitShown("over https") // shown in the timeline only once the server stored it
	if got := b.eval(`location.protocol + ' ' + document.querySelectorAll('.pending li').length`); got != `"https: 0"` {
		t.Errorf("after the message was stored: %s", got)
	}
}
