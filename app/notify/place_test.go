package notify

import "testing"

// A private conversation is named by its place, not its room's "~12".
func TestFormatNamesPrivatePlaces(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r       room
		summary string
	}{
		{room{count: 1, sender: "bob", text: "hi", place: "a direct message"}, "bob in a direct message"},
		{room{count: 2, sender: "bob", text: "hi", place: "Launch plans"}, "2 new messages in Launch plans"},
	} {
		if n := format("~12", &c.r, ShowText); n.Summary != c.summary {
			t.Errorf("%q, want %q", n.Summary, c.summary)
		}
	}
}
