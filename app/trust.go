package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/client"
)

// trustPrompt is a question about a server's key on screen.
type trustPrompt struct {
	d       dialog.Dialog
	accept  *focusButton
	cancel  *focusButton
	checked *escCheck     // when the answer must be deliberate
	code    *widget.Label // the safety code asked about
	details *focusButton  // shows the key fingerprint
}

// close hides the question.
func (p *trustPrompt) close(ui *UI) {
	p.d.Hide()
	ui.trust = nil
}

// show makes every control of the prompt answer Escape with cancel, and
// shows it with the focus on cancel: Enter, pressed without reading, must
// not trust a key (the person moves to the other button on purpose).
func (p *trustPrompt) show(ui *UI) {
	for _, b := range []*focusButton{p.accept, p.cancel, p.details} {
		if b != nil {
			b.onEscape = p.cancel.OnTapped
		}
	}
	showKeyed(ui.win, p.d, p.cancel, p.cancel.OnTapped)
	ui.trust = p
}

// fingerprintLabel shows a key's fingerprint the same way everywhere (the
// host panel, the questions about a key), so that people compare like with
// like.
func fingerprintLabel(fp string) *widget.Label {
	l := widget.NewLabel(fingerprintLines(fp))
	l.TextStyle = fyne.TextStyle{Monospace: true}
	return l
}

// disclosure is a button that shows and hides what it names.
func disclosure(name string, content fyne.CanvasObject) (*focusButton, *fyne.Container) {
	content.Hide()
	var b *focusButton
	b = newFocusButton(name, func() {
		if content.Visible() {
			content.Hide()
			b.SetIcon(theme.MenuExpandIcon())
		} else {
			content.Show()
			b.SetIcon(theme.MenuDropDownIcon())
		}
	})
	b.SetIcon(theme.MenuExpandIcon())
	b.Alignment = widget.ButtonAlignLeading
	b.Importance = widget.LowImportance
	return b, container.NewVBox(b, content)
}

func safetyCodeLabel(code string) *widget.Label {
	l := widget.NewLabelWithStyle(code, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.SizeName = "headingText"
	return l
}

func warning(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	return l
}

// askTrust asks whether to trust the key a server presented and pins it
// if the person accepts, then calls retry. picked is the chat as the LAN
// list showed it, if it came from there. A changed key, or a name that is
// claimed twice or was trusted under another key, takes a deliberate
// confirmation: someone may be impersonating the host.
func (ui *UI) askTrust(ce *client.CertError, picked *client.Found, retry func()) {
	p := &trustPrompt{code: safetyCodeLabel(ce.SafetyCode())}
	p.accept = newFocusButton("Trust and continue", func() {
		p.close(ui)
		ui.pinStore.SetPin(ce.Server, ce.Fingerprint) //nolint:errcheck // shown by the retry if it failed
		if picked != nil {
			ui.pinStore.SetNamed(ce.Fingerprint, picked.Name) //nolint:errcheck
		}
		retry()
	})
	p.accept.Importance = widget.HighImportance
	p.cancel = newFocusButton("Do not trust", func() { p.close(ui) })
	title, content, warned := trustContent(ce, picked, p)
	var answers fyne.CanvasObject = container.NewHBox(p.cancel, p.accept) // on screen whatever the window's height
	if warned {
		p.accept.Importance = widget.DangerImportance
		p.accept.Disable()
		p.checked = newEscCheck("I have compared the safety code with the host", func(on bool) {
			if on {
				p.accept.Enable()
			} else {
				p.accept.Disable()
			}
		}, p.cancel.OnTapped)
		answers = container.NewVBox(p.checked, answers)
	}
	p.d = dialog.NewCustomWithoutButtons(title, ui.dialogBody(content, answers), ui.win)
	p.d.Resize(fyne.NewSize(600, 0))
	p.show(ui)
}

// trustContent says what is asked: a first connection, or a changed key.
func trustContent(ce *client.CertError, picked *client.Found, p *trustPrompt) (string, *fyne.Container, bool) {
	if ce.Pinned != "" {
		c := container.NewVBox(
			warning(fmt.Sprintf("The key of %s is not the one you trusted before. If the host did not reinstall "+
				"Confab or change its certificate, someone may be intercepting the connection: do not continue.", ce.Server)),
			widget.NewLabel("Safety code trusted before:"), safetyCodeLabel(client.SafetyCode(ce.Pinned)),
			widget.NewLabel("Safety code now:"), p.code,
		)
		var box *fyne.Container
		p.details, box = disclosure("Key fingerprints", container.NewVBox(
			widget.NewLabel("Trusted before:"), fingerprintLabel(ce.Pinned), widget.NewLabel("Now:"), fingerprintLabel(ce.Fingerprint)))
		c.Add(box)
		p.accept.SetText("Trust the new key")
		return "The chat's key has changed", c, true
	}
	who := ce.Server
	if picked != nil {
		who = fmt.Sprintf("“%s” (%s)", picked.Name, ce.Server)
	}
	c := container.NewVBox(
		widget.NewLabel("First connection to "+who+".\nAsk the host for the safety code in their Confab window\n"+
			"(a server without a window prints it when it starts). It must be exactly:"),
		p.code,
	)
	warned := false
	if picked != nil && picked.Conflict {
		c.Add(warning("Another chat on this network has the same name and a different key: only one of them is the host's."))
		warned = true
	}
	if picked != nil && picked.Impostor {
		c.Add(warning(fmt.Sprintf("You trusted a chat named “%s” before, with another key: this one may be someone else using its name.", picked.Name)))
		warned = true
	}
	var box *fyne.Container
	p.details, box = disclosure("Key fingerprint", fingerprintLabel(ce.Fingerprint))
	c.Add(box)
	return "Is this the right chat?", c, warned
}

// fingerprintBytesPerLine groups a SHA-256 fingerprint (32 bytes) in four
// equal lines, narrow enough for the host panel.
const fingerprintBytesPerLine = 8

// fingerprintLines breaks a fingerprint into lines by hand: Fyne sizes a
// label wrapped by itself too short, and what follows overlaps it.
func fingerprintLines(fp string) string {
	parts := strings.Split(fp, ":")
	var lines []string
	for len(parts) > fingerprintBytesPerLine {
		lines = append(lines, strings.Join(parts[:fingerprintBytesPerLine], ":")+":")
		parts = parts[fingerprintBytesPerLine:]
	}
	return strings.Join(append(lines, strings.Join(parts, ":")), "\n")
}

// askPlain asks before signing in to a chat that is not encrypted.
func (ui *UI) askPlain(url string, retry func()) {
	p := &trustPrompt{}
	p.accept = newFocusButton("Join without encryption", func() {
		p.close(ui)
		retry()
	})
	p.accept.Importance = widget.DangerImportance
	p.cancel = newFocusButton("Cancel", func() { p.close(ui) })
	content := container.NewVBox(
		warning("The chat at "+url+" is not encrypted: your password, your messages and everyone's on it "+
			"cross the network readable by anyone on it. Join only if you trust this network."),
		container.NewHBox(p.cancel, p.accept),
	)
	p.d = dialog.NewCustomWithoutButtons("Not encrypted", content, ui.win)
	p.d.Resize(fyne.NewSize(520, 0))
	p.show(ui)
}
