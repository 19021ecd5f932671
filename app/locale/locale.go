// Package locale keeps Fyne from logging "Error parsing user locale …" at
// every start, for the desktop app and the headless commands alike, on a
// system whose locale names no language Fyne can parse: C or POSIX with an
// encoding (LANG=C.UTF-8, as on many Debian installs and containers), or a
// language tag that does not exist (LANG=xx_YY, LANGUAGE=zz:en).
//
// Fyne's lang package picks its translation in its own init: go-locale
// reads LANGUAGE, LC_ALL, LC_MESSAGES or LANG, and every tag it hands back
// is parsed with golang.org/x/text/language; one that does not parse is
// logged (fyne.io/fyne/v2@v2.7.1/lang/locale.go:35, closestSupportedLocale).
// That happens before main runs, so the fix is an init of its own: Go
// initializes packages in the order of their import paths where
// dependencies allow (the spec, "Package initialization"), "confab/…" comes
// before "fyne.io/…", and this package imports only what Fyne's lang
// package imports itself (os, strings, go-locale, x/text/language), so it
// is ready no later than Fyne's. Import it for its side effect from the
// package that imports Fyne.
package locale

import (
	"os"
	"strings"

	golocale "github.com/jeandeaual/go-locale"
	"golang.org/x/text/language"
)

func init() {
	locs, err := golocale.GetLocales()
	if err != nil {
		return // Fyne logs this one itself; nothing here would change it
	}
	if langs, change := Languages(locs); change {
		os.Setenv("LANGUAGE", langs) //nolint:errcheck // at worst Fyne logs its error
	}
}

// Languages is what LANGUAGE must be for every tag go-locale reads to
// parse: the tags read that do parse, or English when none does; change
// is false when all parse already. go-locale reads LANGUAGE whenever the
// locale is not exactly C or POSIX (when it is, it reads nothing and Fyne
// logs nothing), so setting LANGUAGE is enough. C programs ignore LANGUAGE
// under the C locale, so nothing else changes.
func Languages(locs []string) (langs string, change bool) {
	var ok []string
	for _, loc := range locs {
		if _, err := language.Parse(loc); err == nil {
			ok = append(ok, loc)
		}
	}
	if len(ok) == len(locs) {
		return "", false
	}
	if len(ok) == 0 {
		return "en", true
	}
	return strings.Join(ok, ":"), true
}
