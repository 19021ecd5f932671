package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// The chat window's three columns: rooms, conversation, people. The side
// columns have minimum widths that fit their words at 700 px; the
// conversation gets the rest, and the most.
const (
	peopleMinWidth = 130  // px: "● " and a short name; longer ones are cut with "…"
	roomsHeight    = 0.35 // of the column's height for the rooms, above the host panel
	roomsShare     = 0.2  // of the window's width, when wider than the minimum
	peopleShare    = 0.82 // the conversation's share of what the rooms leave
)

// roomsMinWidth fits the room box's whole placeholder and its "+" button,
// and a room name of about 14 letters.
func roomsMinWidth() float32 {
	text := fyne.MeasureText(roomPlaceholder, theme.TextSize(), fyne.TextStyle{}).Width
	return max(roomsFloor, text+4*theme.InnerPadding()+theme.IconInlineSize()+2*theme.Padding())
}

const roomsFloor = 160 // px

// minWidth lays its objects out at full size, and is never narrower than w.
type minWidth float32

func (w minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(float32(w), 0)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

func (w minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// columns puts the three side by side, the dividers movable.
func columns(rooms, conversation, people fyne.CanvasObject) *container.Split {
	right := container.NewHSplit(conversation, container.New(minWidth(peopleMinWidth), people))
	right.Offset = peopleShare
	split := container.NewHSplit(container.New(minWidth(roomsMinWidth()), rooms), right)
	split.Offset = roomsShare
	return split
}

// roomColumn is the room box above the joined rooms and, when hosting,
// the host panel below them, scrolling when the window is short: the rooms
// keep a few rows whatever the panel's height.
func (v *chatView) roomColumn(hostPanel fyne.CanvasObject) fyne.CanvasObject {
	rooms := v.withDMs(v.roomList)
	if v.ui.host != nil {
		s := container.NewVSplit(rooms, container.NewVScroll(hostPanel))
		s.Offset = roomsHeight
		rooms = s
	}
	return container.NewBorder(v.roomColumnTop(), nil, nil, nil, rooms)
}
