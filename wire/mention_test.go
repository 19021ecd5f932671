package wire

import (
	"fmt"
	"strings"
	"testing"
)

func TestMentions(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"hi @alice and @Bob.":       "[alice Bob]",
		"@alice @ALICE @alice.":     "[alice]",
		"mail@bob.com, @bo, @":      "[]", // an address; a name too short
		"@carol-x,@dave_1 (@eve.f)": "[carol-x dave_1 eve.f]",
		"@@frank":                   "[frank]",
		"@user@user":                "[user]", // the second is mid-word
	} {
		if got := fmt.Sprint(Mentions(text)); got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
	var many strings.Builder
	for i := range MaxMentions + 5 {
		fmt.Fprintf(&many, "@user%02d ", i)
	}
	if got := Mentions(many.String()); len(got) != MaxMentions || got[0] != "user00" {
		t.Errorf("many: %v", got)
	}
}
