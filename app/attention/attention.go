// Package attention lets the window ask for the user's attention while it
// is in the background (the taskbar or window manager marks it), and stop
// asking once it has it.
package attention

import (
	"log/slog"
	"sync"
)

// Urgency asks for attention on one window, off the caller's thread: Set
// never blocks, and the last state asked for is the one that stays.
type Urgency struct {
	mu         sync.Mutex
	window     uintptr // the native window, 0 for none
	want       bool
	doneWindow uintptr // what was applied last
	done       bool
	busy       bool // a goroutine applies
	logged     bool
}

// Set asks for attention on the native window (an X11 window id), or stops.
func (u *Urgency) Set(window uintptr, on bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.window, u.want = window, on
	if !u.busy {
		u.busy = true
		go u.apply()
	}
}

func (u *Urgency) apply() {
	for {
		u.mu.Lock()
		w, on := u.window, u.want
		if w == 0 || w == u.doneWindow && on == u.done {
			u.busy = false
			u.mu.Unlock()
			return
		}
		u.mu.Unlock()
		err := setUrgent("", w, on)
		u.mu.Lock()
		u.doneWindow, u.done = w, on // not tried again when it failed: it would fail again
		if err != nil && !u.logged {
			u.logged = true
			slog.Info("the window cannot ask for attention", "err", err)
		}
		u.mu.Unlock()
	}
}
