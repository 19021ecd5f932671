package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"confab/client"
)

// trustPrompt is a question about a server's key on screen.
type trustPrompt struct {
	d       dialog.Dialog
	accept  *widget.Button
	cancel  *widget.Button
	checked *widget.Check // when the answer must be deliberate
	code    *widget.Label // the safety code asked about
}

func fingerprintLabel(fp string) *widget.Label {
	l := widget.NewLabel(fingerprintLines(fp))
	l.TextStyle = fyne.TextStyle{Monospace: true}
	return l
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
	p.accept = widget.NewButton("Trust and continue", func() {
		p.d.Hide()
		ui.trust = nil
		ui.pinStore.SetPin(ce.Server, ce.Fingerprint) //nolint:errcheck // shown by the retry if it failed
		if picked != nil {
			ui.pinStore.SetNamed(ce.Fingerprint, picked.Name) //nolint:errcheck
		}
		retry()
	})
	p.accept.Importance = widget.HighImportance
	p.cancel = widget.NewButton("Cancel", func() {
		p.d.Hide()
		ui.trust = nil
	})
	title, content, warned := trustContent(ce, picked, p)
	if warned {
		p.accept.Importance = widget.DangerImportance
		p.accept.Disable()
		p.checked = widget.NewCheck("I have compared the safety code with the host", func(on bool) {
			if on {
				p.accept.Enable()
			} else {
				p.accept.Disable()
			}
		})
		content.Add(p.checked)
	}
	content.Add(container.NewHBox(p.cancel, p.accept))
	p.d = dialog.NewCustomWithoutButtons(title, content, ui.win)
	p.d.Resize(fyne.NewSize(600, 0))
	p.d.Show()
	ui.trust = p
}

// trustContent says what is asked: a first connection, or a changed key.
func trustContent(ce *client.CertError, picked *client.Found, p *trustPrompt) (string, *fyne.Container, bool) {
	if ce.Pinned != "" {
		c := container.NewVBox(
			warning(fmt.Sprintf("The key of %s is not the one you trusted before. If the host did not reinstall "+
				"Confab or change its certificate, someone may be intercepting the connection: do not continue.", ce.Server)),
			widget.NewLabel("Safety code trusted before:"), safetyCodeLabel(client.SafetyCode(ce.Pinned)),
			widget.NewLabel("Safety code now:"), p.code,
			widget.NewAccordion(widget.NewAccordionItem("Key fingerprints",
				container.NewVBox(fingerprintLabel(ce.Pinned), fingerprintLabel(ce.Fingerprint)))),
		)
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
	c.Add(widget.NewAccordion(widget.NewAccordionItem("Key fingerprint", fingerprintLabel(ce.Fingerprint))))
	return "Is this the right chat?", c, warned
}

// fingerprintLines breaks a fingerprint into lines of 11 bytes by hand:
// Fyne sizes a label wrapped by itself too short, and what follows overlaps it.
func fingerprintLines(fp string) string {
	parts := strings.Split(fp, ":")
	var lines []string
	for len(parts) > 11 {
		lines = append(lines, strings.Join(parts[:11], ":")+":")
		parts = parts[11:]
	}
	return strings.Join(append(lines, strings.Join(parts, ":")), "\n")
}

// askPlain asks before signing in to a chat that is not encrypted.
func (ui *UI) askPlain(url string, retry func()) {
	p := &trustPrompt{}
	p.accept = widget.NewButton("Join without encryption", func() {
		p.d.Hide()
		ui.trust = nil
		retry()
	})
	p.accept.Importance = widget.DangerImportance
	p.cancel = widget.NewButton("Cancel", func() {
		p.d.Hide()
		ui.trust = nil
	})
	content := container.NewVBox(
		warning("The chat at "+url+" is not encrypted: your password, your messages and everyone's on it "+
			"cross the network readable by anyone on it. Join only if you trust this network."),
		container.NewHBox(p.cancel, p.accept),
	)
	p.d = dialog.NewCustomWithoutButtons("Not encrypted", content, ui.win)
	p.d.Resize(fyne.NewSize(520, 0))
	p.d.Show()
	ui.trust = p
}
