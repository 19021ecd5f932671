package client

import (
	"testing"

	"confab/wire"
)

// A room's change number moves only over a change that follows it: a gap
// means a change was missed, to be asked for after the next reconnect.
func TestChangeNumberMovesOnlyWithoutGaps(t *testing.T) {
	t.Parallel()
	c := &Chat{rooms: map[string]*roomState{"general": {seq: 3, seqKnown: true}, "unknown": {}}}
	for _, s := range []struct {
		room string
		rev  int64
		want int64
	}{
		{"general", 4, 4},
		{"general", 6, 4}, // 5 was not seen
		{"general", 4, 4}, // again
		{"general", 5, 5},
		{"general", 2, 5}, // late
		{"unknown", 1, 0}, // no number known: nothing to move
	} {
		c.sawChange(wire.Message{Room: s.room, Rev: s.rev})
		if got := c.rooms[s.room].seq; got != s.want {
			t.Errorf("%s after rev %d: %d, want %d", s.room, s.rev, got, s.want)
		}
	}
}
