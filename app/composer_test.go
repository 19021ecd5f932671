package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// typist drives a composer with keys and keeps what the text must be: the
// same edits applied to a plain rune slice.
type typist struct {
	t    *testing.T
	c    *composer
	cb   fyne.Clipboard
	want []rune
	pos  int
}

func (p *typist) typeText(s string) {
	for _, r := range s {
		p.c.TypedRune(r)
		p.want = append(p.want[:p.pos], append([]rune{r}, p.want[p.pos:]...)...)
		p.pos++
	}
}

func (p *typist) paste(s string) {
	p.cb.SetContent(s)
	p.c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: p.cb})
	rs := []rune(s)
	p.want = append(p.want[:p.pos], append(rs, p.want[p.pos:]...)...)
	p.pos += len(rs)
}

func (p *typist) key(name fyne.KeyName, n int) {
	for range n {
		p.c.TypedKey(&fyne.KeyEvent{Name: name})
		switch name {
		case fyne.KeyLeft:
			p.pos = max(0, p.pos-1)
		case fyne.KeyRight:
			p.pos = min(len(p.want), p.pos+1)
		case fyne.KeyBackspace:
			if p.pos > 0 {
				p.want = append(p.want[:p.pos-1], p.want[p.pos:]...)
				p.pos--
			}
		}
	}
}

func (p *typist) check(what string) {
	p.t.Helper()
	if got := p.c.Text; got != string(p.want) {
		p.t.Errorf("%s: the composer holds\n%q\nbut the user typed\n%q", what, got, string(p.want))
	}
}

// longSentence is a 600-character message of ordinary words.
func longSentence() string {
	s := strings.Repeat("We reviewed the mockups this morning and they are ready for the team, so let us ship them on Friday. ", 6)
	return s[:600]
}

// TestComposerKeepsTypedText types, rune by rune, into composers of many
// widths (so that every sentence wraps at every possible place) and checks
// that the text is exactly what was typed: spaces at wrap points (Fyne's
// Entry lost them), spaces typed twice, text typed in the middle, pasted
// text, and Backspace over a wrap point.
func TestComposerKeepsTypedText(t *testing.T) {
	test.NewTempApp(t)
	sentences := []string{
		"mockups are ready",
		"the build is green and we ship this afternoon",
		"two  spaces  between  the  words  here",
		longSentence(),
	}
	var widths []float32
	for w := float32(60); w <= 300; w += 7 {
		widths = append(widths, w)
	}
	widths = append(widths, 361, 420, 517, 600)
	for _, width := range widths {
		bridge.DoAndWait(func() {
			c := newComposer(func(string) {})
			w := test.NewTempWindow(t, container.NewBorder(nil, c, nil, nil))
			w.SetPadded(false)
			w.Resize(fyne.NewSize(width, 400))
			w.Canvas().Focus(c)
			p := &typist{t: t, c: c, cb: test.NewClipboard()}
			for _, s := range sentences {
				c.SetText("")
				p.want, p.pos = nil, 0
				p.typeText(s)
				p.check(fmt.Sprintf("width %v, typed %.30q", width, s))
			}
			// In the middle: "the build is green" → "the build is very green".
			c.SetText("")
			p.want, p.pos = nil, 0
			p.typeText("the build is green")
			p.key(fyne.KeyLeft, len("green"))
			p.typeText("very ")
			p.check(fmt.Sprintf("width %v, typed in the middle", width))
			// Pasted at the end and in the middle.
			p.key(fyne.KeyRight, len("green"))
			p.paste(" and the mockups are ready for review")
			p.key(fyne.KeyLeft, 10)
			p.paste("really ")
			p.check(fmt.Sprintf("width %v, pasted", width))
			// Backspace over the wrap points, then typed again.
			c.SetText("")
			p.want, p.pos = nil, 0
			p.typeText(sentences[1])
			p.key(fyne.KeyBackspace, 25)
			p.typeText(sentences[1][len(sentences[1])-25:])
			p.check(fmt.Sprintf("width %v, Backspace over wrap points", width))
			if c.Text != sentences[1] {
				t.Errorf("width %v: after Backspace and typing again: %q", width, c.Text)
			}
		})
	}
}

// TestComposerWrapCoversEveryPosition: the rows cover the text without
// gaps (a space at a wrap point stays in a row), so every cursor position,
// the end included, is in a row; and no row is wider than the width except
// by its trailing spaces.
func TestComposerWrapCoversEveryPosition(t *testing.T) {
	test.NewTempApp(t)
	m := &textMeasurer{}
	m.setFont(14, fyne.TextStyle{})
	texts := []string{"", "a", "mockups are ready ", "line one\n\nline three \n", longSentence(),
		strings.Repeat("x", 300) + " y", "  leading spaces and trailing  "}
	for _, text := range texts {
		rs := []rune(text)
		for width := float32(20); width <= 400; width += 13 {
			rows := wrapRows(rs, width, m.width)
			next := 0
			for i, s := range rows {
				if s.start != next && !(s.start == next+1 && rs[next] == '\n') {
					t.Fatalf("%q at %v: row %d starts at %d, the previous ended at %d", text, width, i, s.start, next)
				}
				if w := m.width([]rune(strings.TrimRight(string(rs[s.start:s.end]), " "))); w > width && s.end-s.start > 1 &&
					strings.Contains(strings.TrimSpace(string(rs[s.start:s.end])), " ") {
					t.Errorf("%q at %v: row %q is %v wide", text, width, string(rs[s.start:s.end]), w)
				}
				next = s.end
			}
			if next != len(rs) {
				t.Fatalf("%q at %v: the rows end at %d of %d", text, width, next, len(rs))
			}
		}
	}
}

