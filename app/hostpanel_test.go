package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
)

// labels are the texts of the labels in a tree.
func labels(o fyne.CanvasObject) []string {
	switch c := o.(type) {
	case *widget.Label:
		return []string{c.Text}
	case *fyne.Container:
		var out []string
		for _, child := range c.Objects {
			out = append(out, labels(child)...)
		}
		return out
	case fyne.Widget:
		var out []string
		for _, child := range test.WidgetRenderer(c).Objects() {
			out = append(out, labels(child)...)
		}
		return out
	}
	return nil
}

// The host panel is narrow (the conversation keeps its width in a small
// window); how others join is one button away, with this computer's own
// address (it works without a network) and the fingerprint in the lines
// the question about a key uses; it answers Escape. Stopping asks first.
func TestHostPanel(t *testing.T) {
	ui := newUI(t)
	hostAs(ui, freePort(t), "hostess", "password-h", true)
	waitUI(t, "hosting", func() bool { return ui.chat != nil && ui.chat.State() == client.Online })
	bridge.DoAndWait(func() {
		v, h, c := ui.view, ui.host, ui.win.Canvas()
		if w := v.hostPanel().MinSize().Width; w > 240 {
			t.Errorf("the host panel is %.0f px wide", w)
		}
		test.Tap(findButton(v.content, howOthersJoin))
		top := c.Overlays().Top()
		if top == nil {
			t.Fatal("no dialog")
		}
		shown := strings.Join(labels(top), "\n")
		for _, want := range []string{h.LocalURL() + " (this computer only)", fingerprintLines(h.Fingerprint()), h.SafetyCode()} {
			if !strings.Contains(shown, want) {
				t.Errorf("the dialog does not show %q:\n%s", want, shown)
			}
		}
		if lines := strings.Split(fingerprintLines(h.Fingerprint()), "\n"); len(lines) != 4 || len(lines[0]) != len("AB:")*8 {
			t.Errorf("fingerprint lines %q", lines)
		}
		press(c, fyne.KeyEscape)
		if c.Overlays().Top() != nil {
			t.Fatal("Escape did not close the dialog")
		}

		stop := findButton(v.content, stopHosting)
		test.Tap(stop)
		press(c, fyne.KeyReturn) // on "Keep hosting", where the focus starts
		if ui.host == nil || c.Overlays().Top() != nil {
			t.Fatal("Enter on the question stopped hosting, or left it open")
		}
		test.Tap(stop)
		press(c, fyne.KeyEscape)
		if ui.host == nil || c.Overlays().Top() != nil {
			t.Fatal("Escape stopped hosting, or left the question open")
		}
		test.Tap(stop)
		for range 4 { // Tab to "Stop the chat"
			if b, ok := c.Focused().(*focusButton); ok && b.Text == stopChatBtn {
				break
			}
			c.FocusNext()
		}
		press(c, fyne.KeyReturn)
	})
	waitUI(t, "stopped", func() bool { return ui.host == nil && ui.login != nil })
}
