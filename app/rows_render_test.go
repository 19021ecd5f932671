package app

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"confab/app/bridge"
)

// drawnText is a text on screen, in window coordinates.
type drawnText struct {
	text     string
	pos, end fyne.Position
}

// visibleTexts walks what o draws, as the painter would, and returns its
// visible texts. It knows nothing of how rows are made, so it judges any
// implementation of the conversation by what a person would see.
func visibleTexts(o fyne.CanvasObject, at fyne.Position) []drawnText {
	if !o.Visible() {
		return nil
	}
	at = at.Add(o.Position())
	var out []drawnText
	switch o := o.(type) {
	case *canvas.Text:
		if strings.TrimSpace(o.Text) != "" {
			out = append(out, drawnText{o.Text, at, at.Add(o.MinSize())})
		}
	case *fyne.Container:
		for _, c := range o.Objects {
			out = append(out, visibleTexts(c, at)...)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			out = append(out, visibleTexts(c, at)...)
		}
	}
	return out
}

// maxGap is the most empty space between two lines of the conversation:
// the paddings between rows, or around a code block.
const maxGap = 20

// TestConversationTextNeverOverlaps: at several widths, and after a new
// long message, no text of the conversation is drawn over another (a row
// too short lets its last line run under the next row's header), and the
// newest text is inside the view; no row leaves empty space below its text.
func TestConversationTextNeverOverlaps(t *testing.T) {
	v := offlineView(t, fyne.NewSize(270, 500), true)
	bridge.DoAndWait(func() {
		for i := 1; i <= 12; i++ {
			text := fmt.Sprint("short message ", i)
			switch i % 4 {
			case 0:
				text = longText
			case 2: // capitals are wider than an average letter
				text = "WARNING: THE BUILD MACHINE WILL BE DOWN FOR MAINTENANCE ON MONDAY MORNING, PLEASE MERGE BEFORE NOON"
			}
			say(v, i, fmt.Sprint("user", i%2), text)
		}
	})
	check := func(what string) {
		t.Helper()
		bridge.DoAndWait(func() {
			pane := fyne.CanvasObject(v.msgList)
			texts := visibleTexts(pane, fyne.Position{}.Subtract(pane.Position()))
			if len(texts) == 0 {
				t.Fatalf("%s: nothing drawn", what)
			}
			for i, a := range texts {
				for _, b := range texts[i+1:] {
					if a.pos.X < b.end.X-1 && b.pos.X < a.end.X-1 && a.pos.Y < b.end.Y-1 && b.pos.Y < a.end.Y-1 {
						t.Errorf("%s: %q at %v overlaps %q at %v", what, a.text, a.pos, b.text, b.pos)
					}
				}
			}
			sort.Slice(texts, func(i, j int) bool { return texts[i].pos.Y < texts[j].pos.Y })
			for i := 1; i < len(texts); i++ { // no empty space left by a row taller than its text
				if gap := texts[i].pos.Y - texts[i-1].end.Y; gap > maxGap {
					t.Errorf("%s: %v px of empty space above %q", what, gap, texts[i].text)
				}
			}
			last := texts[len(texts)-1]
			if h := pane.Size().Height; last.end.Y > h+0.5 {
				t.Errorf("%s: the newest text %q ends at %v, below the %v px view", what, last.text, last.end.Y, h)
			}
		})
	}
	check("270 px")
	for _, w := range []float32{700, 270, 1000} {
		bridge.DoAndWait(func() { v.ui.win.Resize(fyne.NewSize(w, 500)) })
		check(fmt.Sprint(w, " px"))
	}
	bridge.DoAndWait(func() { say(v, 13, "bob", longText+" "+longText) })
	check("after a new long message")
}
