package store

import (
	"context"
	"database/sql"
	"strings"
	"unicode/utf8"
)

// PostgreSQL's counterpart of the FTS5 index (search.go): a tsvector of
// each message's text, the column text_search under a GIN index. Words are
// split by PostgreSQL's parser with the 'simple' configuration (lower case,
// no stemming, no stop words), after the Latin letters with diacritics are
// folded to their base letters (foldFrom to foldTo: what FTS5's
// remove_diacritics does), so "deploy" finds "Déploy". docs/postgres.md
// says where the two engines' words differ.
//
// Migration 2 made text_search a generated column folding with translate;
// migration 3 made it a plain one that every write of a message's text sets
// (searchWords) from the text folded here in Go, with the same table: the
// translate of 488 letters cost ~0.4 ms a message inside the insert, under
// the cluster's one lock on messages (LockMessages), which capped the
// whole cluster's message rate. Old rows keep their words: both folds give
// the same text.

// foldFrom and foldTo: the letters of U+00C0-U+024F and U+1E00-U+1EFF that
// are an ASCII letter with combining marks, and that letter. They are part
// of migration 2 and of every search: never edit them (a new folding is a
// new migration).
const (
	foldFrom = `ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ`
	foldTo   = `AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy`
)

// foldRunes maps each letter of foldFrom to its letter of foldTo.
var foldRunes = func() map[rune]rune {
	m := make(map[rune]rune, utf8.RuneCountInString(foldFrom))
	to := []rune(foldTo)
	for i, r := range []rune(foldFrom) {
		if _, dup := m[r]; !dup { // as translate: the first one counts
			m[r] = to[i]
		}
	}
	return m
}()

// FoldForSearch is text as PostgreSQL's index of words takes it: each
// letter of foldFrom replaced by its letter of foldTo, exactly what
// translate(text, foldFrom, foldTo) gives. The importer indexes the
// messages it copies with it.
func FoldForSearch(text string) string {
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf { // ASCII only (most messages): nothing to fold
			return strings.Map(func(r rune) rune {
				if to, ok := foldRunes[r]; ok {
					return to
				}
				return r
			}, text)
		}
	}
	return text
}

// SearchWordsSQL is the SQL value of text_search for a message whose text,
// folded by FoldForSearch, is the parameter param ("?" or "$n").
func SearchWordsSQL(param string) string { return `to_tsvector('simple', CAST(` + param + ` AS TEXT))` }

// searchWords is what a write of a message's text also writes on
// PostgreSQL: text_search, from the folded text.
func (pgEngine) searchWords(text string) (column, value string, arg any) {
	return "text_search", SearchWordsSQL("?"), FoldForSearch(text)
}

// pgSearchSchema is migration 2: the index of words.
const pgSearchSchema = `ALTER TABLE messages ADD COLUMN text_search tsvector
		GENERATED ALWAYS AS (to_tsvector('simple', translate(text, '` + foldFrom + `', '` + foldTo + `'))) STORED;
	CREATE INDEX messages_text_search ON messages USING GIN (text_search);`

// pgSearchPlainSchema is migration 3: text_search a plain column, which
// keeps the words it holds; NOT NULL, so an insert that forgets it fails.
const pgSearchPlainSchema = `ALTER TABLE messages ALTER COLUMN text_search DROP EXPRESSION;
	ALTER TABLE messages ALTER COLUMN text_search SET NOT NULL;`

// match is the condition that a message holds every term, each word of a
// term, the last as a prefix (as FTS5's "term"*). The terms are made a
// tsquery by PostgreSQL's own parser (phraseto_tsquery), never read as its
// syntax; a term without a word matches nothing (ok false).
func (pgEngine) match(ctx context.Context, db *sql.DB, terms []string) (m searchMatch, ok bool, err error) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		var q string
		err := db.QueryRowContext(ctx, `SELECT CAST(phraseto_tsquery('simple', CAST(? AS TEXT)) AS TEXT)`,
			FoldForSearch(t)).Scan(&q)
		if err != nil {
			return searchMatch{}, false, err
		}
		if q == "" {
			return searchMatch{}, false, nil
		}
		parts[i] = "(" + q + ":*)"
	}
	return searchMatch{from: `messages m`, order: `m.id`, cond: `m.text_search @@ CAST(? AS tsquery)`,
		arg: strings.Join(parts, " & ")}, true, nil
}