// TestComposerTabMovesFocus: Tab leaves the composer for the next widget
// and Shift+Tab for the previous one; no tab is typed.
func TestComposerTabMovesFocus(t *testing.T) {
	test.NewTempApp(t)
	bridge.DoAndWait(func() {
		before := widget.NewEntry()
		c := newComposer(func(string) {})
		after := widget.NewButton("Send", nil)
		w := test.NewTempWindow(t, container.NewVBox(before, c, after))
		w.Resize(fyne.NewSize(400, 300))
		cv := w.Canvas()
		cv.Focus(c)
		// What the desktop driver asks before it hands Tab to a widget.
		if tb, ok := cv.Focused().(fyne.Tabbable); ok && tb.AcceptsTab() {
			t.Error("the composer takes Tab for itself")
		}
		c.TypedRune('x')
		c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		if c.Text != "x" {
			t.Errorf("Tab typed into the composer: %q", c.Text)
		}
		if cv.Focused() != after {
			t.Errorf("after Tab the focus is on %T, not the next widget", cv.Focused())
		}
		cv.Focus(c)
		c.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
		c.TypedKey(&fyne.KeyEvent{Name: fyne.KeyTab})
		c.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
		if cv.Focused() != before {
			t.Errorf("after Shift+Tab the focus is on %T, not the previous widget", cv.Focused())
		}
		// The window's own focus order (the driver's Tab) passes through it.
		cv.Focus(before)
		test.FocusNext(cv)
		if cv.Focused() != c {
			t.Errorf("the focus order skips the composer: %T", cv.Focused())
		}
	})
}

// TestComposerGrowsThenScrolls: one line when empty, one more per line of
// text up to composerMaxLines, then the same height (it scrolls).
func TestComposerGrowsThenScrolls(t *testing.T) {
	test.NewTempApp(t)
	bridge.DoAndWait(func() {
		c := newComposer(func(string) {})
		w := test.NewTempWindow(t, container.NewBorder(nil, c, nil, nil))
		w.Resize(fyne.NewSize(500, 500))
		_, lineH := c.font()
		one := c.MinSize().Height
		for lines := 1; lines <= composerMaxLines+4; lines++ {
			c.SetText(strings.TrimSuffix(strings.Repeat("line\n", lines), "\n"))
			want := one + float32(min(lines, composerMaxLines)-1)*lineH
			if h := c.MinSize().Height; h != want {
				t.Errorf("%d lines: height %v, want %v", lines, h, want)
			}
		}
		// The cursor (at the end) is scrolled into view.
		w.Content().Refresh()
		if c.scroll.Offset.Y <= 0 {
			t.Errorf("10 lines in a %d-line composer and it is not scrolled down", composerMaxLines)
		}
		// A long paragraph wraps into rows that count as lines too.
		c.SetText(longSentence())
		if h := c.MinSize().Height; h != one+float32(composerMaxLines-1)*lineH {
			t.Errorf("600 characters in 500 px: height %v", h)
		}
	})
}

