package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// msgPane is the conversation: a virtual list of rows of different
// heights. Only the rows in view exist; each row's height is computed
// exactly (at the pane's width) when it comes into view, and cached, and
// rows never measured count with an estimate. Unlike widget.List it
// measures a row before placing it, so a row is never drawn cut off, and it
// re-measures what is in view when its width changes.
type msgPane struct {
	widget.BaseWidget
	src    rowSource
	scroll *container.Scroll
	area   *fyne.Container // the rows, as tall as all of them
	empty  *widget.Label   // shown when there are no rows
	stack  *fyne.Container

	heights []float32 // per row: exact, or an estimate
	exact   []bool    //
	tops    []float32 // tops[i] is row i's y; tops[n] the total height
	width   float32   // the width heights were measured at
	stale   bool      // the rows changed: heights must be looked up again
	shown   map[int]*msgRow
	pool    []*msgRow
	placing bool
	self    bool // the pane itself is scrolling
	stick   bool // keep the end in view (until the user scrolls up)
	act     rowActions
	onEnd   func() // the user scrolled to the end
	marked  int    // the row the find bar points at, or -1
}

// rowSource gives the pane its rows.
type rowSource interface {
	rowCount() int
	// estimateHeight is row i's height when it was last measured at
	// width (its header may have come or gone since), else an estimate.
	estimateHeight(i int, width float32, m *textMetrics) float32
	// rowHeight returns row i's exact height at width (computed once).
	rowHeight(i int, width float32) float32
	bindRow(i int, r *msgRow)
	emptyText() string
}

func newMsgPane(src rowSource, act rowActions) *msgPane {
	p := &msgPane{src: src, shown: map[int]*msgRow{}, act: act, marked: -1, stale: true, stick: true}
	p.area = container.New(&areaLayout{p: p})
	p.scroll = container.NewVScroll(p.area)
	p.scroll.OnScrolled = func(fyne.Position) {
		if !p.self {
			p.stick = p.atBottom()
			if p.stick && p.onEnd != nil {
				p.onEnd()
			}
		}
		p.place()
	}
	p.empty = widget.NewLabel("")
	p.empty.Alignment = fyne.TextAlignCenter
	p.empty.Wrapping = fyne.TextWrapWord
	p.empty.Importance = widget.LowImportance
	p.stack = container.NewStack(p.scroll, container.NewVBox(p.empty))
	p.ExtendBaseWidget(p)
	return p
}

func (p *msgPane) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.stack) }

// MinSize asks for little: the conversation takes the space it is given.
func (p *msgPane) MinSize() fyne.Size { return fyne.NewSize(narrowMinWidth, 50) }

// areaLayout reports the rows' total height and notices width changes.
type areaLayout struct{ p *msgPane }

func (a *areaLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(narrowMinWidth, a.p.total())
}

func (a *areaLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	if size.Width != a.p.width && !a.p.placing {
		a.p.relayout(a.p.stick)
	}
}

// Refresh takes the rows as they are now (new, changed or other rows):
// rows already measured keep their place, others are looked up again.
func (p *msgPane) Refresh() {
	p.stale = true
	p.relayout(false)
	p.BaseWidget.Refresh()
}

// show starts over with other rows (another room's); the caller then
// scrolls (to the end).
func (p *msgPane) show() {
	p.stale = true
	p.scroll.Offset = fyne.Position{}
}

// update takes new or changed rows, and shows the end if bottom.
func (p *msgPane) update(bottom bool) {
	p.stale = true
	p.relayout(bottom)
}

// ScrollToBottom shows the last row in full, and keeps the end in view
// when the pane is resized.
func (p *msgPane) ScrollToBottom() {
	p.stick = true
	p.relayout(true)
}

// ScrollToTop shows the first row.
func (p *msgPane) ScrollToTop() {
	p.stick = false
	p.refreshHeights()
	p.scrollTo(0)
}

// ScrollTo puts row i at the top.
func (p *msgPane) ScrollTo(i int) {
	p.refreshHeights()
	if i >= 0 && i < len(p.heights) {
		p.stick = false
		p.scrollTo(p.tops[i])
	}
}

// Select marks row i (the find bar's match) and scrolls it into view.
func (p *msgPane) Select(i int) {
	p.marked = i
	p.ScrollTo(i)
	p.place()
}

// UnselectAll takes the mark off.
func (p *msgPane) UnselectAll() {
	p.marked = -1
	for _, r := range p.shown {
		r.mark(false)
	}
}

// GetScrollOffset is how far the conversation is scrolled down.
func (p *msgPane) GetScrollOffset() float32 { return p.scroll.Offset.Y }

// atBottom reports whether the end of the conversation is in view.
func (p *msgPane) atBottom() bool {
	return p.scroll.Offset.Y >= p.total()-p.scroll.Size().Height-bottomSlack
}

func (p *msgPane) total() float32 {
	if len(p.tops) == 0 {
		return 0
	}
	return p.tops[len(p.tops)-1]
}

