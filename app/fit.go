package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Screens that fit small displays. A 1280×800 screen at FYNE_SCALE=2 is
// 640×400 units; a desktop at that scale takes a top bar (GNOME: 32 units)
// and a title bar (about 37), and may keep a dock at the side (about 60):
// about 576×330 units are left for the window's content. A 1024×600 screen
// at scale 1 leaves more (about 960×530). The login screen and its
// questions must be usable in fitBudget: what is long scrolls, and the
// buttons that answer stay on screen.
var fitBudget = fyne.NewSize(576, 330)

// titleBarAllowance is what the window leaves of the screen's work area
// for its title bar (the work area leaves out panels, not decorations).
const titleBarAllowance = 40

// fitSize is the window size (units) to ask for: want, shrunk to a work
// area of areaW×areaH pixels at scale less a title bar. A window larger
// than the screen had its buttons off screen.
func fitSize(want fyne.Size, areaW, areaH int, scale float32) fyne.Size {
	if areaW <= 0 || areaH <= 0 || scale <= 0 {
		return want
	}
	room := fyne.NewSize(float32(areaW)/scale, float32(areaH)/scale-titleBarAllowance)
	return want.Min(room)
}

// fitScreen shrinks the window to the screen it opens on, where the
// driver can say how large that is (screenArea).
func fitScreen(win fyne.Window) {
	if w, h, ok := screenArea(win); ok {
		if s := fitSize(win.Canvas().Size(), w, h, win.Canvas().Scale()); s != win.Canvas().Size() {
			win.Resize(s)
		}
	}
}

// scrollAbove lays out a body that scrolls with a footer right below it
// (the buttons that answer): the body has its whole height when there is
// room, and scrolls in what is left when there is not, so the footer is
// always on screen. Its minimum height is the footer's and at most
// maxBody of the body (0: none), so the screen fits where the body is long.
type scrollAbove struct {
	body    *container.Scroll
	maxBody func() float32
	// The focus and size last revealed: a layout for another reason (a
	// list grew) leaves the scrolling to the person.
	focused fyne.CanvasObject
	size    fyne.Size
}

// newScrollAbove makes the container: body (scrolling) above footer.
func newScrollAbove(body, footer fyne.CanvasObject, maxBody func() float32) *fyne.Container {
	l := &scrollAbove{body: container.NewVScroll(body), maxBody: maxBody}
	return container.New(l, l.body, footer)
}

// bodyHeight is the body's whole height, at most h.
func (l *scrollAbove) bodyHeight(h float32) float32 {
	return max(0, min(l.body.Content.MinSize().Height, h))
}

func (l *scrollAbove) MinSize(objs []fyne.CanvasObject) fyne.Size {
	foot := objs[1].MinSize()
	body := float32(0)
	if l.maxBody != nil {
		body = l.bodyHeight(l.maxBody())
	}
	return fyne.NewSize(max(l.body.Content.MinSize().Width, foot.Width), body+foot.Height)
}

func (l *scrollAbove) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	foot := objs[1].MinSize().Height
	body := l.bodyHeight(size.Height - foot)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(size.Width, body))
	objs[1].Move(fyne.NewPos(0, body))
	objs[1].Resize(fyne.NewSize(size.Width, foot))
	l.reveal()
}

// reveal scrolls the body so that the field with the focus, if it is in
// the body, is in view: the screen shows with a field focused, and the
// window may shrink (Fyne's scroll does not follow the focus).
func (l *scrollAbove) reveal() {
	d := fyne.CurrentApp().Driver()
	c := d.CanvasForObject(l.body)
	if c == nil {
		return
	}
	f, ok := c.Focused().(fyne.CanvasObject)
	if !ok || !inTree(l.body.Content, f) || (f == l.focused && l.body.Size() == l.size) {
		return
	}
	l.focused, l.size = f, l.body.Size()
	y := d.AbsolutePositionForObject(f).Y - d.AbsolutePositionForObject(l.body.Content).Y
	top, h := l.body.Offset.Y, l.body.Size().Height
	switch {
	case y < top:
		l.body.ScrollToOffset(fyne.NewPos(0, y))
	case y+f.Size().Height > top+h:
		l.body.ScrollToOffset(fyne.NewPos(0, y+f.Size().Height-h))
	}
}

// inTree says whether o is in the containers of tree (fields are).
func inTree(tree, o fyne.CanvasObject) bool {
	if tree == o {
		return true
	}
	if c, ok := tree.(*fyne.Container); ok {
		for _, child := range c.Objects {
			if inTree(child, o) {
				return true
			}
		}
	}
	return false
}

// dialogFrame is a dialog's title and padding around its content (79
// units in Fyne 2.7's theme), and a margin.
const dialogFrame = 90

// dialogBody is a dialog's content that fits the window: body scrolls
// above the answers when the window is short.
func (ui *UI) dialogBody(body, answers fyne.CanvasObject) fyne.CanvasObject {
	return newScrollAbove(body, answers, func() float32 {
		return ui.win.Canvas().Size().Height - dialogFrame - answers.MinSize().Height
	})
}
