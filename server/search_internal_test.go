package server

import (
	"fmt"
	"strings"
	"testing"

	"confab/wire"
)

func TestSnippet(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("filler ", 60) + "the Café opens " + strings.Repeat("more ", 60)
	for _, c := range []struct {
		text  string
		terms []string
		want  string
	}{
		{"Meet at the café, cafés close", []string{"cafe"}, "[{Meet at the  false} {café true} {,  false} {cafés true} { close false}]"},
		{"short, no match", []string{"zzz"}, "[{short, no match false}]"},
		{"e-mail me", []string{"e-mail"}, "[{e true} {- false} {mail true} { me false}]"},
	} {
		if got := fmt.Sprint(snippet(c.text, c.terms)); got != c.want {
			t.Errorf("%q %q: %s", c.text, c.terms, got)
		}
	}
	parts := snippet(long, []string{"CAFE"})
	var text strings.Builder
	matched := ""
	for _, p := range parts {
		text.WriteString(p.Text)
		if p.Match {
			matched += p.Text
		}
	}
	if n := len([]rune(text.String())); n > wire.SnippetRunes+2 || parts[0].Text != "…" || parts[len(parts)-1].Text != "…" || matched != "Café" {
		t.Errorf("long text: %d runes, %v", n, parts)
	}
}
