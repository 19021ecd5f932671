package app

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Light Markdown for messages: *emphasis* or _emphasis_, **strong**,
// `inline code`, ``` code blocks ```, [text](url) and bare http(s) URLs.
// Parsing only decides how the text is drawn: the message itself (what is
// stored and copied) is never changed. Anything that does not parse is
// shown as typed.

// mdStyle is a set of inline styles.
type mdStyle uint8

const (
	mdEm mdStyle = 1 << iota
	mdStrong
	mdCode
	mdMention // @name (mentions.go)
)

// mdSpan is a run of text in one style; link is set (and safe to open)
// for links.
type mdSpan struct {
	text  string
	style mdStyle
	link  string
}

// mdBlock is a paragraph (spans, '\n' in them are line breaks) or a code
// block (one span, shown verbatim).
type mdBlock struct {
	code  bool
	spans []mdSpan
}

const fence = "```"

// parseMarkdown splits a message into paragraphs and code blocks.
func parseMarkdown(s string) []mdBlock {
	var blocks []mdBlock
	text := func(t string) {
		if t != "" {
			blocks = append(blocks, mdBlock{spans: parseInline(t, 0)})
		}
	}
	for {
		open := strings.Index(s, fence)
		if open < 0 {
			break
		}
		body := s[open+len(fence):]
		end := strings.Index(body, fence)
		if end < 0 || strings.TrimSpace(body[:end]) == "" {
			break // unclosed or empty: shown as typed
		}
		text(strings.TrimSuffix(s[:open], "\n"))
		blocks = append(blocks, mdBlock{code: true, spans: []mdSpan{{text: codeBody(body[:end]), style: mdCode}}})
		s = strings.TrimPrefix(body[end+len(fence):], "\n")
	}
	text(s)
	return blocks
}

// codeBody drops a fence's language tag ("```go") and the line breaks
// that only separate the fences from the code.
func codeBody(c string) string {
	if nl := strings.IndexByte(c, '\n'); nl >= 0 {
		if tag := c[:nl]; len(tag) <= 20 && !strings.ContainsAny(tag, " \t`") {
			c = c[nl+1:]
		}
	}
	return strings.TrimSuffix(c, "\n")
}

// parseInline splits paragraph text into styled spans.
func parseInline(s string, style mdStyle) []mdSpan {
	var out []mdSpan
	var plain strings.Builder
	emit := func(sp ...mdSpan) {
		if plain.Len() > 0 {
			out = append(out, mdSpan{text: plain.String(), style: style})
			plain.Reset()
		}
		out = append(out, sp...)
	}
	for i := 0; i < len(s); {
		rest := s[i:]
		switch c := s[i]; {
		case c == '`':
			if end := strings.IndexByte(rest[1:], '`'); end > 0 {
				emit(mdSpan{text: rest[1 : 1+end], style: style | mdCode})
				i += end + 2
				continue
			}
		case c == '*' && strings.HasPrefix(rest, "**") && style&mdStrong == 0:
			if end := closer(rest, "**", false); end > 0 {
				emit(parseInline(rest[2:end], style|mdStrong)...)
				i += end + 2
				continue
			}
			fallthrough
		case c == '*' || c == '_':
			if style&mdEm == 0 && (c == '*' || !wordBefore(s, i)) {
				if end := closer(rest, string(c), c == '_'); end > 0 {
					emit(parseInline(rest[1:end], style|mdEm)...)
					i += end + 1
					continue
				}
			}
		case c == '[':
			if text, link, n := parseLink(rest); n > 0 {
				emit(mdSpan{text: text, style: style, link: link})
				i += n
				continue
			}
		case c == '@' && !wordBefore(s, i) && style&mdCode == 0:
			if n := mentionLen(rest); n > 0 {
				emit(mdSpan{text: rest[:n], style: style | mdMention})
				i += n
				continue
			}
		case (c == 'h' || c == 'H') && !wordBefore(s, i):
			if n := bareURL(rest); n > 0 {
				emit(mdSpan{text: rest[:n], style: style, link: rest[:n]})
				i += n
				continue
			}
		}
		_, n := utf8.DecodeRuneInString(rest)
		plain.WriteString(rest[:n])
		i += n
	}
	emit()
	return out
}

// closer finds where the marker opened at s[0] closes: the opener is
// followed by a non-space, the closer preceded by one, code spans are
// skipped, and a single '*' does not close at a "**". For '_' the closer
// must end a word, so snake_case stays as typed. It returns -1 if none.
func closer(s, marker string, wordEnd bool) int {
	m := len(marker)
	if len(s) <= m || unicode.IsSpace(rune(s[m])) {
		return -1
	}
	for i := m + 1; i < len(s); i++ {
		if s[i] == '`' {
			if end := strings.IndexByte(s[i+1:], '`'); end >= 0 {
				i += end + 1
			}
			continue
		}
		if s[i] != marker[0] {
			continue
		}
		run := i
		for run < len(s) && s[run] == marker[0] {
			run++
		}
		switch {
		case unicode.IsSpace(rune(s[i-1])), run-i < m, m == 1 && run-i == 2,
			wordEnd && run < len(s) && isWordByte(s[run]):
			i = run - 1 // not this run
			continue
		}
		return run - m // the closer is the run's last marker
	}
	return -1
}

func wordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isWordByte(b byte) bool {
	return b == '_' || b >= utf8.RuneSelf || unicode.IsLetter(rune(b)) || unicode.IsDigit(rune(b))
}

// parseLink reads "[text](url)" at the start of s; it returns the text,
// the URL and the length read, or n == 0 if it is not a link that may be
// opened (only http, https and mailto are).
func parseLink(s string) (text, link string, n int) {
	closeText := strings.Index(s, "](")
	if closeText <= 1 || strings.ContainsAny(s[1:closeText], "[\n") {
		return "", "", 0
	}
	depth := 0
	for i := closeText + 2; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				link = strings.TrimSpace(s[closeText+2 : i])
				if !safeURL(link) {
					return "", "", 0
				}
				return s[1:closeText], link, i + 1
			}
			depth--
		case ' ', '\n', '\t':
			return "", "", 0
		}
	}
	return "", "", 0
}

// bareURL returns the length of an http(s) URL at the start of s: up to
// the next space, without trailing punctuation or an unmatched ')'.
func bareURL(s string) int {
	lower := strings.ToLower(s[:min(len(s), 8)])
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return 0
	}
	n := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("<>\"`", r) })
	if n < 0 {
		n = len(s)
	}
	for n > 0 {
		last := s[n-1]
		if strings.IndexByte(".,:;!?'*_", last) >= 0 ||
			last == ')' && strings.Count(s[:n], "(") < strings.Count(s[:n], ")") {
			n--
			continue
		}
		break
	}
	if !safeURL(s[:n]) {
		return 0
	}
	return n
}

// safeURL reports whether a link may be opened: http and https with a
// host, or mailto. Anything else (file:, javascript:, …) stays text.
func safeURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// mdLinks lists a message's links, in order, without repeats.
func mdLinks(blocks []mdBlock) []string {
	var out []string
	seen := map[string]bool{}
	for _, b := range blocks {
		for _, sp := range b.spans {
			if sp.link != "" && !seen[sp.link] {
				seen[sp.link] = true
				out = append(out, sp.link)
			}
		}
	}
	return out
}