// relayout measures and places the rows, keeping the first row in view at
// its place, or (bottom) showing the end of the conversation.
func (p *msgPane) relayout(bottom bool) {
	if text := p.src.emptyText(); text != "" {
		p.empty.SetText(text)
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	first, into := p.firstInView()
	p.refreshHeights()
	if bottom {
		p.measureBottom()
		p.scrollTo(p.total() - p.scroll.Size().Height)
		return
	}
	if first < len(p.tops)-1 {
		p.scrollTo(p.tops[first] + into)
		return
	}
	p.place()
}

// firstInView returns the first row in view and how far it is scrolled.
func (p *msgPane) firstInView() (int, float32) {
	i := p.rowAt(p.scroll.Offset.Y)
	if i >= len(p.tops)-1 {
		return 0, 0
	}
	return i, p.scroll.Offset.Y - p.tops[i]
}

// rowAt returns the row at y (binary search on tops).
func (p *msgPane) rowAt(y float32) int {
	lo, hi := 0, len(p.tops)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.tops[mid] <= y {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// refreshHeights looks every row's height up again when the rows or the
// width changed: exact where it was computed at this width, else estimated.
func (p *msgPane) refreshHeights() {
	w := p.scroll.Size().Width
	if w > 0 {
		w = max(w, narrowMinWidth) // the area is never narrower
	}
	if !p.stale && w == p.width {
		return
	}
	p.stale, p.width = false, w
	n := p.src.rowCount()
	p.heights = resize(p.heights, n)
	p.exact = resize(p.exact, n)
	m := currentMetrics()
	for i := range n {
		p.heights[i], p.exact[i] = p.src.estimateHeight(i, w, &m), false
	}
	p.sumTops(0)
	for i, r := range p.shown {
		delete(p.shown, i) // rebound by place: the rows may have moved
		p.pool = append(p.pool, r)
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (p *msgPane) sumTops(from int) {
	n := len(p.heights)
	p.tops = resize(p.tops, n+1)
	if from == 0 {
		p.tops[0] = 0
	}
	for i := from; i < n; i++ {
		p.tops[i+1] = p.tops[i] + p.heights[i]
	}
}

// measure makes row i's height exact; it reports a change.
func (p *msgPane) measure(i int) bool {
	if p.exact[i] {
		return false
	}
	h := p.src.rowHeight(i, p.width)
	p.exact[i] = true
	if h == p.heights[i] {
		return false
	}
	p.heights[i] = h
	return true
}

// measureBottom makes the rows that fill the view from the end exact.
func (p *msgPane) measureBottom() {
	n := len(p.heights)
	from, sum := n, float32(0)
	for from > 0 && sum < p.scroll.Size().Height {
		from--
		p.measure(from)
		sum += p.heights[from]
	}
	p.sumTops(from)
}

func (p *msgPane) scrollTo(y float32) {
	p.self = true
	defer func() { p.self = false }()
	p.updateArea()
	y = max(0, min(y, p.total()-p.scroll.Size().Height))
	p.scroll.ScrollToOffset(fyne.NewPos(0, y))
	p.place()
}

// updateArea gives the scroll its new content height.
func (p *msgPane) updateArea() {
	placing := p.placing
	p.placing = true
	p.scroll.Refresh()
	p.placing = placing
}

// place measures the rows in view and shows them.
func (p *msgPane) place() {
	if p.placing || p.width <= 0 {
		return
	}
	p.placing = true
	defer func() { p.placing = false }()
	viewH := p.scroll.Size().Height
	first, last := 0, -1
	for range 3 { // measuring can shift rows below into or out of view
		first = p.rowAt(p.scroll.Offset.Y)
		changed := false
		for last = first; last < len(p.heights) && p.tops[last] < p.scroll.Offset.Y+viewH; last++ {
			changed = p.measure(last) || changed
		}
		if !changed {
			break
		}
		p.sumTops(first)
		if p.stick { // following: the end stays in view
			p.scroll.Offset.Y = max(0, p.total()-viewH)
		}
		p.self = true
		p.updateArea()
		p.self = false
	}
	for i, r := range p.shown {
		if i < first || i >= last {
			delete(p.shown, i)
			p.pool = append(p.pool, r)
		}
	}
	objs := p.area.Objects[:0]
	for i := first; i < last; i++ {
		r, ok := p.shown[i]
		if !ok {
			r = p.row()
			p.src.bindRow(i, r)
			p.shown[i] = r
		}
		r.mark(i == p.marked)
		r.Move(fyne.NewPos(0, p.tops[i]))
		r.Resize(fyne.NewSize(p.width, p.heights[i]))
		objs = append(objs, r)
	}
	p.area.Objects = objs
	canvas.Refresh(p.area)
}

func (p *msgPane) row() *msgRow {
	if n := len(p.pool); n > 0 {
		r := p.pool[n-1]
		p.pool = p.pool[:n-1]
		return r
	}
	act := p.act
	return newMsgRow(&act)
}

// narrowMinWidth is how little width the conversation asks for, so that
// rows wrap at the pane's width instead of widening the window.
const narrowMinWidth = 120
