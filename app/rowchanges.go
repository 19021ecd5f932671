package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/wire"
)

// What a row shows and offers of edits, deletes and reactions.

// changes is the part of a row's spec about them.
type changes struct {
	id        int64 // the stored message's id; 0 for ours on its way
	mine      bool  // ours: Edit and Delete are offered
	me        string
	deleted   bool
	reactions []wire.Reaction
}

// changeActions are what the row's menu and reactions do.
type changeActions struct {
	edit   func(id int64, text string)
	remove func(id int64)
	react  func(id int64, emoji string, on bool)
}

// chipText is a reaction as its button shows it.
func chipText(r wire.Reaction) string { return fmt.Sprintf("%s %d", r.Emoji, r.Count) }

// layoutChips places the reactions' buttons under the text, wrapping at
// the row's width; it returns the y below them.
func layoutChips(g *rowGeom, s *rowSpec, y, width float32) float32 {
	g.chips, g.chipSz = g.chips[:0], g.chipSz[:0]
	if len(s.reactions) == 0 || s.deleted {
		return y
	}
	y += headerGap
	x, lineH := g.padX, float32(0)
	for _, r := range s.reactions {
		sz := widget.NewButton(chipText(r), nil).MinSize()
		if x > g.padX && x+sz.Width > width-g.padX {
			x, y, lineH = g.padX, y+lineH+headerGap, 0
		}
		g.chips = append(g.chips, fyne.NewPos(x, y))
		g.chipSz = append(g.chipSz, sz)
		x += sz.Width + theme.Padding()
		lineH = max(lineH, sz.Height)
	}
	return y + lineH
}

// appendChips adds the reactions' buttons; a tap toggles ours.
func (r *msgRow) appendChips(objs []fyne.CanvasObject, g rowGeom) []fyne.CanvasObject {
	for i, pos := range g.chips {
		if i == len(r.chips) {
			r.chips = append(r.chips, widget.NewButton("", nil))
		}
		b, re, id := r.chips[i], r.spec.reactions[i], r.spec.id
		b.SetText(chipText(re))
		// Ours on a plain button, others' flat: a coloured button would
		// hide the emoji's own colours.
		mine := reactedBy(re, r.spec.me)
		b.Importance = widget.LowImportance
		if mine {
			b.Importance = widget.MediumImportance
		}
		b.OnTapped = func() {
			if r.act.react != nil {
				r.act.react(id, re.Emoji, !mine)
			}
		}
		b.Move(pos)
		b.Resize(g.chipSz[i])
		b.Refresh()
		objs = append(objs, b)
	}
	return objs
}

// changeItems are the menu's entries for reacting, and for editing and
// deleting our own messages.
func (r *msgRow) changeItems() []*fyne.MenuItem {
	s, act := r.spec, r.act
	if s.id == 0 || s.deleted {
		return nil
	}
	var picks []*fyne.MenuItem
	for _, emoji := range wire.Reactions {
		on := true
		for _, re := range s.reactions {
			if re.Emoji == emoji && reactedBy(re, s.me) {
				on = false
			}
		}
		item := fyne.NewMenuItem(emoji, func() {
			if act.react != nil {
				act.react(s.id, emoji, on)
			}
		})
		item.Checked = !on
		picks = append(picks, item)
	}
	react := fyne.NewMenuItem("React", nil)
	react.ChildMenu = fyne.NewMenu("", picks...)
	items := []*fyne.MenuItem{fyne.NewMenuItemSeparator(), react}
	if s.mine {
		items = append(items,
			fyne.NewMenuItem("Edit…", func() {
				if act.edit != nil {
					act.edit(s.id, s.text)
				}
			}),
			fyne.NewMenuItem("Delete…", func() {
				if act.remove != nil {
					act.remove(s.id)
				}
			}))
	}
	return items
}
