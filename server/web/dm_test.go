package web_test

import (
	"strconv"
	"strings"
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

// signUp creates an account in the page and waits until it is connected
// and sees name online among the people.
func signUp(b *tab, url, user, online string) {
	b.t.Helper()
	b.do(chromedp.Navigate(url + "/"))
	b.wait("the sign-in form", `!document.getElementById('signin').hidden`)
	b.typeInto("#username", user)
	b.typeInto("#password", "password-"+user)
	b.do(chromedp.Click(chromedp.CSS("#create-button")))
	b.wait(online+" online", `[...document.querySelectorAll('#people li.online')].some(li => li.textContent.includes(`+js(online)+`))`)
}

// click clicks an element once it is there, in one step: the lists are
// drawn anew as messages arrive, so a node found first may be gone by the
// time a separate click comes.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.wait(sel+" clicked", `(() => { const e = document.querySelector(`+js(sel)+`); if (!e) return false; e.click(); return true; })()`)
}

// storedText is the text the server keeps for message id in room.
func storedText(t *testing.T, p *testchat.Peer, room string, id int64) string {
	return p.Stored(t, room)[id].Text
}

// Direct messages in the browser: one opened from the people list reaches
// a Go client, one a Go client opens arrives unread in the list, is read
// when shown, and stays read after a reload (the marker is the server's).
func TestBrowserDM(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	gopher := testchat.Join(t, env.URL, "gopher", "password-gopher")
	b := newTab(t, 1280, 800)
	signUp(b, env.URL, "webby", "gopher")

	// Browser to Go: Message beside gopher's name opens the DM.
	b.click(`#people button.dm[data-user="gopher"]`)
	b.wait("the DM with gopher shown", `document.getElementById('room-title').firstChild.textContent === 'gopher' &&
		document.querySelector('#dms button[aria-current="true"]')?.textContent === 'gopher'`)
	var room string
	testserver.WaitFor(t, pollTimeout, "gopher told of the DM", func() bool {
		convs, err := gopher.Chat.Conversations(ctx(t))
		if err != nil || len(convs) == 0 {
			return false
		}
		room = convs[0].Room
		return true
	})
	if err := gopher.Chat.Join(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	b.send("hello gopher, privately")
	receive(t, gopher.Texts, "hello gopher, privately")
	if _, err := gopher.Chat.Send(room, "hello webby, privately"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("hello webby, privately")

	// Go to browser: otter opens a DM and writes while the page shows #general.
	b.click(`#rooms button[data-room="general"]`)
	b.eval(`document.querySelector('#rooms button[data-room="general"]').focus()`)
	joined := time.Now()
	otter := testchat.Join(t, env.URL, "otter", "password-otter")
	if _, ok := otter.WaitState(client.Online, joined, pollTimeout); !ok {
		t.Fatalf("otter did not connect:%s", otter.History(joined))
	}
	conv, err := otter.Chat.OpenDM(ctx(t), "webby")
	if err != nil {
		t.Fatal(err)
	}
	if err := otter.Chat.Join(ctx(t), conv.Room); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"psst from otter", "are you there?"} {
		if _, err := otter.Chat.Send(conv.Room, text); err != nil {
			t.Fatal(err)
		}
	}
	dm := `document.querySelector('#dms button[data-room="` + conv.Room + `"]')`
	b.wait("otter's DM with 2 unread", dm+`?.textContent === 'otter2 unread'`)
	b.wait("the title counts them", `document.title === '(2) Confab'`)
	if got := b.eval(`document.activeElement.dataset.room`); got != `"general"` {
		t.Errorf("the list drawn anew took the keyboard's focus from #general's button to %s", got)
	}
	b.screenshot("web-dm-unread-1280x800.png", 1280, 800)
	b.checkAccessible("the DM list at 1280 px")
	b.screenshot("web-dm-unread-360x740.png", 360, 740)
	b.checkAccessible("the DM list at 360 px")
	b.do(chromedp.EmulateViewport(1280, 800))

	b.click(`#dms button[data-room="` + conv.Room + `"]`)
	b.waitShown("are you there?")
	b.wait("no unread left", `!document.querySelector('#dms .unread') && document.title === 'Confab'`)
	b.screenshot("web-dm-1280x800.png", 1280, 800)
	b.screenshot("web-dm-360x740.png", 360, 740)
	b.do(chromedp.EmulateViewport(1280, 800))

	// Read on the server: after a reload, shown from #general, still read.
	b.click(`#rooms button[data-room="general"]`)
	b.do(chromedp.Reload())
	b.wait("the DMs listed again", dm+` !== null && document.querySelectorAll('#dms button').length === 2`)
	if got := b.eval(`document.querySelectorAll('#dms .unread').length`); got != "0" {
		t.Errorf("after a reload %s DMs show unread messages, want none", got)
	}

	// Alt+Down goes through the rooms, then the DMs, as listed.
	b.typeInto("#join-room", "dev")
	b.do(chromedp.SendKeys(chromedp.CSS("#join-room"), kb.Enter))
	b.wait("in #dev", `document.getElementById('room-title').textContent === '#dev'`)
	b.do(chromedp.Focus(chromedp.CSS("#text")), chromedp.KeyEvent(kb.ArrowDown, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	b.wait("the first DM after #dev", `document.getElementById('room-title').firstChild.textContent === 'gopher'`)
}

// Edits, deletes, reactions and typing of a Go client show live in the
// page, and the page edits and deletes its own message.
func TestBrowserChanges(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	gopher := testchat.Join(t, env.URL, "gopher", "password-gopher")
	b := newTab(t, 1280, 800)
	signUp(b, env.URL, "webby", "gopher")

	if _, err := gopher.Chat.Send(wire.DefaultRoom, "first draft"); err != nil {
		t.Fatal(err)
	}
	if _, err := gopher.Chat.Send(wire.DefaultRoom, "a mistake"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("a mistake")
	ids := map[string]int64{}
	for id, m := range gopher.Stored(t, wire.DefaultRoom) {
		ids[m.Text] = id
	}
	if _, err := gopher.Chat.Edit(ctx(t), ids["first draft"], "second draft"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("second draft")
	b.wait("the edited marker", `document.querySelector('#timelines li[data-id="`+strconv.FormatInt(ids["first draft"], 10)+`"] .edited') !== null`)
	if _, err := gopher.Chat.React(ctx(t), ids["first draft"], "👍", true); err != nil {
		t.Fatal(err)
	}
	b.wait("gopher's reaction", `document.querySelector('#timelines .reaction')?.textContent === '👍 1'`)
	if _, err := gopher.Chat.Delete(ctx(t), ids["a mistake"]); err != nil {
		t.Fatal(err)
	}
	b.wait("the tombstone", `document.querySelector('#timelines li.deleted .text')?.textContent === 'Message deleted'`)
	if got := b.eval(shownTexts + `.includes('a mistake')`); got != "false" {
		t.Errorf("the deleted text is still shown")
	}
	gopher.Chat.Typing(wire.DefaultRoom)
	b.wait("gopher typing", `document.getElementById('typing').textContent === 'gopher is typing…'`)
	b.screenshot("web-changes-1280x800.png", 1280, 800)
	b.checkAccessible("the changes at 1280 px")
	b.screenshot("web-changes-360x740.png", 360, 740)
	b.do(chromedp.EmulateViewport(1280, 800))
	if _, err := gopher.Chat.Send(wire.DefaultRoom, "done typing"); err != nil {
		t.Fatal(err)
	}
	b.wait("typing ends with gopher's message", `document.getElementById('typing').textContent === ''`)

	// The page reacts to, edits and deletes its own message.
	b.send("mine to change")
	b.waitShown("mine to change")
	mine := `document.querySelector('#timelines li.mine:last-child')`
	b.eval(mine + `.querySelector('.tools button').click()`)
	b.wait("the emoji to pick", mine+`.contains(document.activeElement) && document.activeElement.textContent === '👍'`)
	b.screenshot("web-react-1280x800.png", 1280, 800)
	b.screenshot("web-react-360x740.png", 360, 740)
	b.colorScheme("dark")
	b.screenshot("web-react-dark-1280x800.png", 1280, 800)
	b.checkAccessible("the reaction picker, dark, at 1280 px")
	b.colorScheme("light")
	b.checkAccessible("the reaction picker at 360 px")
	b.do(chromedp.EmulateViewport(1280, 800))
	b.eval(mine + `.querySelector('.picker button').click()`)
	b.wait("my reaction", mine+`.querySelector('.reaction[aria-pressed="true"]')?.textContent === '👍 1'`)
	b.eval(mine + `.querySelector('.tools button:nth-of-type(2)').click()`)
	b.typeInto(`#timelines .edit textarea`, "mine, changed")
	b.do(pressEnter)
	b.waitShown("mine, changed")
	myID := int64(0)
	for id, m := range gopher.Stored(t, wire.DefaultRoom) {
		if m.Author.Username == "webby" {
			myID = id
		}
	}
	if got := storedText(t, gopher, wire.DefaultRoom, myID); got != "mine, changed" {
		t.Errorf("the server keeps %q after the page's edit", got)
	}
	b.eval(mine + `.querySelector('.tools button:nth-of-type(3)').click()`)
	b.wait("asked once more", mine+`.querySelector('.tools button:nth-of-type(3)').textContent === 'Delete for everyone?'`)
	b.eval(mine + `.querySelector('.tools button:nth-of-type(3)').click()`)
	b.wait("my tombstone", mine+`.classList.contains('deleted')`)
	testserver.WaitFor(t, pollTimeout, "the delete stored", func() bool {
		return gopher.Stored(t, wire.DefaultRoom)[myID].Deleted
	})

	// Typing in the page tells the room.
	watcher := env.Register("watcher", "password-watcher")
	raw, err := testserver.DialRaw(env.URL, watcher.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	b.do(chromedp.SendKeys(chromedp.CSS("#text"), "abc"))
	for deadline := time.Now().Add(pollTimeout); ; {
		f, err := raw.Read()
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("no typing notice of webby reached another socket: %v", err)
		}
		if strings.HasPrefix(f, `42["`+wire.EventTyping+`"`) && strings.Contains(f, `"webby"`) {
			break
		}
	}

}

// A private group made in the page reaches a Go client member, who writes
// back; the page leaves it.
func TestBrowserGroup(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	gopher := testchat.Join(t, env.URL, "gopher", "password-gopher")
	b := newTab(t, 1280, 800)
	signUp(b, env.URL, "webby", "gopher")

	b.click(`#group-box summary`)
	b.typeInto("#group-members", "gopher, nobody-here")
	b.typeInto("#group-name", "Launch")
	b.click(`#group-form button[type="submit"]`)
	b.wait("an unknown member refused", `document.getElementById('group-error').textContent === `+js("There is no one by that name on this chat."))
	b.screenshot("web-group-form-1280x800.png", 1280, 800)
	b.checkAccessible("the group form at 1280 px")
	b.typeInto("#group-members", "gopher")
	b.click(`#group-form button[type="submit"]`)
	b.wait("the group shown", `document.getElementById('room-title').firstChild.textContent === 'Launch' &&
		document.querySelector('#dms button[aria-current="true"]')?.textContent === 'Launch'`)
	var room string
	testserver.WaitFor(t, pollTimeout, "gopher told of the group", func() bool {
		convs, err := gopher.Chat.Conversations(ctx(t))
		if err != nil || len(convs) == 0 {
			return false
		}
		room = convs[0].Room
		return true
	})
	if err := gopher.Chat.Join(ctx(t), room); err != nil {
		t.Fatal(err)
	}
	if _, err := gopher.Chat.Send(room, "glad to be in Launch"); err != nil {
		t.Fatal(err)
	}
	b.waitShown("glad to be in Launch")
	joined := time.Now()
	otter := testchat.Join(t, env.URL, "otter", "password-otter")
	if _, ok := otter.WaitState(client.Online, joined, pollTimeout); !ok {
		t.Fatalf("otter did not connect:%s", otter.History(joined))
	}
	b.click(`#people button.invite[data-user="otter"]`)
	b.wait("otter added", `document.querySelector('#room-title .sub').textContent === 'private group of 3' &&
		!document.querySelector('#people button.invite')`)
	testserver.WaitFor(t, pollTimeout, "otter told of the group", func() bool {
		convs, err := otter.Chat.Conversations(ctx(t))
		return err == nil && len(convs) == 1 && convs[0].Name == "Launch"
	})
	b.screenshot("web-group-1280x800.png", 1280, 800)
	b.checkAccessible("the group at 1280 px")
	b.click(`#dms button.leave`)
	b.wait("the group gone", `document.querySelectorAll('#dms button').length === 0 && document.getElementById('room-title').textContent === '#general'`)
	testserver.WaitFor(t, pollTimeout, "webby out of the group", func() bool {
		convs, err := gopher.Chat.Conversations(ctx(t))
		if err != nil || len(convs) != 1 {
			return false
		}
		for _, u := range convs[0].Members {
			if u.Username == "webby" {
				return false
			}
		}
		return true
	})
}
