package app

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
