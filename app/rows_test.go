package app

import (
	"bytes"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// offlineView is a chat view (Fyne's test app is one per process: tests
// that use it do not run in parallel) with no connection, in a window of its own,
// for looking at rows: the conversation alone (paneOnly) or the whole chat.
func offlineView(t testing.TB, size fyne.Size, paneOnly bool) *chatView {
	t.Helper()
	a := test.NewTempApp(t)
	return onUI(func() *chatView {
		v := offlineChat(New(a, NoLAN(), StorageDir(t.TempDir())), size)
		if paneOnly {
			v.ui.win.SetContent(v.msgList)
		}
		return v
	})
}

// offlineChat is the chat window without a server (rows, the composer,
// benchmarks), in general and rooms, signed in as alice. Call it on the UI
// thread.
func offlineChat(ui *UI, size fyne.Size, rooms ...string) *chatView {
	v := &chatView{ui: ui, rooms: map[string]*timeline{}, joined: append([]string{wire.DefaultRoom}, rooms...),
		current: wire.DefaultRoom, users: map[string]wire.User{}, me: wire.Author{ID: "me", Username: "alice"}}
	for _, r := range v.joined {
		v.rooms[r] = newTimeline()
	}
	ui.view = v
	v.build()
	ui.win.SetContent(v.content)
	ui.win.Resize(size)
	return v
}

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// say adds a stored message from author (on the UI thread).
func say(v *chatView, id int, author, text string) {
	v.apply(client.MessageEvent{Message: wire.Message{ID: int64(id), Room: v.current,
		Author: wire.Author{ID: author, Username: author}, Text: text, SentAt: t0.Add(time.Duration(id) * time.Minute)}})
	v.flush()
}

const longText = "This is a longer message to check that wrapping works across the width of the conversation pane " +
	"without being cut off at the right edge, and that the row below starts where this one ends: " +
	"https://example.com/a/rather/long/path/that/should/not/break?with=query#and-fragment and some words after it."

// checkRows asserts that every row in view is exactly as tall as what it
// draws (no text cut off, at most a padding of empty space), that rows do
// not overlap, and that nothing is drawn past the right edge.
func checkRows(t *testing.T, v *chatView, what string) {
	t.Helper()
	bridge.DoAndWait(func() {
		p := v.msgList
		if len(p.shown) == 0 && v.tl().len() > 0 {
			t.Errorf("%s: no rows shown", what)
		}
		slack := 2 * theme.Padding()
		prevBottom := float32(-1)
		for i := range v.tl().len() {
			r, ok := p.shown[i]
			if !ok {
				continue
			}
			size := r.Size()
			if min := r.MinSize().Height; min != size.Height {
				t.Errorf("%s: row %d is %v tall, needs %v", what, i, size.Height, min)
			}
			if size.Width != p.scroll.Size().Width {
				t.Errorf("%s: row %d is %v wide in a %v wide pane", what, i, size.Width, p.scroll.Size().Width)
			}
			bottom := float32(0)
			for _, o := range r.objs {
				if b, ok := o.(*widget.Button); ok { // reactions: drawn too
					bottom = max(bottom, b.Position().Y+b.Size().Height)
					continue
				}
				txt, ok := o.(*canvas.Text)
				if !ok || strings.TrimSpace(txt.Text) == "" {
					continue
				}
				end := txt.Position().Add(txt.MinSize())
				bottom = max(bottom, end.Y)
				if end.X > size.Width-theme.InnerPadding()+0.5 {
					t.Errorf("%s: row %d: %q ends at x=%v of %v", what, i, txt.Text, end.X, size.Width)
				}
			}
			if bottom > size.Height {
				t.Errorf("%s: row %d: text cut off (%v of %v px)", what, i, bottom, size.Height)
			}
			if r.spec.failure == "" && size.Height-bottom > slack {
				t.Errorf("%s: row %d: %v px empty below the text", what, i, size.Height-bottom)
			}
			if top := r.Position().Y; prevBottom >= 0 && top < prevBottom {
				t.Errorf("%s: row %d starts at %v, above the row before's end %v", what, i, top, prevBottom)
			}
			prevBottom = r.Position().Y + size.Height
		}
	})
}

// lastRowInView asserts the last row is shown whole, at the bottom.
func lastRowInView(t *testing.T, v *chatView, what string) {
	t.Helper()
	bridge.DoAndWait(func() {
		p := v.msgList
		r, ok := p.shown[v.tl().len()-1]
		if !ok {
			t.Errorf("%s: last row not shown", what)
			return
		}
		top := r.Position().Y - p.scroll.Offset.Y
		if top < 0 || top+r.Size().Height > p.scroll.Size().Height+0.5 {
			t.Errorf("%s: last row at %v..%v in a %v px view", what, top, top+r.Size().Height, p.scroll.Size().Height)
		}
	})
}

func TestRowsFitTheirTextAtEveryWidth(t *testing.T) {
	v := offlineView(t, fyne.NewSize(270, 500), true)
	bridge.DoAndWait(func() {
		say(v, 1, "bob", "Hi Alice! Did you see the build is green?")
		say(v, 2, "alice", "Yes, all green.")
		say(v, 3, "bob", longText)
		say(v, 4, "a-rather-long-username-indeed", "short")
		say(v, 5, "carol", "**Bold** and *emphasis*, `code`, and\n```\nfunc main() {\n\tfmt.Println(\"a code block with a long line in it\")\n}\n```\nthen text.")
	})
	for _, w := range []float32{270, 400, 800, 270, 1200, 150} {
		bridge.DoAndWait(func() { v.ui.win.Resize(fyne.NewSize(w, 500)) })
		what := fmt.Sprintf("%v px", w)
		checkRows(t, v, what)
		lastRowInView(t, v, what)
	}
}

func TestNewLongMessageIsShownWhole(t *testing.T) {
	v := offlineView(t, fyne.NewSize(270, 300), true)
	for i := 1; i <= 30; i++ {
		bridge.DoAndWait(func() { say(v, i, fmt.Sprint("user", i%3), strings.Repeat("word ", i%7+1)) })
	}
	bridge.DoAndWait(func() { say(v, 31, "bob", longText) })
	checkRows(t, v, "after a long message")
	lastRowInView(t, v, "after a long message")
}

// TestRowScreenshots saves the conversation with long and short messages,
// Markdown, a pending and a failed message, 270 px wide and wide, in
// test-artifacts/ for people to look at.
func TestRowScreenshots(t *testing.T) {
	for _, c := range []struct {
		name     string
		size     fyne.Size
		paneOnly bool
	}{{"rows-270.png", fyne.NewSize(270, 760), true}, {"rows-800x600.png", fyne.NewSize(800, 600), false}, {"rows-1400x900.png", fyne.NewSize(1400, 900), false}} {
		v := offlineView(t, c.size, c.paneOnly)
		if c.paneOnly {
			savePNG(t, v.ui, "rows-empty-270.png")
		}
		bridge.DoAndWait(func() {
			say(v, 1, "bob", "Hi Alice! Did you see the build is green?")
			say(v, 2, "bob", "Details: https://ci.example.com/builds/1234 (all **42** suites passed)")
			say(v, 3, "alice", "Yes, all green. Shipping it _this afternoon_.")
			say(v, 4, "carol", longText)
			say(v, 5, "carol", "Run `make package` then:\n```sh\ntar -xf Confab.tar.xz && cd Confab && sudo make install\n```\nSee [the docs](https://example.com/docs) — not [this](javascript:alert(1)).")
			v.room(v.current).track(client.Outgoing{ClientID: "c1", Room: v.current, Text: "On my way, sending this one now", State: client.Pending})
			v.room(v.current).track(client.Outgoing{ClientID: "c2", Room: v.current, Text: "and this failed", State: client.Failed, Err: fmt.Errorf("you are not in that room")})
			v.refreshMessages(true)
			v.flush()
		})
		savePNG(t, v.ui, c.name)
	}
}

// savePNG saves the window as test-artifacts/name (at any size).
func savePNG(t *testing.T, ui *UI, name string) {
	t.Helper()
	dir := filepath.Join("..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	bridge.DoAndWait(func() {
		if err := png.Encode(&buf, ui.win.Canvas().Capture()); err != nil {
			t.Error(err)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Error(err)
	}
}

// rowOf returns the row showing entry i.
func rowOf(t *testing.T, v *chatView, i int) *msgRow {
	t.Helper()
	r, ok := v.msgList.shown[i]
	if !ok {
		t.Fatalf("row %d not shown", i)
	}
	return r
}

// TestLinksOpenSafelyAndMessagesCopyAsTyped: a tap on a link opens it,
// a javascript: link is text, and the menu copies the message unaltered.
func TestLinksOpenSafelyAndMessagesCopyAsTyped(t *testing.T) {
	v := offlineView(t, fyne.NewSize(500, 400), true)
	const text = "See **[the docs](https://example.com/d)** or [bad](javascript:alert(1)),  ok?"
	var opened []string
	bridge.DoAndWait(func() {
		say(v, 1, "bob", text)
		r := rowOf(t, v, 0)
		r.act.openURL = func(u *url.URL) { opened = append(opened, u.String()) }
		var linkPos, badPos fyne.Position
		for _, p := range r.geom.body.pieces {
			at := p.pos.AddXY(r.geom.padX+2, r.geom.bodyY+2)
			switch {
			case p.link != "":
				linkPos = at
			case strings.Contains(p.text, "javascript"):
				badPos = at
			}
		}
		r.Tapped(&fyne.PointEvent{Position: badPos})
		r.Tapped(&fyne.PointEvent{Position: linkPos})
		m := r.menu(fyne.Position{})
		if m.Items[0].Label != "Copy message" {
			t.Fatalf("menu: %v", m.Items[0].Label)
		}
		m.Items[0].Action()
		if got := v.ui.app.Clipboard().Content(); got != text {
			t.Errorf("copied %q, want the message as typed %q", got, text)
		}
		m.Items[1].Action()
		if got := v.ui.app.Clipboard().Content(); got != "https://example.com/d" {
			t.Errorf("copied link %q", got)
		}
	})
	if len(opened) != 1 || opened[0] != "https://example.com/d" {
		t.Fatalf("opened %v", opened)
	}
}

// TestPendingRowIsCompact: a message on its way takes the room of a sent
// one, with a status in the text's colour.
func TestPendingRowIsCompact(t *testing.T) {
	v := offlineView(t, fyne.NewSize(500, 400), true)
	bridge.DoAndWait(func() {
		say(v, 1, "bob", "hi")
		say(v, 2, "alice", "short")
		v.room(v.current).track(client.Outgoing{ClientID: "c1", Room: v.current, Text: "short", State: client.Pending})
		v.refreshMessages(true)
		v.flush()
		sent, pending := rowOf(t, v, 1), rowOf(t, v, 2)
		if !pending.spec.header || !sent.spec.header {
			t.Fatal("both rows should start a group")
		}
		if pending.Size().Height > sent.Size().Height {
			t.Errorf("pending row %v px, a sent one %v px", pending.Size().Height, sent.Size().Height)
		}
		found := false
		for _, o := range pending.objs {
			if txt, ok := o.(*canvas.Text); ok && txt.Text == sendingText {
				found = true
				if txt.Color != theme.Color(theme.ColorNameForeground) {
					t.Errorf("status colour %v", txt.Color)
				}
			}
		}
		if !found {
			t.Error("no status shown")
		}
	})
}

func TestEmptyRoomSaysSo(t *testing.T) {
	v := offlineView(t, fyne.NewSize(500, 400), true)
	bridge.DoAndWait(func() {
		e := v.msgList.empty
		if e.Hidden || e.Text != "No messages in #general yet. Say hello!" {
			t.Errorf("empty room: hidden %v, %q", e.Hidden, e.Text)
		}
		say(v, 1, "bob", "hello")
		if !e.Hidden {
			t.Error("empty-room text still shown")
		}
	})
}

// TestOwnMessageShowsWhenTyped: a message of ours shows when it was
// typed; if it reached the server much later, both times.
func TestOwnMessageShowsWhenTyped(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 14, 2, 0, 0, time.Local)
	tl := newTimeline()
	tl.now = func() time.Time { return now }
	for _, c := range []struct {
		cid   string
		delay time.Duration
		want  string
	}{{"c1", 20 * time.Second, "14:02"}, {"c2", 7 * time.Minute, "14:02 (delivered 14:09)"}} {
		tl.track(client.Outgoing{ClientID: c.cid, Room: "general", Text: "x", State: client.Pending})
		if got := tl.stamp(tl.pending[0], now); got != "14:02" {
			t.Errorf("pending: %q", got)
		}
		m := wire.Message{ID: int64(len(tl.stored) + 1), Room: "general", Text: "x", ClientID: c.cid, SentAt: now.Add(c.delay)}
		tl.track(client.Outgoing{ClientID: c.cid, Room: "general", Text: "x", State: client.Sent, Message: &m})
		if got := tl.stamp(tl.stored[len(tl.stored)-1], now); got != c.want {
			t.Errorf("delivered after %v: %q, want %q", c.delay, got, c.want)
		}
	}
	other := entry{msg: wire.Message{SentAt: now.Add(3 * time.Minute)}}
	if got := tl.stamp(other, now); got != "14:05" {
		t.Errorf("someone else's: %q", got)
	}
}

// TestScrolledUpStaysPut: scrolled up, a new message does not move the
// view but offers a jump; scrolling to the end follows again.
func TestScrolledUpStaysPut(t *testing.T) {
	v := offlineView(t, fyne.NewSize(400, 300), true)
	bridge.DoAndWait(func() {
		for i := 1; i <= 40; i++ {
			say(v, i, "bob", fmt.Sprint("message ", i))
		}
		v.msgList.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: 200}}) // up
		at := v.msgList.GetScrollOffset()
		say(v, 41, "bob", longText)
		if got := v.msgList.GetScrollOffset(); got != at || v.jumpDown.Hidden {
			t.Errorf("scrolled up: offset %v → %v, jump button hidden %v", at, got, v.jumpDown.Hidden)
		}
		v.msgList.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: -100000}}) // to the end
		if !v.jumpDown.Hidden {
			t.Error("jump button still shown at the end")
		}
		say(v, 42, "bob", longText)
	})
	lastRowInView(t, v, "following again")
	checkRows(t, v, "following again")
}

