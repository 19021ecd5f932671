package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// searchPanel searches the messages of every room the user may read, on
// the server (Ctrl+Shift+F), and lists what it finds, newest first;
// choosing a result shows the message in its room, loading the history
// back to it if need be. (Ctrl+F's find bar looks only at what is loaded.)
type searchPanel struct {
	v       *chatView
	q       *question // the dialog, while shown
	entry   *searchEntry
	status  *widget.Label
	list    *hitList
	more    *widget.Button
	hits    []wire.SearchHit
	query   client.SearchQuery // the search shown
	running int                // the search on its way (a newer one wins)
}

// loadingBackText is the banner while the history is loaded back to a
// result.
const loadingBackText = "Loading the history up to that message…"

// jumpLoadMax bounds the history loaded to reach a result: a message
// further back is not shown in context (the panel says so).
const jumpLoadMax = 5000

func (v *chatView) openSearch() {
	p := &searchPanel{v: v, status: widget.NewLabel("")}
	p.status.Wrapping = fyne.TextWrapWord
	p.entry = &searchEntry{p: p}
	p.entry.ExtendBaseWidget(p.entry)
	p.entry.SetPlaceHolder("Search all rooms (from:name, in:room)")
	p.entry.Validator = nil
	p.entry.OnSubmitted = func(string) { p.search(false) }
	p.list = newHitList(p)
	p.more = widget.NewButton("Older results", func() { p.search(true) })
	p.more.Hide()
	body := container.NewBorder(container.NewVBox(p.entry, p.status), p.more, nil, nil, p.list)
	sized := container.NewStack(body)
	sized.Add(newMinBox(fyne.NewSize(520, 380)))
	p.q = v.ui.ask("Search messages", sized, answer{label: "Close", cancel: true})
	v.search = p
	v.ui.win.Canvas().Focus(p.entry)
}

// parseSearch reads what was typed: words, from:NAME and in:ROOM.
func parseSearch(text string) client.SearchQuery {
	var q client.SearchQuery
	var words []string
	for _, f := range strings.Fields(text) {
		switch {
		case strings.HasPrefix(f, "from:") && len(f) > len("from:"):
			q.Author = strings.TrimPrefix(f[len("from:"):], "@")
		case strings.HasPrefix(f, "in:") && len(f) > len("in:"):
			q.Room = strings.ToLower(strings.TrimPrefix(f[len("in:"):], "#"))
		default:
			words = append(words, f)
		}
	}
	q.Words = strings.Join(words, " ")
	return q
}

// search asks the server, off the UI thread: a new search, or (older) the
// next page of the one shown.
func (p *searchPanel) search(older bool) {
	q := parseSearch(p.entry.Text)
	if older {
		q = p.query
		q.Before = p.hits[len(p.hits)-1].ID
	}
	if terms, ok := wire.SearchTerms(q.Words); !ok {
		p.status.SetText(fmt.Sprintf("A search has at most %d words.", wire.MaxSearchTerms))
		return
	} else if len(terms) == 0 && q.Author == "" {
		p.status.SetText("Type a word to search for, or from:name for someone's messages.")
		return
	}
	p.running++
	run, chat := p.running, p.v.chat
	p.status.SetText("Searching…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		hits, more, err := chat.Search(ctx, q)
		bridge.Do(func() {
			if run != p.running {
				return
			}
			p.show(q, older, hits, more, err)
		})
	}()
}

func (p *searchPanel) show(q client.SearchQuery, older bool, hits []wire.SearchHit, more bool, err error) {
	if err != nil {
		p.status.SetText("The search failed. " + errText(err))
		return
	}
	if !older {
		p.hits = nil
		p.list.UnselectAll()
		p.list.ScrollToTop()
	}
	p.query = q
	p.hits = append(p.hits, hits...)
	switch n := len(p.hits); {
	case n == 0:
		p.status.SetText("No message found.")
	case n == 1:
		p.status.SetText("1 message found.")
	case more:
		p.status.SetText(fmt.Sprintf("The %d newest messages found.", n))
	default:
		p.status.SetText(fmt.Sprintf("%d messages found.", n))
	}
	if more {
		p.more.Show()
	} else {
		p.more.Hide()
	}
	p.list.Refresh()
}

// newHitRow is a result: where and who, small, above the snippet with the
// matching words bold.
func newHitRow() fyne.CanvasObject {
	r := widget.NewRichText()
	r.Truncation = fyne.TextTruncateEllipsis
	return r
}

func (p *searchPanel) bindHit(i widget.ListItemID, o fyne.CanvasObject) {
	h := p.hits[i]
	where := &widget.TextSegment{Text: fmt.Sprintf("%s · %s · %s", p.v.placeName(h.Room), h.Author.Username, clock(h.SentAt, time.Now())),
		Style: widget.RichTextStyle{ColorName: theme.ColorNamePlaceHolder, SizeName: theme.SizeNameCaptionText}}
	r := o.(*widget.RichText)
	r.Segments = append([]widget.RichTextSegment{where}, snippetSegments(h.Snippet)...)
	r.Refresh()
}

// snippetSegments draws a snippet on one line, its matches bold and in
// the primary color.
func snippetSegments(parts []wire.SnippetPart) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	for _, part := range parts {
		text := strings.Join(strings.Fields(part.Text), " ")
		if strings.HasPrefix(part.Text, " ") || strings.HasPrefix(part.Text, "\n") {
			text = " " + text
		}
		if strings.HasSuffix(part.Text, " ") || strings.HasSuffix(part.Text, "\n") {
			text += " "
		}
		style := widget.RichTextStyleInline
		if part.Match {
			style = widget.RichTextStyleStrong
			style.ColorName = theme.ColorNamePrimary
		}
		segs = append(segs, &widget.TextSegment{Text: text, Style: style})
	}
	return segs
}

