package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// BenchmarkShow10kMessages: switching to a room that holds 10,000 messages
// (loaded before, as after a long catch-up), from a small room, in a
// 960×640 window. Each switch finds the room's rows never shown before
// (nothing measured yet), the slowest case. It reports the time of one
// switch: the rows in view are bound, measured and placed, the end of the
// conversation shown.
func BenchmarkShow10kMessages(b *testing.B) {
	const big = "big"
	msgs := tenThousand(big)
	a := test.NewTempApp(b)
	var v *chatView
	bridge.DoAndWait(func() {
		v = offlineChat(New(a, NoLAN()), fyne.NewSize(960, 640), big)
	})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bridge.DoAndWait(func() { leaveAndRefill(v, big, msgs) })
		b.StartTimer()
		bridge.DoAndWait(func() { v.switchRoom(big) })
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/switch")
}

// BenchmarkTypeInto4000 types into a composer that already holds 4,000
// characters of prose (one paragraph, as a long message is written), in the
// chat window at its opening size, and reports the time per keystroke.
// "fyne-entry" is the same typing into Fyne's multi-line widget.Entry of
// the same width (what the composer was before), for comparison.
func BenchmarkTypeInto4000(b *testing.B) {
	a := test.NewTempApp(b)
	var v *chatView
	bridge.DoAndWait(func() {
		v = offlineChat(New(a, NoLAN()), fyne.NewSize(960, 640))
		v.ui.win.Canvas().Focus(v.composer)
		v.composer.SetText(prose(wire.MaxMessageRunes))
	})
	width := onUI(func() float32 { return v.composer.Size().Width })
	b.Run("composer", func(b *testing.B) {
		typeKeys(b, v.composer.TypedRune)
		if n := onUI(func() int { return len(v.composer.rows) }); n < 20 {
			b.Fatalf("%d rows: the text did not wrap", n)
		}
	})
	b.Run("composer-no-spaces", func(b *testing.B) { // a pasted key or link: one long word
		bridge.DoAndWait(func() { v.composer.SetText(strings.Repeat("x", wire.MaxMessageRunes)) })
		typeKeys(b, v.composer.TypedRune)
	})
	b.Run("fyne-entry", func(b *testing.B) {
		var e *widget.Entry
		bridge.DoAndWait(func() {
			e = widget.NewMultiLineEntry()
			e.Wrapping = fyne.TextWrapWord
			w := a.NewWindow("entry")
			w.SetContent(container.NewBorder(nil, e, nil, nil, widget.NewLabel("")))
			w.Resize(fyne.NewSize(width, 640))
			w.Canvas().Focus(e)
			e.SetText(prose(wire.MaxMessageRunes))
			e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyPageDown}) // to the end
		})
		typeKeys(b, e.TypedRune)
	})
}

// typeKeys types words on the UI thread, one key per iteration.
func typeKeys(b *testing.B, typeRune func(rune)) {
	keys := []rune("and one more word ")
	for i := 0; b.Loop(); i++ {
		bridge.DoAndWait(func() { typeRune(keys[i%len(keys)]) })
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/key")
}

// prose is n runes of words and spaces.
func prose(n int) string {
	words := strings.Fields("the mockups are ready for review and the build is green so we can ship it this afternoon if nobody objects")
	var s strings.Builder
	for i := 0; s.Len() < n; i++ {
		if i > 0 {
			s.WriteByte(' ')
		}
		s.WriteString(words[i%len(words)])
	}
	return s.String()[:n]
}

// leaveAndRefill shows general, and gives room msgs in a timeline never
// shown (nothing measured or cached), for a switch to it.
func leaveAndRefill(v *chatView, room string, msgs []wire.Message) {
	v.switchRoom(wire.DefaultRoom)
	t := newTimeline()
	for _, m := range msgs {
		t.add(m)
	}
	v.rooms[room] = t
}

// tenThousand is the messages of BenchmarkShow10kMessages: one line each,
// every tenth long enough to wrap.
func tenThousand(room string) []wire.Message {
	msgs := make([]wire.Message, 10_000)
	for i := range msgs {
		msgs[i] = wire.Message{
			ID: int64(i + 1), Room: room, Author: wire.Author{ID: fmt.Sprint(i % 7), Username: fmt.Sprint("user", i%7)},
			Text: fmt.Sprintf("message %d: some words so that it looks like a line of chat", i), SentAt: t0.Add(time.Duration(i) * time.Second),
		}
		if i%10 == 0 {
			msgs[i].Text += " and every tenth one is longer, so that it wraps onto a second or third line of the conversation, with a link https://example.com/some/path"
		}
	}
	return msgs
}
