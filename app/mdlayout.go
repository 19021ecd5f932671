package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// A message body is laid out here, word by word, with Fyne's own text
// measurement. The same function gives a row its height and places its
// text, so a row is exactly as tall as what it draws at any width. Words
// (URLs too) move to the next line whole; only a word longer than a line
// is broken.

// mdPiece is one piece of text at its place in the body.
type mdPiece struct {
	text  string
	style mdStyle
	link  string
	pos   fyne.Position
	size  fyne.Size
	textX float32 // where the text starts in the piece (after a code pad)
}

// mdLayout is a body laid out at one width.
type mdLayout struct {
	pieces []mdPiece
	code   []fyne.Position // backgrounds of code: top-left corners…
	codeSz []fyne.Size     // …and sizes
	height float32
}

// textMetrics are the theme's text sizes, looked up once per layout.
type textMetrics struct {
	size, lineH, codePadX, codePadY, blockGap float32
}

func currentMetrics() textMetrics {
	size := theme.TextSize()
	lineH := float32(0)
	for _, st := range []fyne.TextStyle{{}, {Bold: true}, {Italic: true}, {Bold: true, Italic: true}, {Monospace: true}} {
		lineH = max(lineH, fyne.MeasureText("Mg", size, st).Height)
	}
	return textMetrics{size: size, lineH: lineH, codePadX: 3, codePadY: theme.Padding(), blockGap: theme.Padding()}
}

func (st mdStyle) textStyle() fyne.TextStyle {
	return fyne.TextStyle{Bold: st&(mdStrong|mdMention) != 0, Italic: st&mdEm != 0, Monospace: st&mdCode != 0}
}

func (m textMetrics) width(text string, st mdStyle) float32 {
	return fyne.MeasureText(text, m.size, st.textStyle()).Width
}

// mdToken is a word, a run of spaces or a line break in one style.
type mdToken struct {
	text       string
	style      mdStyle
	link       string
	space, nl  bool
	padL, padR bool // first or last token of inline code
}

// displayText is what is drawn for a piece of text: tabs as spaces and no
// carriage returns (the message keeps them).
func displayText(s string) string {
	if strings.ContainsAny(s, "\t\r") {
		s = strings.NewReplacer("\t", "    ", "\r", "").Replace(s)
	}
	return s
}

func tokenize(spans []mdSpan) []mdToken {
	var toks []mdToken
	for _, sp := range spans {
		first := len(toks)
		text := displayText(sp.text)
		for len(text) > 0 {
			if text[0] == '\n' {
				toks = append(toks, mdToken{nl: true, style: sp.style})
				text = text[1:]
				continue
			}
			space := text[0] == ' '
			n := strings.IndexFunc(text, func(r rune) bool { return r == '\n' || (r == ' ') != space })
			if n < 0 {
				n = len(text)
			}
			toks = append(toks, mdToken{text: text[:n], style: sp.style, link: sp.link, space: space})
			text = text[n:]
		}
		if sp.style&mdCode != 0 && len(toks) > first {
			toks[first].padL = true
			toks[len(toks)-1].padR = true
		}
	}
	return toks
}

// layoutMarkdown lays blocks out in width.
func layoutMarkdown(blocks []mdBlock, width float32, m textMetrics) mdLayout {
	var l mdLayout
	y := float32(0)
	for i, b := range blocks {
		if i > 0 {
			y += m.blockGap
		}
		if b.code {
			y = l.codeBlock(b.spans[0].text, y, width, m)
		} else {
			y = l.paragraph(tokenize(b.spans), y, width, m)
		}
	}
	l.height = y
	return l
}

