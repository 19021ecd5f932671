package app

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"confab/wire"
)

// The administration dialog's Log tab (admin.go): every administrative
// action, newest first.

func (a *adminView) logTab() fyne.CanvasObject {
	a.log = widget.NewList(func() int { return len(a.entries) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(auditText(a.entries[i], time.Now()))
		})
	return a.log
}

// auditWords say each action in a few words.
var auditWords = map[string]string{
	wire.AuditAdd: "added", wire.AuditRemove: "removed", wire.AuditReset: "reset the password of",
	wire.AuditPromote: "made an administrator:", wire.AuditDemote: "took administration from", wire.AuditRename: "renamed",
	wire.AuditKick: "took out of a room:", wire.AuditInvite: "created an invitation", wire.AuditRedeemed: "joined with an invitation",
}

// auditText is one line of the log: when, who, what, whom.
func auditText(e wire.AuditEntry, now time.Time) string {
	what := auditWords[e.Action]
	if what == "" {
		what = e.Action
	}
	line := whenText(e.At, now) + "  " + e.Actor + " " + what
	if e.Target != "" && e.Action != wire.AuditRedeemed {
		line += " " + e.Target
	}
	if e.Detail != "" {
		line += " (" + e.Detail + ")"
	}
	return line
}
