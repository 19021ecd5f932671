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

// Drain applies every value of ch on the UI thread, in order, until ch is
// closed; then done runs there too (if not nil). It returns at once.
func Drain[T any](ch <-chan T, apply func(T), done func()) {
	go func() {
		for v := range ch {
			fyne.DoAndWait(serial(func() { apply(v) }))
		}
		if done != nil {
			Do(done)
		}
	}()
}
