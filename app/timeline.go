package app

import (
	"sort"
	"time"

	"confab/client"
	"confab/wire"
)

// entry is one line of a conversation: a stored message, or one of ours on
// its way (pending or failed).
type entry struct {
	msg      wire.Message
	outgoing *client.Outgoing // ours, not yet stored
}

func (e entry) id() int64 { return e.msg.ID }

// timeline is one room's conversation, ordered by message id, with our
// unsent messages after the stored ones. It holds no widgets.
type timeline struct {
	stored  []entry                // by id, no duplicates
	ids     map[int64]bool         //
	pending []entry                // ours, in the order typed
	unread  int                    // messages that arrived while the room was not shown
	oldest  int64                  // smallest id loaded (for loading older pages)
	more    bool                   // older messages may exist
	byCID   map[string]int64       // clientId -> stored id, to settle pending entries
	typed   map[string]time.Time   // clientId -> when we sent it (this session)
	heights map[int64]cachedHeight // message id -> its row's height, as last measured
	now     func() time.Time
}

// cachedHeight is a row's height at one width, with or without a header.
type cachedHeight struct {
	width, height float32
	header        bool
}

func newTimeline() *timeline {
	return &timeline{ids: map[int64]bool{}, byCID: map[string]int64{}, more: true,
		typed: map[string]time.Time{}, heights: map[int64]cachedHeight{}, now: time.Now}
}

// add inserts a stored message; it reports whether it was new.
func (t *timeline) add(m wire.Message) bool {
	if t.ids[m.ID] {
		return false
	}
	t.ids[m.ID] = true
	i := sort.Search(len(t.stored), func(i int) bool { return t.stored[i].msg.ID > m.ID })
	t.stored = append(t.stored, entry{})
	copy(t.stored[i+1:], t.stored[i:])
	t.stored[i] = entry{msg: m}
	if t.oldest == 0 || m.ID < t.oldest {
		t.oldest = m.ID
	}
	if m.ClientID != "" {
		t.byCID[m.ClientID] = m.ID
		t.dropPending(m.ClientID)
	}
	return true
}

// track follows one of our messages: pending and failed ones are shown at
// the end; a sent one becomes a stored message.
func (t *timeline) track(o client.Outgoing) {
	if o.State == client.Sent && o.Message != nil {
		t.add(*o.Message)
		return
	}
	for i := range t.pending {
		if t.pending[i].outgoing.ClientID == o.ClientID {
			t.pending[i].outgoing = &o
			return
		}
	}
	if _, seen := t.typed[o.ClientID]; !seen {
		t.typed[o.ClientID] = t.now() // its first event comes as it is sent
	}
	if _, stored := t.byCID[o.ClientID]; !stored {
		t.pending = append(t.pending, entry{outgoing: &o, msg: wire.Message{Text: o.Text, Room: o.Room}})
	}
}

func (t *timeline) dropPending(clientID string) {
	for i := range t.pending {
		if t.pending[i].outgoing.ClientID == clientID {
			t.pending = append(t.pending[:i], t.pending[i+1:]...)
			return
		}
	}
}

func (t *timeline) len() int { return len(t.stored) + len(t.pending) }

func (t *timeline) at(i int) entry {
	if i < len(t.stored) {
		return t.stored[i]
	}
	return t.pending[i-len(t.stored)]
}

// startsGroup reports whether entry i needs a header (author and time):
// a new author, a new day, or a pause of over five minutes.
func (t *timeline) startsGroup(i int) bool {
	if i == 0 {
		return true
	}
	cur, prev := t.at(i), t.at(i-1)
	if cur.outgoing != nil || prev.outgoing != nil {
		return cur.outgoing == nil || prev.outgoing == nil
	}
	if cur.msg.Author.ID != prev.msg.Author.ID {
		return true
	}
	cy, cm, cd := cur.msg.SentAt.Local().Date()
	py, pm, pd := prev.msg.SentAt.Local().Date()
	return cy != py || cm != pm || cd != pd || cur.msg.SentAt.Sub(prev.msg.SentAt) > groupPause
}

const groupPause = 5 * time.Minute
