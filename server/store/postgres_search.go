package store

import (
	"context"
	"database/sql"
	"strings"
)

// PostgreSQL's counterpart of the FTS5 index (search.go): a tsvector of
// each message's text, a generated column kept by the server itself, under
// a GIN index. Words are split by PostgreSQL's parser with the 'simple'
// configuration (lower case, no stemming, no stop words), after the Latin
// letters with diacritics are folded to their base letters (foldFrom to
// foldTo, by translate: what FTS5's remove_diacritics does), so "deploy"
// finds "Déploy". docs/postgres.md says where the two engines' words differ.

// foldFrom and foldTo: the letters of U+00C0-U+024F and U+1E00-U+1EFF that
// are an ASCII letter with combining marks, and that letter. They are part
// of migration 2 and of every search: never edit them (a new folding is a
// new migration).
const (
	foldFrom = `ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ`
	foldTo   = `AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaGgKkOoOojGgNnAaAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy`
)

// pgSearchSchema is migration 2: the index of words.
const pgSearchSchema = `ALTER TABLE messages ADD COLUMN text_search tsvector
		GENERATED ALWAYS AS (to_tsvector('simple', translate(text, '` + foldFrom + `', '` + foldTo + `'))) STORED;
	CREATE INDEX messages_text_search ON messages USING GIN (text_search);`

// match is the condition that a message holds every term, each word of a
// term, the last as a prefix (as FTS5's "term"*). The terms are made a
// tsquery by PostgreSQL's own parser (phraseto_tsquery), never read as its
// syntax; a term without a word matches nothing (ok false).
func (pgEngine) match(ctx context.Context, db *sql.DB, terms []string) (m searchMatch, ok bool, err error) {
	parts := make([]string, len(terms))
	for i, t := range terms {
		var q string
		err := db.QueryRowContext(ctx, `SELECT CAST(phraseto_tsquery('simple', translate(?, '`+foldFrom+`', '`+foldTo+`')) AS TEXT)`,
			t).Scan(&q)
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