// choose closes the panel and shows result i in its room.
func (p *searchPanel) choose(i widget.ListItemID) {
	if i < 0 || i >= len(p.hits) {
		return
	}
	h := p.hits[i]
	p.q.d.Hide()
	p.v.jumpTo(h.Room, h.ID)
}

// jumpTo shows message id in room: it joins the room if need be, switches
// to it, loads the history back to the message, and marks it.
func (v *chatView) jumpTo(room string, id int64) {
	if v.roomIndex(room) < 0 && !v.dms().has(room) { // private ones are joined by dms.go
		chat := v.chat
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
			defer cancel()
			err := chat.Join(ctx, room)
			bridge.Do(func() {
				if v.listJoined(room, err) {
					v.roomList.Refresh()
					v.roomsChanged()
					v.jumpTo(room, id)
				}
			})
		}()
		return
	}
	if room != v.current {
		v.switchRoom(room)
	}
	t := v.room(room)
	if t.ids[id] {
		v.markMessage(id)
		return
	}
	v.loadBackTo(room, id)
}

// loadBackTo loads a room's history from its oldest loaded message back
// to id (and a page before it for context), then marks id.
func (v *chatView) loadBackTo(room string, id int64) {
	t, chat := v.room(room), v.chat
	before := t.oldest
	v.loading = true // the scroll watcher waits
	v.setBanner(loadingBackText)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 4*callTimeout)
		defer cancel()
		var msgs []wire.Message
		var err error
		start := false // the room's first message is loaded
		for !start && len(msgs) < jumpLoadMax {
			var page []wire.Message
			if page, err = chat.History(ctx, room, before, wire.MaxHistory); err != nil {
				break
			}
			msgs = append(page, msgs...)
			start = len(page) < wire.MaxHistory
			if len(page) > 0 {
				before = page[0].ID
			}
			if before < id {
				break // id is loaded, with older messages before it
			}
		}
		bridge.Do(func() {
			v.loading = false
			if v.ui.view != v {
				return
			}
			if v.banner.Text == loadingBackText { // not a connection's state since
				v.bannerBox.Hide()
			}
			if err != nil {
				v.setBanner("Could not load that message. " + errText(err))
				return
			}
			for _, m := range msgs {
				t.add(m)
			}
			if start {
				t.more = false
			}
			if room == v.current {
				v.msgList.Refresh()
				if !t.ids[id] {
					v.setBanner("That message is too far back to show here.")
					return
				}
				v.markMessage(id)
			}
		})
	}()
}

// markMessage scrolls a loaded message of the current room into view and
// marks it, as the find bar marks a match, with a few messages before it
// in view.
func (v *chatView) markMessage(id int64) {
	t := v.tl()
	for i := 0; i < t.len(); i++ {
		if t.at(i).msg.ID == id && t.at(i).outgoing == nil {
			v.msgList.Select(i)
			v.msgList.ScrollTo(max(0, i-3))
			return
		}
	}
}

// shiftMark keeps the mark on its message when n rows came before it.
func (p *msgPane) shiftMark(n int) {
	if p.marked >= 0 {
		p.marked += n
	}
}

// hitList is the results: Up and Down move, Enter or Space shows the
// result, Escape closes the panel.
type hitList struct {
	widget.List
	p *searchPanel
}

func newHitList(p *searchPanel) *hitList {
	l := &hitList{p: p}
	l.Length = func() int { return len(p.hits) }
	l.CreateItem = newHitRow
	l.UpdateItem = p.bindHit
	l.OnSelected = func(i widget.ListItemID) { p.choose(i) }
	l.ExtendBaseWidget(l)
	return l
}

func (l *hitList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		l.p.q.key(fyne.KeyEscape)
	case fyne.KeyReturn, fyne.KeyEnter:
		l.List.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	default:
		l.List.TypedKey(k)
	}
}

// searchEntry is the search box: Enter searches, Down goes to the
// results, Escape closes the panel.
type searchEntry struct {
	widget.Entry
	p *searchPanel
}

func (e *searchEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyEscape:
		e.p.q.key(fyne.KeyEscape)
	case fyne.KeyDown:
		if len(e.p.hits) > 0 {
			e.p.v.ui.win.Canvas().Focus(e.p.list)
		}
	default:
		e.Entry.TypedKey(k)
	}
}

// TypedRune keeps the query within the server's bound.
func (e *searchEntry) TypedRune(r rune) {
	if utf8.RuneCountInString(e.Text) < wire.MaxSearchRunes {
		e.Entry.TypedRune(r)
	}
}

// minBox is an empty object that asks for a size: the panel's room.
type minBox struct {
	widget.BaseWidget
	size fyne.Size
}

func newMinBox(s fyne.Size) *minBox {
	b := &minBox{size: s}
	b.ExtendBaseWidget(b)
	return b
}

func (b *minBox) MinSize() fyne.Size { return b.size }

func (b *minBox) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack())
}

// placeName is how a result names where it is: "#room", or a private
// conversation's title ("bob", a group's name), never its "~N".
func (v *chatView) placeName(room string) string {
	if c, ok := v.dms().convs[room]; ok {
		return v.dms().title(c)
	}
	return "#" + room
}
