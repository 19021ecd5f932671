package client

import "time"

// A computer that sleeps stops Go's monotonic clock but not the wall
// clock. After a sleep, the server has long dropped our socket while our
// own ping timer still counts, so the gap between the two clocks is the
// sign to reconnect at once.

// Sleep detection.
const (
	clockCheck = 2 * time.Second // how often the clocks are compared
	clockSlack = 3 * time.Second // a larger gap than this means the computer slept (or the clock was set)
)

// wallNow reads the wall clock only; tests move it.
var wallNow = func() time.Time { return time.Now().Round(0) }

type clockWatch struct {
	mono time.Time // with its monotonic reading
	wall time.Time // without
}

func newClockWatch(now time.Time) *clockWatch {
	return &clockWatch{mono: now, wall: wallNow()}
}

// jumped reports whether the wall clock moved more than the monotonic one
// since the last look (now carries a monotonic reading).
func (w *clockWatch) jumped(now time.Time) bool { return w.jumpedAt(now, wallNow()) }

func (w *clockWatch) jumpedAt(now, wall time.Time) bool {
	gap := wall.Sub(w.wall) - now.Sub(w.mono)
	w.mono, w.wall = now, wall
	return gap > clockSlack || gap < -clockSlack
}