// TestSelectTextShowsTheMessageAsTyped: "Select text…" opens the message,
// unaltered, in a label that can be selected; Escape closes it.
func TestSelectTextShowsTheMessageAsTyped(t *testing.T) {
	v := offlineView(t, fyne.NewSize(600, 400), true)
	const text = "a *styled* `message` with https://example.com"
	bridge.DoAndWait(func() {
		say(v, 1, "bob", text)
		m := rowOf(t, v, 0).menu(fyne.Position{})
		for _, it := range m.Items {
			if it.Label == "Select text…" {
				it.Action()
			}
		}
		top := v.ui.win.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("no dialog")
		}
		var found bool
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && l.Text == text && l.Selectable {
				found = true
			}
			if c, ok := o.(*fyne.Container); ok {
				for _, o := range c.Objects {
					walk(o)
				}
			}
			if w, ok := o.(fyne.Widget); ok {
				for _, o := range test.WidgetRenderer(w).Objects() {
					walk(o)
				}
			}
		}
		walk(top)
		if !found {
			t.Error("no selectable label with the message as typed")
		}
		press(v.ui.win.Canvas(), fyne.KeyEscape)
		if v.ui.win.Canvas().Overlays().Top() != nil {
			t.Error("Escape did not close the dialog")
		}
	})
}