// TestComposerOverLongMessage: Enter on a message over wire's limit keeps
// the text and says, by the composer, how much too long it is; nothing is
// sent. Shortened to the limit, the notice goes.
func TestComposerOverLongMessage(t *testing.T) {
	v := offlineChatView(t) // nothing can be sent: a send would fail the test
	bridge.DoAndWait(func() {
		v.composer.SetText(strings.Repeat("a", wire.MaxMessageRunes+12))
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
	if got := onUI(func() int { return len([]rune(v.composer.Text)) }); got != wire.MaxMessageRunes+12 {
		t.Fatalf("the composer holds %d characters after Enter", got)
	}
	notice := onUI(func() string {
		if v.tooLong.Hidden {
			return ""
		}
		return v.tooLong.Text
	})
	if !strings.Contains(notice, "12 characters too long") || !strings.Contains(notice, fmt.Sprint(wire.MaxMessageRunes)) {
		t.Fatalf("notice by the composer: %q", notice)
	}
	if n := onUI(func() int { return v.tl().len() }); n != 0 {
		t.Fatalf("%d messages shown", n)
	}
	bridge.DoAndWait(func() {
		for range 12 {
			v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
		}
	})
	if onUI(func() bool { return v.tooLong.Visible() }) {
		t.Fatal("the notice stays after shortening")
	}
	if c := onUI(func() string { return v.counter.Text }); c != fmt.Sprintf("%d/%d", wire.MaxMessageRunes, wire.MaxMessageRunes) {
		t.Fatalf("counter %q", c)
	}
}

// offlineChatView is the chat window without a connection (for what the
// composer does before anything is sent).
func offlineChatView(t *testing.T) *chatView {
	ui := newUI(t)
	return onUI(func() *chatView {
		v := offlineChat(ui, fyne.NewSize(960, 640))
		ui.win.Canvas().Focus(v.composer)
		return v
	})
}

// TestComposerScreenshot saves the chat window with a long message being
// written, and with a short one (test-artifacts/composer-*.png).
func TestComposerScreenshot(t *testing.T) {
	v := offlineChatView(t)
	bridge.DoAndWait(func() {
		v.composer.SetText("Short one.")
		v.content.Refresh()
	})
	screenshot(t, v.ui, "composer-short.png")
	bridge.DoAndWait(func() {
		v.composer.SetText(longSentence() + "\n\nSecond paragraph after an empty line.")
		v.composer.TypedShortcut(&fyne.ShortcutSelectAll{})
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyRight})
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
		v.composer.KeyDown(&fyne.KeyEvent{Name: "LeftShift"})
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyUp})
		v.composer.KeyUp(&fyne.KeyEvent{Name: "LeftShift"})
		v.content.Refresh()
	})
	screenshot(t, v.ui, "composer-long.png")
	bridge.DoAndWait(func() {
		v.composer.SetText(strings.Repeat("Too long. ", wire.MaxMessageRunes/10+2))
		v.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		v.content.Refresh()
	})
	screenshot(t, v.ui, "composer-too-long.png")
}

// TestComposerEditing: the editing a text box is expected to do.
func TestComposerEditing(t *testing.T) {
	test.NewTempApp(t)
	bridge.DoAndWait(func() {
		c := newComposer(func(string) {})
		w := test.NewTempWindow(t, container.NewBorder(nil, c, nil, nil))
		w.Resize(fyne.NewSize(500, 300))
		cv := w.Canvas()
		key := func(name fyne.KeyName) { c.TypedKey(&fyne.KeyEvent{Name: name}) }
		ctrl := func(name fyne.KeyName, mod fyne.KeyModifier) {
			c.TypedShortcut(&desktop.CustomShortcut{KeyName: name, Modifier: fyne.KeyModifierControl | mod})
		}
		expect := func(what, want string) {
			t.Helper()
			if c.Text != want {
				t.Errorf("%s: %q, want %q", what, c.Text, want)
			}
		}

		// A click puts the cursor between the letters it is nearest to.
		c.SetText("hello world")
		padX, _ := c.insets()
		_, lineH := c.font()
		test.Tap(c.area) // focuses
		c.area.Tapped(&fyne.PointEvent{Position: fyne.NewPos(padX+c.meas.width([]rune("hello"))+1, lineH/2)})
		if cv.Focused() != c {
			t.Error("a tap does not focus the composer")
		}
		test.Type(c, ",")
		expect("typed after a click", "hello, world")

		// A double click selects a word; typing replaces it.
		c.area.DoubleTapped(&fyne.PointEvent{Position: fyne.NewPos(padX+c.meas.width([]rune("hello, wo")), lineH/2)})
		test.Type(c, "there")
		expect("typed over a double-clicked word", "hello, there")

		// Shift+Left selects, Backspace deletes the selection.
		c.KeyDown(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
		for range 5 {
			key(fyne.KeyLeft)
		}
		c.KeyUp(&fyne.KeyEvent{Name: desktop.KeyShiftLeft})
		key(fyne.KeyBackspace)
		expect("Backspace on a selection", "hello, ")

		// Ctrl+Backspace deletes a word; Ctrl+Z brings it back, a word at a time.
		c.SetText("")
		test.Type(c, "one two three")
		ctrl(fyne.KeyBackspace, 0)
		expect("Ctrl+Backspace", "one two ")
		c.TypedShortcut(&fyne.ShortcutUndo{})
		expect("undo", "one two three")
		c.TypedShortcut(&fyne.ShortcutUndo{})
		expect("undo a word", "one two ")
		c.TypedShortcut(&fyne.ShortcutUndo{})
		expect("undo another word", "one ")
		c.TypedShortcut(&fyne.ShortcutRedo{})
		expect("redo", "one two ")

		// Select all, copy, paste.
		cb := test.NewClipboard()
		c.TypedShortcut(&fyne.ShortcutSelectAll{})
		c.TypedShortcut(&fyne.ShortcutCopy{Clipboard: cb})
		key(fyne.KeyPageDown)
		c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
		expect("copied and pasted", "one two one two ")
		c.TypedShortcut(&fyne.ShortcutPaste{Clipboard: test.NewClipboard()}) // nothing to paste
		expect("pasted nothing", "one two one two ")

		// Ctrl+Left and Home/End.
		ctrl(fyne.KeyLeft, 0)
		test.Type(c, "_")
		expect("Ctrl+Left", "one two one _two ")
		key(fyne.KeyHome)
		test.Type(c, ">")
		expect("Home", ">one two one _two ")
	})
}
