package app

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/wire"
)

// drawnObjects are the objects of o's tree as drawn (test.LaidOutObjects
// makes new renderers: another list's rows).
func drawnObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch c := o.(type) {
	case *fyne.Container:
		for _, child := range c.Objects {
			out = append(out, drawnObjects(child)...)
		}
	case fyne.Widget:
		for _, child := range test.WidgetRenderer(c).Objects() {
			out = append(out, drawnObjects(child)...)
		}
	}
	return out
}

// labelShowing finds the label whose text is text in o's tree, and the
// text it draws (cut with "…" or whole).
func labelShowing(o fyne.CanvasObject, text string) (*widget.Label, string) {
	for _, obj := range drawnObjects(o) {
		if l, ok := obj.(*widget.Label); ok && l.Text == text && l.Visible() {
			drawn := ""
			for _, part := range drawnObjects(l) {
				if t, ok := part.(*canvas.Text); ok && part.Visible() {
					drawn += t.Text
				}
			}
			return l, drawn
		}
	}
	return nil, ""
}

// At the chat window's smallest (its content's minimum, the budget of a
// small screen, 700×500), a long room name and a long username are cut
// with "…", and show whole in a tooltip, inside the window, while the
// pointer rests on them; a name that fits has none.
func TestNamesCutShowWholeInATooltip(t *testing.T) {
	ui := newUI(t)
	room := strings.Repeat("long-room-name-", 4)[:wire.MaxRoomLen-4]
	user := strings.Repeat("Bartholomew", 3)[:wire.MaxUsernameLen]
	v := onUI(func() *chatView {
		v := offlineChat(ui, fyne.NewSize(700, 500), room)
		ui.win.SetContent(v.tips.over(v.content)) // as openChat does
		v.setUser(wire.User{ID: "u1", Username: user})
		v.setUser(wire.User{ID: "u2", Username: "bob"})
		return v
	})
	smallest := onUI(func() fyne.Size { return ui.win.Content().MinSize() })
	for _, size := range []fyne.Size{smallest, fitBudget, {Width: 700, Height: 500}} {
		bridge.DoAndWait(func() {
			ui.win.Resize(size)
			layoutAll(ui.win.Content())
		})
		for _, c := range []struct {
			list       fyne.CanvasObject
			text, fits string
		}{{v.roomList, "# " + room, "# general"}, {v.userList, presenceMark(wire.User{Username: user}, false) + user, presenceMark(wire.User{}, false) + "bob"}} {
			bridge.DoAndWait(func() {
				l, drawn := labelShowing(c.list, c.text)
				if l == nil || !strings.HasSuffix(drawn, "…") || len(drawn) >= len(c.text) {
					t.Fatalf("%v: %q is drawn as %q", size, c.text, drawn)
				}
				short, drawn := labelShowing(c.list, c.fits)
				if tip := tipFor(c.list, short); short == nil || drawn != c.fits || tip == nil || tip.cut() {
					t.Errorf("%v: %q is drawn as %q, its tip %v", size, c.fits, drawn, tip)
				}
				at := fyne.CurrentApp().Driver().AbsolutePositionForObject(l).Add(fyne.NewPos(10, l.Size().Height/2))
				test.MoveMouse(ui.win.Canvas(), at)
			})
			waitUI(t, "the tooltip of "+c.text, func() bool { return v.tips.shown() == c.text })
			bridge.DoAndWait(func() {
				bg, win := v.tips.bg, ui.win.Canvas().Size()
				if p := fyne.CurrentApp().Driver().AbsolutePositionForObject(bg); !bg.Visible() || p.X < 0 || p.Y < 0 ||
					p.X+bg.Size().Width > win.Width || p.Y+bg.Size().Height > win.Height {
					t.Errorf("%v: the tooltip of %q is at %v, size %v", size, c.text, p, bg.Size())
				}
			})
			if c.list == v.roomList && size.Height >= 300 {
				screenshot(t, ui, fmt.Sprintf("names-tooltip-%.0fx%.0f.png", size.Width, size.Height))
			}
			bridge.DoAndWait(func() {
				test.MoveMouse(ui.win.Canvas(), fyne.NewPos(size.Width/2, size.Height/2)) // into the conversation
				if v.tips.shown() != "" || v.tips.bg.Visible() {
					t.Errorf("the tooltip %q stays after the pointer left", v.tips.shown())
				}
			})
		}
	}
	// The room's name above the conversation, too.
	bridge.DoAndWait(func() {
		v.switchRoom(room)
		ui.win.Resize(fitBudget)
		layoutAll(ui.win.Content())
		if v.header.Text != "# "+room || !tipFor(ui.win.Content(), v.header).cut() {
			t.Errorf("the header %q is not cut at %v", v.header.Text, fitBudget)
		}
		test.MoveMouse(ui.win.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(v.header).AddXY(20, 10))
	})
	waitUI(t, "the header's tooltip", func() bool { return v.tips.shown() == "# "+room })
	t.Logf("the smallest chat window: %v", smallest)
}

// tipFor finds the tip over label in o's tree.
func tipFor(o fyne.CanvasObject, label *widget.Label) *nameTip {
	for _, obj := range drawnObjects(o) {
		if tip, ok := obj.(*nameTip); ok && tip.label == label {
			return tip
		}
	}
	return nil
}