// paragraph places words greedily and returns the y below it.
func (l *mdLayout) paragraph(toks []mdToken, y, width float32, m textMetrics) float32 {
	x := float32(0)
	wrapped := false // the line began by wrapping: its leading spaces are dropped
	newline := func(soft bool) {
		x, y, wrapped = 0, y+m.lineH, soft
	}
	for i := 0; i < len(toks); {
		t := toks[i]
		switch {
		case t.nl:
			newline(false)
			i++
			continue
		case t.space:
			switch w := pieceWidth(t, t.text, m); {
			case wrapped && x == 0:
			case x+w > width:
				x = width // the next word starts a line
			default:
				x += l.add(t, t.text, x, y, m)
			}
			i++
			continue
		}
		// A word, maybe of several styles ("**bold**text"): it moves whole.
		j, w := i, float32(0)
		for ; j < len(toks) && !toks[j].space && !toks[j].nl; j++ {
			w += pieceWidth(toks[j], toks[j].text, m)
		}
		if x > 0 && x+w > width {
			newline(true)
		}
		for _, t := range toks[i:j] {
			if x+pieceWidth(t, t.text, m) <= width {
				x += l.add(t, t.text, x, y, m)
				continue
			}
			// Longer than a line: break it where the line ends.
			runes := []rune(t.text)
			for len(runes) > 0 {
				n := fitSegmentRunes(runes, width-x, func(s string) float32 { return pieceWidth(t, s, m) })
				if n < len(runes) {
					n = breakAfterPunct(runes, n)
				}
				if n == 0 && x > 0 {
					newline(true)
					continue
				}
				n = max(n, 1)
				x += l.add(t, string(runes[:n]), x, y, m)
				if runes = runes[n:]; len(runes) > 0 {
					newline(true)
				}
			}
		}
		wrapped = false
		i = j
	}
	return y + m.lineH
}

// codeBlock places a code block's lines, broken where a line ends, on a
// background as wide as the body.
func (l *mdLayout) codeBlock(text string, y, width float32, m textMetrics) float32 {
	top := y
	y += m.codePadY
	inner := max(width-2*m.codePadX, 1)
	t := mdToken{style: mdCode}
	for _, line := range strings.Split(displayText(text), "\n") {
		runes := []rune(line)
		for {
			n := fitSegmentRunes(runes, inner, func(s string) float32 { return m.width(s, mdCode) })
			if n == 0 && len(runes) > 0 {
				n = 1
			}
			if n > 0 {
				l.pieces = append(l.pieces, mdPiece{text: string(runes[:n]), style: mdCode,
					pos: fyne.NewPos(m.codePadX, y), size: fyne.NewSize(m.width(string(runes[:n]), t.style), m.lineH)})
			}
			y += m.lineH
			if runes = runes[n:]; len(runes) == 0 {
				break
			}
		}
	}
	y += m.codePadY
	l.code = append(l.code, fyne.NewPos(0, top))
	l.codeSz = append(l.codeSz, fyne.NewSize(width, y-top))
	return y
}

func pieceWidth(t mdToken, s string, m textMetrics) float32 {
	w := m.width(s, t.style)
	if t.padL {
		w += m.codePadX
	}
	if t.padR {
		w += m.codePadX
	}
	return w
}

// add places a piece of token t and returns its width.
func (l *mdLayout) add(t mdToken, s string, x, y float32, m textMetrics) float32 {
	w := pieceWidth(t, s, m)
	p := mdPiece{text: s, style: t.style, link: t.link, pos: fyne.NewPos(x, y), size: fyne.NewSize(w, m.lineH)}
	if t.padL {
		p.textX = m.codePadX
	}
	l.pieces = append(l.pieces, p)
	if t.style&mdCode != 0 {
		if n := len(l.code) - 1; n >= 0 && l.code[n].Y == y && l.code[n].X+l.codeSz[n].Width == x {
			l.codeSz[n].Width += w // one background for "make package"
		} else {
			l.code = append(l.code, p.pos)
			l.codeSz = append(l.codeSz, p.size)
		}
	}
	return w
}

// breakAfterPunct moves a break in a word longer than a line back to just
// after a '/', '?', '&', '=', '#' or '-' (where a URL reads well broken),
// if one is in the second half of what fits.
func breakAfterPunct(runes []rune, n int) int {
	for i := n; i > n/2; i-- {
		if strings.ContainsRune("/?&=#-", runes[i-1]) {
			return i
		}
	}
	return n
}

// fitRunes returns how many of runes fit in width (binary search).
func fitSegmentRunes(runes []rune, width float32, measure func(string) float32) int {
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if measure(string(runes[:mid])) <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
