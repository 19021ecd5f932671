package store

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// Look-alike usernames: a name is refused at sign-up when it could be read as
// one already taken. The test is Unicode's confusable detection (UTS #39: two
// strings are confusable when their skeletons are equal), with the data of
// confusables.txt as packaged by github.com/mtibben/confusables, adapted to
// usernames, which name the same account in any letter case.
//
// A username's look-alike keys are the skeletons of its NFKC form written in
// four ways: as registered, in lower case, in upper case, and capitalized
// ("aIice": "aIice", "aiice", "AIICE", "Aiice"). Two names are too similar
// when they share a key: one of them, written one way, reads as the other
// written some way.
//
//   - NFKC maps compatibility forms to their plain letter, as identifiers are
//     normalized (UAX #31): fullwidth "ｍ" is "m".
//   - The skeleton maps each character to the prototype it can be mistaken
//     for: "I", "1" and "|" to "l", "0" to "O", "m" to "rn", Cyrillic "а"
//     to "a". It is case-sensitive: capital I reads as l, small i does not.
//   - The four case forms are why: "aIice" next to "alice" meet as written,
//     "a1ice" next to "ALICE" in lower case, "ALlCE" next to "alice" in upper
//     case, "AIice" next to "alice" capitalized ("Alice"), "b0b" next to
//     "bob" in upper case ("BOB"). The same name in another case always
//     shares its lower-case key. Folding case after the skeleton instead
//     would meet I with L and refuse "NEIL" next to "Nell"; folding it before
//     would miss "aIice".
//
// Refused although not obvious: "rn" reads as "m" in UTS #39 ("arnie" next to
// "amie"), "Ian" next to "Lan" (Lan is also "lan"), "al1ce" next to "alice"
// (AL1CE, ALICE). Allowed: "aiice", "Neil" next to "Nell", "user1" next to
// "user10". Usernames are ASCII (package wire), where the data's other
// mappings concern characters a username cannot hold.
//
// Changing lookalikeKeys changes stored keys: it needs a migration that
// fills them again (fillLookalikeKeys).

// lookalikeKeys returns the distinct look-alike keys of a username, sorted.
func lookalikeKeys(name string) []string {
	name = norm.NFKC.String(name)
	lower := strings.ToLower(name)
	title := lower
	if r, n := utf8.DecodeRuneInString(lower); n > 0 {
		title = string(unicode.ToTitle(r)) + lower[n:]
	}
	keys := []string{
		confusables.Skeleton(name),
		confusables.Skeleton(lower),
		confusables.Skeleton(strings.ToUpper(name)),
		confusables.Skeleton(title),
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Lookalike reports whether two usernames are too similar to both exist; the
// same name in another letter case is.
func Lookalike(a, b string) bool {
	bk := lookalikeKeys(b)
	return slices.ContainsFunc(lookalikeKeys(a), func(k string) bool { return slices.Contains(bk, k) })
}
