package locale

import "testing"

func TestLanguages(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		locs   []string // as go-locale reads them
		want   string
		change bool
	}{
		{[]string{"C"}, "en", true}, // LANG=C.UTF-8
		{[]string{"xx-YY"}, "en", true},
		{[]string{"zz", "fr", "de-DE"}, "fr:de-DE", true},
		{[]string{"de-DE"}, "", false},
		{[]string{"fr", "en"}, "", false},
		{nil, "", false}, // LANG=C, POSIX or nothing: go-locale reads nothing
	} {
		got, change := Languages(c.locs)
		if got != c.want || change != c.change {
			t.Errorf("%q: %q %v, want %q %v", c.locs, got, change, c.want, c.change)
		}
	}
}
