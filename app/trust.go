package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"confab/client"
)

func (ui *UI) pins() client.PinStore { return prefsPins{ui.app.Preferences()} }

// trustPrompt is the certificate question on screen.
type trustPrompt struct {
	d       dialog.Dialog
	accept  *widget.Button
	cancel  *widget.Button
	checked *widget.Check // only for a changed certificate
}

func fingerprintLabel(fp string) *widget.Label {
	l := widget.NewLabel(fp)
	l.Wrapping = fyne.TextWrapBreak
	l.TextStyle = fyne.TextStyle{Monospace: true}
	return l
}

// askTrust shows a server's certificate fingerprint and pins it if the user
// accepts, then calls retry. A changed certificate takes a deliberate
// confirmation: it may be someone intercepting the connection.
func (ui *UI) askTrust(ce *client.CertError, retry func()) {
	p := &trustPrompt{}
	p.accept = widget.NewButton("Trust and continue", func() {
		p.d.Hide()
		ui.trust = nil
		ui.pins().SetPin(ce.Server, ce.Fingerprint) //nolint:errcheck // preferences cannot fail
		retry()
	})
	p.accept.Importance = widget.HighImportance
	p.cancel = widget.NewButton("Cancel", func() {
		p.d.Hide()
		ui.trust = nil
	})
	var content *fyne.Container
	title := "Trust this server?"
	if ce.Pinned == "" {
		content = container.NewVBox(
			widget.NewLabel("First connection to "+ce.Server+".\nAsk the host to read you the fingerprint shown in their window;\nit must be exactly this:"),
			fingerprintLabel(ce.Fingerprint),
		)
	} else {
		title = "Certificate changed"
		warn := widget.NewLabel("The certificate of " + ce.Server + " is not the one you trusted before.\n" +
			"If the host did not reinstall Confab or change its certificate,\nsomeone may be intercepting the connection: do not continue.")
		warn.Importance = widget.DangerImportance
		p.accept.SetText("Accept the new certificate")
		p.accept.Importance = widget.DangerImportance
		p.accept.Disable()
		p.checked = widget.NewCheck("I have compared the new fingerprint with the host", func(on bool) {
			if on {
				p.accept.Enable()
			} else {
				p.accept.Disable()
			}
		})
		content = container.NewVBox(warn,
			widget.NewLabel("Trusted before:"), fingerprintLabel(ce.Pinned),
			widget.NewLabel("Presented now:"), fingerprintLabel(ce.Fingerprint),
			p.checked)
	}
	content.Add(container.NewHBox(p.cancel, p.accept))
	p.d = dialog.NewCustomWithoutButtons(title, content, ui.win)
	p.d.Resize(fyne.NewSize(560, 0))
	p.d.Show()
	ui.trust = p
}
