// Package bridge is the only place that hands work from other goroutines to
// Fyne's UI thread: network results and chat events reach widgets through it.
package bridge

import (
	"sync"

	"fyne.io/fyne/v2"
)

// mu runs bridged work one piece at a time. The desktop driver already runs
// it on its one UI thread; Fyne's test driver runs it on the caller's
// goroutine, and without this the work of two goroutines would interleave.
var mu sync.Mutex

func serial(f func()) func() {
	return func() {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
}

// Do runs f on the UI thread.
func Do(f func()) { fyne.Do(serial(f)) }

// DoAndWait runs f on the UI thread and waits for it.
func DoAndWait(f func()) { fyne.DoAndWait(serial(f)) }

// maxBatch bounds how many values one trip to the UI thread applies.
const maxBatch = 500

// Drain applies every value of ch on the UI thread, in order, until ch is
// closed. Values that are already waiting are applied together, followed by
// one call of flush (if not nil), so a burst (a history page, a catch-up)
// costs one redraw, not one per value. It returns at once.
func Drain[T any](ch <-chan T, apply func(T), flush func()) {
	go func() {
		for v := range ch {
			batch := []T{v}
		fill:
			for len(batch) < maxBatch {
				select {
				case w, ok := <-ch:
					if !ok {
						break fill
					}
					batch = append(batch, w)
				default:
					break fill
				}
			}
			fyne.DoAndWait(serial(func() {
				for _, w := range batch {
					apply(w)
				}
				if flush != nil {
					flush()
				}
			}))
		}
	}()
}
