package app

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// BenchmarkShow10kMessages: a room's 10,000 messages arrive (a long catch-up)
// and are shown; it reports the time per load and the heap it keeps.
func BenchmarkShow10kMessages(b *testing.B) {
	const n = 10_000
	msgs := make([]client.Event, n)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for i := range msgs {
		msgs[i] = client.MessageEvent{Historic: true, Message: wire.Message{
			ID: int64(i + 1), Room: "general", Author: wire.Author{ID: fmt.Sprint(i % 7), Username: fmt.Sprint("user", i%7)},
			Text: fmt.Sprintf("message %d: some words so that it looks like a line of chat", i), SentAt: t0.Add(time.Duration(i) * time.Second),
		}}
	}
	a := test.NewTempApp(b)
	var heap uint64
	for b.Loop() {
		var v *chatView
		bridge.DoAndWait(func() {
			ui := New(a, NoLAN())
			v = &chatView{ui: ui, rooms: map[string]*timeline{wire.DefaultRoom: newTimeline()},
				joined: []string{wire.DefaultRoom}, current: wire.DefaultRoom, users: map[string]wire.User{}}
			ui.view = v
			v.build()
			ui.win.SetContent(v.content)
			ui.win.Resize(fyne.NewSize(960, 640))
		})
		ch := make(chan client.Event, n)
		for _, e := range msgs {
			ch <- e
		}
		close(ch)
		done := make(chan struct{})
		bridge.Drain(ch, v.apply, func() {
			v.flush()
			if v.tl().len() == n {
				select {
				case <-done:
				default:
					close(done)
				}
			}
		})
		<-done
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = ms.HeapAlloc
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
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
		ui := New(a, NoLAN())
		v = &chatView{ui: ui, rooms: map[string]*timeline{wire.DefaultRoom: newTimeline()},
			joined: []string{wire.DefaultRoom}, current: wire.DefaultRoom, users: map[string]wire.User{}}
		ui.view = v
		v.build()
		ui.win.SetContent(v.content)
		ui.win.Resize(fyne.NewSize(960, 640))
		ui.win.Canvas().Focus(v.composer)
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