// TestTallerWindowKeepsFollowing: at the end, a taller window shows more
// rows above, still with the last one whole at the bottom.
func TestTallerWindowKeepsFollowing(t *testing.T) {
	v := offlineView(t, fyne.NewSize(300, 200), true)
	bridge.DoAndWait(func() {
		for i := 1; i <= 30; i++ { // one batch, wide letters: taller than estimated
			v.apply(client.MessageEvent{Message: wire.Message{ID: int64(i), Room: v.current, Author: wire.Author{ID: "bob", Username: "bob"},
				Text: strings.Repeat("WWWW MMMM ", 12), SentAt: t0.Add(time.Duration(i) * time.Minute)}})
		}
		v.flush()
	})
	for _, h := range []float32{400, 900} {
		bridge.DoAndWait(func() { v.ui.win.Resize(fyne.NewSize(300, h)) })
		lastRowInView(t, v, fmt.Sprint(h, " px tall"))
		checkRows(t, v, fmt.Sprint(h, " px tall"))
		bridge.DoAndWait(func() {
			p := v.msgList
			if end := p.total() - p.scroll.Size().Height; p.scroll.Offset.Y != end {
				t.Errorf("%v px tall: offset %v, the end is at %v", h, p.scroll.Offset.Y, end)
			}
		})
	}
}

// TestSwitchingRoomsShowsEachRoomsEnd: each room shows its own rows from
// the end, or says it is empty.
func TestSwitchingRoomsShowsEachRoomsEnd(t *testing.T) {
	v := offlineView(t, fyne.NewSize(400, 300), true)
	bridge.DoAndWait(func() {
		for i := 1; i <= 20; i++ {
			say(v, i, "bob", fmt.Sprint("general ", i, " ", longText))
		}
		v.room("dev")
		v.joined = append(v.joined, "dev")
		v.switchRoom("dev")
		if e := v.msgList.empty; e.Hidden || !strings.Contains(e.Text, "#dev") || len(v.msgList.shown) != 0 {
			t.Errorf("empty dev: text %q hidden %v, %d rows", e.Text, e.Hidden, len(v.msgList.shown))
		}
		v.switchRoom("general")
		if !v.msgList.empty.Hidden {
			t.Error("empty-room text shown in general")
		}
		if r := rowOf(t, v, 19); !strings.HasPrefix(r.spec.text, "general 20 ") {
			t.Errorf("last row shows %q", r.spec.text)
		}
	})
	lastRowInView(t, v, "back in general")
	checkRows(t, v, "back in general")
}
