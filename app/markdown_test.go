package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// render shows parsed blocks compactly: *em*, **strong**, `code`,
// [text](link) and ```code blocks```.
func render(blocks []mdBlock) string {
	var b strings.Builder
	for i, bl := range blocks {
		if i > 0 {
			b.WriteString(" | ")
		}
		if bl.code {
			fmt.Fprintf(&b, "```%s```", bl.spans[0].text)
			continue
		}
		for _, sp := range bl.spans {
			t := sp.text
			if sp.style&mdCode != 0 {
				t = "`" + t + "`"
			}
			if sp.style&mdEm != 0 {
				t = "*" + t + "*"
			}
			if sp.style&mdStrong != 0 {
				t = "**" + t + "**"
			}
			if sp.link != "" {
				t = "[" + t + "](" + sp.link + ")"
			}
			b.WriteString(t)
		}
	}
	return b.String()
}

func TestParseMarkdown(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"*em* and _em_", "*em* and *em*"},
		{"**strong** text", "**strong** text"},
		{"***both***", "***both***"},
		{"**bold *and em* inside**", "**bold *****and em***** inside**"},
		{"*em **and strong** inside*", "*em ****and strong**** inside*"},
		{"unclosed *star and **double and `tick", "unclosed *star and **double and `tick"},
		{"2 * 3 * 4", "2 * 3 * 4"},
		{"snake_case_name and __init__", "snake_case_name and __init__"},
		{"a _real_ one", "a *real* one"},
		{"`*not em*` and `**not strong**`", "`*not em*` and `**not strong**`"},
		{"*em with `code*` inside*", "*em with **`code*`** inside*"},
		{"see https://example.com.", "see [https://example.com](https://example.com)."},
		{"(https://example.com/a)", "([https://example.com/a](https://example.com/a))"},
		{"https://en.wikipedia.org/wiki/Go_(language), yes", "[https://en.wikipedia.org/wiki/Go_(language)](https://en.wikipedia.org/wiki/Go_(language)), yes"},
		{"https://x.org/a_b_c and more", "[https://x.org/a_b_c](https://x.org/a_b_c) and more"},
		{"**https://x.org**", "[**https://x.org**](https://x.org)"},
		{"[docs](https://x.org/d?a=1&b=(2))", "[docs](https://x.org/d?a=1&b=(2))"},
		{"[mail](mailto:bob@example.com)", "[mail](mailto:bob@example.com)"},
		{"[x](javascript:alert(1))", "[x](javascript:alert(1))"}, // as typed: no link
		{"[x](file:///etc/passwd)", "[x](file:///etc/passwd)"},
		{"javascript:alert(1) file:///etc/passwd", "javascript:alert(1) file:///etc/passwd"},
		{"http:// alone", "http:// alone"},
		{"nohttps://x.org", "nohttps://x.org"},
		{"a\n```\ncode *not em*\n  indented\n```\nb", "a | ```code *not em*\n  indented``` | b"},
		{"```go\nfmt.Println()\n```", "```fmt.Println()```"},
		{"```inline code```", "```inline code```"},
		{"``` unclosed fence", "``` unclosed fence"},
		{"``````", "``````"},
	} {
		if got := render(parseMarkdown(c.in)); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestMarkdownLinksAreSafe: only http, https and mailto links are ever
// links, whatever the input.
func TestMarkdownLinksAreSafe(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"[a](javascript:alert(1))", "[a](JAVASCRIPT:alert(1))", "[a](file:///etc/passwd)", "[a](data:text/html,x)",
		"[a](//evil.example)", "[a](vbscript:x)", "[a](http:/nohost)", "[a]( javascript:x)", "[a](https://ok.example)",
		"http://ok.example https://ok.example/x", "[**a**](https://ok.example)",
	} {
		for _, l := range mdLinks(parseMarkdown(in)) {
			if !strings.HasPrefix(l, "http://ok.example") && !strings.HasPrefix(l, "https://ok.example") {
				t.Errorf("%q: link %q", in, l)
			}
		}
	}
}

// TestURLsMoveWhole: a URL that fits on a line is never broken (it starts
// the next line instead); one longer than a line breaks after a '/'.
func TestURLsMoveWhole(t *testing.T) {
	test.NewTempApp(t)
	m := currentMetrics()
	const url = "https://example.com/a/path/to/a/page"
	urlW := m.width(url, 0)
	l := layoutMarkdown(parseMarkdown("see the page at "+url+" now"), urlW+5, m)
	var pieces []string
	for _, p := range l.pieces {
		if p.link != "" {
			pieces = append(pieces, p.text)
			if p.pos.X != 0 {
				t.Errorf("the URL starts at x=%v, not on a line of its own", p.pos.X)
			}
		}
	}
	if len(pieces) != 1 || pieces[0] != url {
		t.Errorf("URL drawn as %q", pieces)
	}
	l = layoutMarkdown(parseMarkdown(url), urlW*0.6, m)
	if len(l.pieces) < 2 {
		t.Fatalf("a URL wider than the line: %d pieces", len(l.pieces))
	}
	var joined string
	for _, p := range l.pieces[:len(l.pieces)-1] {
		if !strings.HasSuffix(p.text, "/") {
			t.Errorf("broken after %q, not after a '/'", p.text)
		}
		joined += p.text
	}
	if joined+l.pieces[len(l.pieces)-1].text != url {
		t.Errorf("pieces do not make the URL: %q", joined)
	}
}
