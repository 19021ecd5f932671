package app

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
	const n, big = 10_000, "big"
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	msgs := make([]wire.Message, n)
	for i := range msgs {
		msgs[i] = wire.Message{
			ID: int64(i + 1), Room: big, Author: wire.Author{ID: fmt.Sprint(i % 7), Username: fmt.Sprint("user", i%7)},
			Text: fmt.Sprintf("message %d: some words so that it looks like a line of chat", i), SentAt: t0.Add(time.Duration(i) * time.Second),
		}
		if i%10 == 0 {
			msgs[i].Text += " and every tenth one is longer, so that it wraps onto a second or third line of the conversation, with a link https://example.com/some/path"
		}
	}
	a := test.NewTempApp(b)
	var v *chatView
	bridge.DoAndWait(func() {
		ui := New(a, NoLAN())
		v = &chatView{ui: ui, rooms: map[string]*timeline{wire.DefaultRoom: newTimeline(), big: newTimeline()},
			joined: []string{wire.DefaultRoom, big}, current: wire.DefaultRoom, users: map[string]wire.User{}}
		ui.view = v
		v.build()
		ui.win.SetContent(v.content)
		ui.win.Resize(fyne.NewSize(960, 640))
	})
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bridge.DoAndWait(func() {
			v.switchRoom(wire.DefaultRoom)
			t := newTimeline() // never shown: nothing cached
			for _, m := range msgs {
				t.add(m)
			}
			v.rooms[big] = t
		})
		b.StartTimer()
		bridge.DoAndWait(func() { v.switchRoom(big) })
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/switch")
}
