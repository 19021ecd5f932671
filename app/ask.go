package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// answer is one button of a question. The primary answer is the one Enter
// gives; the cancel answer the one Escape gives (Fyne's dialogs answer
// neither key by themselves).
type answer struct {
	label   string
	run     func() // nil: only close
	primary bool   // Enter; shown highlighted
	cancel  bool   // Escape
	danger  bool   // ends something for others: shown red
}

// question is the dialog shown, for the keys and for tests.
type question struct {
	d       *dialog.CustomDialog
	keys    *dialogKeys
	buttons []*focusButton
	answers []answer
}

// ask shows a dialog with content and answers, and gives it the keyboard.
func (ui *UI) ask(title string, content fyne.CanvasObject, answers ...answer) *question {
	q := &question{answers: answers}
	q.keys = &dialogKeys{q: q}
	q.keys.ExtendBaseWidget(q.keys)
	q.d = dialog.NewCustomWithoutButtons(title, container.NewStack(q.keys, content), ui.win)
	var buttons []fyne.CanvasObject
	for i, a := range answers {
		// Tab reaches the buttons (with a visible ring); Enter presses the
		// focused one, Escape still cancels.
		b := newFocusButton(a.label, func() { q.choose(i) })
		b.onEscape = func() { q.key(fyne.KeyEscape) }
		switch {
		case a.danger:
			b.Importance = widget.DangerImportance
		case a.primary:
			b.Importance = widget.HighImportance
		}
		q.buttons = append(q.buttons, b)
		buttons = append(buttons, b)
	}
	q.d.SetButtons(buttons)
	q.d.SetOnClosed(func() {
		if ui.asking == q {
			ui.asking = nil
		}
		if ui.view != nil && ui.win.Canvas().Focused() == nil {
			ui.view.focusComposer() // the keyboard goes back where it was
		}
	})
	ui.asking = q
	q.d.Show()
	ui.win.Canvas().Focus(q.keys)
	return q
}

// choose closes the dialog and runs answer i.
func (q *question) choose(i int) {
	q.d.Hide()
	if run := q.answers[i].run; run != nil {
		run()
	}
}

// key answers Enter and Escape; it reports whether the key was one of them.
func (q *question) key(name fyne.KeyName) bool {
	for i, a := range q.answers {
		if (a.primary && (name == fyne.KeyReturn || name == fyne.KeyEnter)) || (a.cancel && name == fyne.KeyEscape) {
			q.choose(i)
			return true
		}
	}
	if name == fyne.KeyEscape { // no cancel answer: Escape only closes
		q.d.Hide()
		return true
	}
	return false
}

// dialogKeys holds the keyboard while a question is shown: an invisible,
// focusable widget behind the dialog's content.
type dialogKeys struct {
	widget.BaseWidget
	q *question
}

func (k *dialogKeys) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack())
}

func (k *dialogKeys) FocusGained()              {}
func (k *dialogKeys) FocusLost()                {}
func (k *dialogKeys) TypedRune(rune)            {}
func (k *dialogKeys) TypedKey(e *fyne.KeyEvent) { k.q.key(e.Name) }
