package app

import (
	"image/color"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// rowSpec is what one row of the conversation shows.
type rowSpec struct {
	header  bool   // author and time above the text
	author  string //
	stamp   string // the time shown after the author
	text    string // the message as stored: what is copied
	blocks  []mdBlock
	sending bool   // ours, on its way: a short status at the right
	failure string // ours, not sent: why, with Retry and Delete below
	marked  bool   // the find bar's current match: on the selection colour
	changes        // edits, deletes and reactions (rowchanges.go)
	attach         // a file and its thumbnail (thumbs.go)
}

const (
	sendingText = "Sending…"
	headerGap   = 2
)

// rowGeom is a row laid out at one width. Its height is exactly what the
// row draws: layoutRow is the only place that decides where things go.
type rowGeom struct {
	width, height     float32
	padX              float32
	headerY, bodyY    float32
	body              mdLayout
	statusX           float32 // "Sending…", on the first line of the text
	failY, buttonsY   float32
	failure           mdLayout
	buttonW, buttonsH float32
	chips             []fyne.Position // reactions, under the text
	chipSz            []fyne.Size
	attachGeom        // the file (thumbs.go)
}

func layoutRow(s *rowSpec, width float32, m textMetrics) rowGeom {
	g := rowGeom{width: width, padX: theme.InnerPadding()}
	y := theme.Padding()
	if s.header {
		g.headerY = y
		y += m.lineH + headerGap
	}
	bodyW := width - 2*g.padX
	if s.sending {
		statusW := m.width(sendingText, mdEm) + 2*theme.Padding()
		bodyW -= statusW
		g.statusX = width - g.padX - statusW + 2*theme.Padding()
	}
	g.bodyY = y
	g.body = layoutMarkdown(s.blocks, max(bodyW, minBodyWidth), m)
	y += g.body.height
	y = layoutAttachment(&g, s, y, width) // thumbs.go
	y = layoutChips(&g, s, y, width)
	if s.failure != "" {
		y += headerGap
		g.failY = y
		g.failure = layoutMarkdown([]mdBlock{{spans: []mdSpan{{text: s.failure}}}}, max(width-2*g.padX, minBodyWidth), m)
		y += g.failure.height + headerGap
		g.buttonsY = y
		b := widget.NewButton("Delete", nil).MinSize()
		g.buttonW, g.buttonsH = b.Width, b.Height
		y += g.buttonsH
	}
	g.height = y + theme.Padding()
	return g
}

const minBodyWidth = 40

// rowActions are what a row's menu and links do.
type rowActions struct {
	copyText   func(string)
	openURL    func(*url.URL)
	selectText func(string)
	retry      func()
	discard    func()
	changeActions
	fileActions // thumbs.go
}

// msgRow draws one row from its spec: text pieces on the canvas, links
// that open on a tap, and a menu (secondary tap) to copy the message.
type msgRow struct {
	widget.BaseWidget
	spec    rowSpec
	act     *rowActions
	geom    rowGeom
	built   bool
	objs    []fyne.CanvasObject
	retry   *widget.Button
	del     *widget.Button
	chips   []*widget.Button // reactions: a tap toggles ours
	hovered string           // the link under the pointer
	fg      color.Color      // the text colour it was built with
	fileUI                   // thumbs.go
}

func newMsgRow(act *rowActions) *msgRow {
	r := &msgRow{act: act}
	r.retry = widget.NewButton("Retry", func() {
		if r.act.retry != nil {
			r.act.retry()
		}
	})
	r.del = widget.NewButton("Delete", func() {
		if r.act.discard != nil {
			r.act.discard()
		}
	})
	r.ExtendBaseWidget(r)
	return r
}

// bind shows spec; retry and discard act on a failed message.
func (r *msgRow) bind(s rowSpec, retry, discard func()) {
	r.spec = s
	r.act.retry, r.act.discard = retry, discard
	r.built = false
	r.build(r.Size().Width)
	canvas.Refresh(r)
}

// mark puts the row on the selection colour, or takes it off.
func (r *msgRow) mark(on bool) {
	if r.spec.marked != on {
		r.spec.marked = on
		r.built = false
		r.build(r.Size().Width)
		canvas.Refresh(r)
	}
}

func (r *msgRow) CreateRenderer() fyne.WidgetRenderer { return &msgRowRenderer{r: r} }

type msgRowRenderer struct{ r *msgRow }

func (rr *msgRowRenderer) Layout(size fyne.Size) {
	if !rr.r.built || rr.r.geom.width != size.Width {
		rr.r.build(size.Width)
	}
}

// MinSize is the height the row needs at its current width.
func (rr *msgRowRenderer) MinSize() fyne.Size {
	w := rr.r.Size().Width
	if w <= 0 {
		w = 400
	}
	return fyne.NewSize(narrowMinWidth, layoutRow(&rr.r.spec, w, currentMetrics()).height)
}

// Refresh rebuilds only what is stale: containers refresh every child
// often, and a row in view is already built.
func (rr *msgRowRenderer) Refresh() {
	r := rr.r
	if !r.built || r.geom.width != r.Size().Width || r.fg != theme.Color(theme.ColorNameForeground) {
		r.build(r.Size().Width) // new, resized, or the theme changed
	}
	canvas.Refresh(r)
}

func (rr *msgRowRenderer) Objects() []fyne.CanvasObject { return rr.r.objs }
func (rr *msgRowRenderer) Destroy()                     {}

// build lays the row out at width and makes what it draws.
func (r *msgRow) build(width float32) {
	if width <= 0 {
		return
	}
	m := currentMetrics()
	g := layoutRow(&r.spec, width, m)
	r.geom, r.built = g, true
	objs := r.objs[:0]
	fg := theme.Color(theme.ColorNameForeground)
	r.fg = fg
	if r.spec.marked {
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
		bg.Resize(fyne.NewSize(g.width, g.height))
		objs = append(objs, bg)
	}
	if r.spec.header {
		objs = r.appendHeader(objs, g, m)
	}
	objs = appendBody(objs, g.body, fyne.NewPos(g.padX, g.bodyY), fg, m)
	if r.spec.sending {
		objs = append(objs, textAt(sendingText, fg, fyne.TextStyle{Italic: true}, m.size, fyne.NewPos(g.statusX, g.bodyY)))
	}
	if r.spec.failure != "" {
		objs = appendBody(objs, g.failure, fyne.NewPos(g.padX, g.failY), theme.Color(theme.ColorNameError), m)
		r.retry.Resize(fyne.NewSize(g.buttonW, g.buttonsH))
		r.retry.Move(fyne.NewPos(g.padX, g.buttonsY))
		r.del.Resize(fyne.NewSize(g.buttonW, g.buttonsH))
		r.del.Move(fyne.NewPos(g.padX+g.buttonW+theme.Padding(), g.buttonsY))
		objs = append(objs, r.retry, r.del)
	}
	objs = r.appendAttachment(objs, g) // thumbs.go
	objs = r.appendChips(objs, g)
	for i := len(objs); i < len(r.objs); i++ {
		r.objs[i] = nil
	}
	r.objs = objs
}

// appendHeader adds the author and the time; in a narrow pane the name is
// shortened to fit, and the time left out if it cannot fit beside it.
func (r *msgRow) appendHeader(objs []fyne.CanvasObject, g rowGeom, m textMetrics) []fyne.CanvasObject {
	room := g.width - 2*g.padX
	bold := mdStrong
	name := []rune(r.spec.author)
	for len(name) > 1 && m.width(string(name), bold) > room {
		name = append(name[:len(name)-2], '…')
	}
	nameText := textAt(string(name), theme.Color(theme.ColorNameForeground), bold.textStyle(), m.size, fyne.NewPos(g.padX, g.headerY))
	objs = append(objs, nameText)
	x := g.padX + nameText.MinSize().Width + 2*theme.Padding()
	if r.spec.stamp != "" && x+m.width(r.spec.stamp, 0) <= g.width-g.padX {
		objs = append(objs, textAt(r.spec.stamp, theme.Color(theme.ColorNamePlaceHolder), fyne.TextStyle{}, m.size, fyne.NewPos(x, g.headerY)))
	}
	return objs
}

func textAt(s string, c color.Color, st fyne.TextStyle, size float32, pos fyne.Position) *canvas.Text {
	t := canvas.NewText(s, c)
	t.TextStyle, t.TextSize = st, size
	t.Move(pos)
	t.Resize(t.MinSize())
	return t
}

// appendBody adds a laid-out body's code backgrounds, text and link
// underlines, placed at origin.
func appendBody(objs []fyne.CanvasObject, l mdLayout, origin fyne.Position, fg color.Color, m textMetrics) []fyne.CanvasObject {
	codeBg := theme.Color(theme.ColorNameInputBackground)
	for i, p := range l.code {
		bg := canvas.NewRectangle(codeBg)
		bg.CornerRadius = 3
		bg.Move(origin.Add(p))
		bg.Resize(l.codeSz[i])
		objs = append(objs, bg)
	}
	link := theme.Color(theme.ColorNameHyperlink)
	for _, p := range l.pieces {
		c := fg
		if p.link != "" {
			c = link
		} else if p.style&mdMention != 0 {
			c = theme.Color(theme.ColorNamePrimary)
		}
		t := textAt(p.text, c, p.style.textStyle(), m.size, origin.Add(p.pos).AddXY(p.textX, 0))
		objs = append(objs, t)
		if p.link != "" {
			u := canvas.NewRectangle(link)
			u.Move(origin.Add(p.pos).AddXY(0, m.lineH-2))
			u.Resize(fyne.NewSize(p.size.Width, 1))
			objs = append(objs, u)
		}
	}
	return objs
}

// linkAt returns the link under pos (in the row), if any.
func (r *msgRow) linkAt(pos fyne.Position) string {
	if !r.built {
		return ""
	}
	at := pos.SubtractXY(r.geom.padX, r.geom.bodyY)
	for _, p := range r.geom.body.pieces {
		if p.link != "" && at.X >= p.pos.X && at.X < p.pos.X+p.size.Width && at.Y >= p.pos.Y && at.Y < p.pos.Y+p.size.Height {
			return p.link
		}
	}
	return ""
}

// Tapped opens the link under the pointer (only http, https and mailto
// are ever links).
func (r *msgRow) Tapped(e *fyne.PointEvent) {
	if link := r.linkAt(e.Position); link != "" && r.act.openURL != nil {
		if u, err := url.Parse(link); err == nil && safeURL(link) {
			r.act.openURL(u)
		}
	}
}

// TappedSecondary offers to copy the message (as typed) or a link, or to
// select part of its text: Fyne cannot select text in styled rich text.
func (r *msgRow) TappedSecondary(e *fyne.PointEvent) {
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(r.menu(e.Position), c, e.AbsolutePosition)
}

func (r *msgRow) menu(pos fyne.Position) *fyne.Menu {
	if r.spec.deleted {
		return fyne.NewMenu("", r.changeItems()...)
	}
	text := r.spec.text
	items := []*fyne.MenuItem{fyne.NewMenuItem("Copy message", func() { r.act.copyText(text) })}
	links := mdLinks(r.spec.blocks)
	if l := r.linkAt(pos); l != "" {
		links = []string{l}
	}
	for i, l := range links {
		if i == 3 {
			break
		}
		label := "Copy link"
		if len(links) > 1 {
			label = "Copy link " + shorten(l, 40)
		}
		items = append(items, fyne.NewMenuItem(label, func() { r.act.copyText(l) }))
	}
	items = append(items, fyne.NewMenuItem("Select text…", func() { r.act.selectText(text) }))
	return fyne.NewMenu("", append(items, r.changeItems()...)...)
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Cursor is a hand over a link.
func (r *msgRow) Cursor() desktop.Cursor {
	if r.hovered != "" {
		return desktop.PointerCursor
	}
	return desktop.DefaultCursor
}

func (r *msgRow) MouseIn(e *desktop.MouseEvent)    { r.hovered = r.linkAt(e.Position) }
func (r *msgRow) MouseMoved(e *desktop.MouseEvent) { r.hovered = r.linkAt(e.Position) }
func (r *msgRow) MouseOut()                        { r.hovered = "" }
