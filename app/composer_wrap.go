package app

import (
	"unicode"

	"fyne.io/fyne/v2"
)

// span is one visual row of the composer: the runes [start, end) of its
// text. A row never holds the '\n' that ends its paragraph.
type span struct{ start, end int }

// wrapRows breaks text into rows no wider than width, at spaces where it
// can and inside a word only when the word alone is wider than a row.
// Spaces stay at the end of the row they follow (past the edge, as in a
// browser), so every position of the text, its end included, lies in a
// row: the cursor never has to be moved to fit the layout.
//
// The cost is linear in the text: words are measured one by one (and
// remembered by w), not the rest of the paragraph per row as Fyne's
// RichText does.
func wrapRows(text []rune, width float32, w func([]rune) float32) []span {
	var rows []span
	for start := 0; start <= len(text); {
		end := start
		for end < len(text) && text[end] != '\n' {
			end++
		}
		rows = wrapParagraph(rows, text, start, end, width, w)
		start = end + 1
	}
	return rows
}

// wrapParagraph appends the rows of text[ps:pe], which has no '\n'.
func wrapParagraph(rows []span, text []rune, ps, pe int, width float32, w func([]rune) float32) []span {
	maxRunes := int(width/minGlyph) + 1 // more never fit in a row
	rowStart, x, words := ps, float32(0), 0
	for i := ps; i < pe; {
		j := i
		if unicode.IsSpace(text[i]) {
			for j < pe && unicode.IsSpace(text[j]) {
				j++
			}
			x += w(text[i:j]) // spaces hang at the row's end: they never start a row
			i = j
			continue
		}
		for j < pe && !unicode.IsSpace(text[j]) {
			j++
		}
		fits, ww := false, float32(0)
		if j-i <= maxRunes { // a longer word is not measured whole: that would be quadratic
			ww = w(text[i:j])
			fits = x+ww <= width || words == 0 && ww <= width
		}
		switch {
		case fits:
			x += ww
			words++
			i = j
		case words > 0: // the word starts the next row
			rows = append(rows, span{rowStart, i})
			rowStart, x, words = i, 0, 0
		default: // a word wider than a row: break it where the row is full
			k := fitRunes(text, i, j, width-x, w)
			rows = append(rows, span{rowStart, k})
			rowStart, x, words = k, 0, 0
			i = k
		}
	}
	return append(rows, span{rowStart, pe})
}

// minGlyph is narrower than any glyph at a readable size (px): a row holds
// at most width/minGlyph runes.
const minGlyph = 2

// fitRunes returns the largest k in (i, j] with text[i:k] no wider than
// width (at least i+1). The search stops at width/minGlyph runes, so that
// a long unbroken string costs little per row.
func fitRunes(text []rune, i, j int, width float32, w func([]rune) float32) int {
	lo, hi := i+1, min(j, i+int(width/minGlyph)+1)
	if hi < lo {
		return lo
	}
	for lo < hi { // invariant: text[i:lo] fits, or lo == i+1
		mid := (lo + hi + 1) / 2
		if w(text[i:mid]) <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// textMeasurer measures runs of text in one size and style, remembering
// the widths: re-wrapping after a key then measures only the word typed.
type textMeasurer struct {
	size   float32
	style  fyne.TextStyle
	widths map[string]float32
}

const measureCacheMax = 8192 // entries; the cache starts over beyond this

func (m *textMeasurer) width(rs []rune) float32 {
	s := string(rs)
	if w, ok := m.widths[s]; ok {
		return w
	}
	if m.widths == nil || len(m.widths) >= measureCacheMax {
		m.widths = make(map[string]float32)
	}
	w := fyne.MeasureText(s, m.size, m.style).Width
	m.widths[s] = w
	return w
}

// setFont starts over when the theme's text size changes.
func (m *textMeasurer) setFont(size float32, style fyne.TextStyle) {
	if size != m.size || style != m.style {
		m.size, m.style, m.widths = size, style, nil
	}
}
