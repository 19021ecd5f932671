// Package locale keeps Fyne from logging "Error parsing user locale C" at
// every start on a system whose locale is C or POSIX (LANG=C.UTF-8, as on
// many Debian installs and containers).
//
// Fyne's lang package picks its translation in its own init: go-locale
// reads LC_ALL, LC_MESSAGES or LANG, and for "C.UTF-8" (not exactly "C")
// hands back the language "C", which is no language tag
// (fyne.io/fyne/v2@v2.7.1/lang/locale.go:35, closestSupportedLocale). That
// happens before main runs, so the fix is an init of its own: Go
// initializes packages in the order of their import paths where
// dependencies allow (the spec, "Package initialization"), and "confab/…"
// comes before "fyne.io/…", and this package imports only os and strings.
// Import it for its side effect from the package that imports Fyne.
package locale

import (
	"os"
	"strings"
)

func init() { Default(os.Getenv, os.Setenv) }

// Default sets LANGUAGE to English when the locale names no language (C,
// POSIX, with or without an encoding) and LANGUAGE is not set: go-locale
// then reads "en". With LANGUAGE set, or a real locale, nothing changes.
// C programs ignore LANGUAGE under the C locale, so nothing else changes.
func Default(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(name); loc != "" {
			break
		}
	}
	lang, _, _ := strings.Cut(loc, ".")
	if lang == "C" || lang == "POSIX" {
		setenv("LANGUAGE", "en") //nolint:errcheck // at worst Fyne logs its error
	}
}
