package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"confab/app/bridge"
	"confab/client"
	"confab/wire"
)

// The administration dialog (Confab › Administration…, and the host
// panel): the people on the chat with what an administrator can do to
// each, invitations, and the log of what administrators did. Every call
// runs off the UI thread; the server says whether the user may.

// Texts of the administration dialog.
const (
	adminTitle     = "Administration"
	adminMenu      = "Administration…"
	adminPeople    = "People"
	adminInvites   = "Invitations"
	adminLog       = "Log"
	adminLoading   = "Loading…"
	adminPickFirst = "Pick someone in the list first."
)

// adminView is the administration dialog's state.
type adminView struct {
	ui       *UI
	adm      *client.Admin
	users    []wire.AdminUser
	entries  []wire.AuditEntry
	selected int // in users; -1: none
	people   *widget.List
	log      *widget.List
	status   *widget.Label
	actions  []*widget.Button // need a selected, live account
	promote  *widget.Button
	inviteTo *widget.Label // the code and link just made
	copyInv  *widget.Button
	invText  string        // what copyInv copies: the link, else the code
	tempPw   *widget.Label // the temporary password shown, if any
	tabs     *container.AppTabs
	dlg      dialog.Dialog
}

// showAdmin opens the administration dialog for the signed-in user.
func (ui *UI) showAdmin() {
	if ui.chat == nil {
		return
	}
	a := &adminView{ui: ui, adm: ui.chat.Session().Admin(), selected: -1}
	ui.adminView = a
	a.tabs = container.NewAppTabs(
		container.NewTabItem(adminPeople, a.peopleTab()),
		container.NewTabItem(adminInvites, a.invitesTab()),
		container.NewTabItem(adminLog, a.logTab()),
	)
	closeBtn := newFocusButton("Close", func() { a.dlg.Hide() })
	closeBtn.onEscape = closeBtn.OnTapped
	a.status = wrapped(adminLoading)
	body := container.NewBorder(nil, container.NewVBox(a.status, container.NewHBox(closeBtn)), nil, nil, a.tabs)
	a.dlg = dialog.NewCustomWithoutButtons(adminTitle, body, ui.win)
	a.dlg.SetOnClosed(func() {
		if ui.adminView == a {
			ui.adminView = nil
		}
	})
	size := ui.win.Canvas().Size()
	a.dlg.Resize(fyne.NewSize(min(640, size.Width-40), min(560, size.Height-40)))
	showKeyed(ui.win, a.dlg, closeBtn, closeBtn.OnTapped)
	a.reload()
}

// run makes an administrative call off the UI thread, then shows done's
// words (or why it failed) and loads the lists again.
func (a *adminView) run(call func(context.Context) (string, error)) {
	a.status.SetText("Working…")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		text, err := call(ctx)
		bridge.Do(func() {
			if err != nil {
				text = errText(err)
			}
			a.status.SetText(text)
			a.reload()
		})
	}()
}

// reload fetches the people and the log.
func (a *adminView) reload() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		users, err := a.adm.Users(ctx)
		var entries []wire.AuditEntry
		if err == nil {
			entries, err = a.adm.Audit(ctx, wire.DefaultAuditPage)
		}
		bridge.Do(func() {
			if err != nil {
				a.status.SetText(errText(err))
				return
			}
			if a.status.Text == adminLoading {
				a.status.SetText("")
			}
			a.users, a.entries = users, entries
			if a.selected >= len(users) {
				a.selected = -1
			}
			a.people.Refresh()
			a.log.Refresh()
			a.enable()
		})
	}()
}

func (a *adminView) peopleTab() fyne.CanvasObject {
	a.people = widget.NewList(func() int { return len(a.users) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			facts := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{})
			facts.Truncation = fyne.TextTruncateEllipsis
			// Two fixed halves: a label set later does not widen its column.
			return container.NewGridWithColumns(2, name, facts)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(a.users[i].Username)
			row.Objects[1].(*widget.Label).SetText(userFacts(a.users[i], time.Now()))
		})
	a.people.OnSelected = func(i widget.ListItemID) { a.selected = i; a.enable() }
	a.people.OnUnselected = func(widget.ListItemID) { a.selected = -1; a.enable() }
	add := widget.NewButtonWithIcon("Add someone…", theme.ContentAddIcon(), a.addDialog)
	a.promote = widget.NewButton("Make administrator", a.togglePromote)
	reset := widget.NewButton("Reset password…", a.confirmReset)
	rename := widget.NewButton("Rename…", a.renameDialog)
	kick := widget.NewButton("Take out of a room…", a.kickDialog)
	remove := widget.NewButtonWithIcon("Remove…", theme.DeleteIcon(), a.confirmRemove)
	remove.Importance = widget.DangerImportance
	a.actions = []*widget.Button{a.promote, reset, rename, kick, remove}
	a.enable()
	buttons := container.NewGridWithColumns(3, a.promote, reset, rename, kick, remove, add)
	return container.NewBorder(nil, buttons, nil, nil, a.people)
}

// userFacts is what the list says of an account: its role, and when it
// was last seen.
func userFacts(u wire.AdminUser, now time.Time) string {
	var facts []string
	switch {
	case u.Removed:
		facts = append(facts, "removed")
	case u.Admin:
		facts = append(facts, "administrator")
	}
	switch {
	case u.Online:
		facts = append(facts, "online")
	case u.LastSeen != nil:
		facts = append(facts, "last seen "+whenText(*u.LastSeen, now))
	default:
		facts = append(facts, "never signed in")
	}
	return strings.Join(facts, " · ")
}

// whenText is a time as people say it: today's by its hour, others by date.
func whenText(t, now time.Time) string {
	t = t.Local()
	if y, m, d := t.Date(); y == now.Local().Year() && m == now.Local().Month() && d == now.Local().Day() {
		return "today " + t.Format("15:04")
	}
	return t.Format("2 Jan 2006 15:04")
}

// target is the selected live account.
func (a *adminView) target() (wire.AdminUser, bool) {
	if a.selected < 0 || a.selected >= len(a.users) || a.users[a.selected].Removed {
		a.status.SetText(adminPickFirst)
		return wire.AdminUser{}, false
	}
	return a.users[a.selected], true
}

// enable lets the actions be used when a live account is selected.
func (a *adminView) enable() {
	u, ok := wire.AdminUser{}, a.selected >= 0 && a.selected < len(a.users) && !a.users[a.selected].Removed
	if ok {
		u = a.users[a.selected]
	}
	for _, b := range a.actions {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if u.Admin {
		a.promote.SetText("Remove administrator")
	} else {
		a.promote.SetText("Make administrator")
	}
}

func (a *adminView) togglePromote() {
	u, ok := a.target()
	if !ok {
		return
	}
	a.run(func(ctx context.Context) (string, error) {
		if err := a.adm.SetAdmin(ctx, u.Username, !u.Admin); err != nil {
			return "", err
		}
		if u.Admin {
			return u.Username + " is no longer an administrator.", nil
		}
		return u.Username + " is now an administrator.", nil
	})
}

func (a *adminView) confirmReset() {
	u, ok := a.target()
	if !ok {
		return
	}
	a.ui.ask("Reset password", paragraph(fmt.Sprintf("Reset %s's password? They are signed out everywhere, and you get a temporary password to give them.", u.Username)),
		answer{label: "Cancel", cancel: true},
		answer{label: "Reset password", primary: true, danger: true, run: func() {
			a.run(func(ctx context.Context) (string, error) {
				pw, err := a.adm.ResetPassword(ctx, u.Username)
				if err == nil {
					bridge.Do(func() { a.showTempPassword(u.Username, pw) })
				}
				return u.Username + " is signed out everywhere.", err
			})
		}})
}

// showTempPassword shows a temporary password once, with a copy button.
// It is never logged nor kept.
func (a *adminView) showTempPassword(user, pw string) {
	code := widget.NewLabelWithStyle(pw, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})
	code.Selectable = true
	a.tempPw = code
	copyBtn := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() { a.ui.app.Clipboard().SetContent(pw) })
	a.ui.ask("Temporary password", container.NewVBox(
		paragraph(fmt.Sprintf("Give %s this temporary password to sign in with. It is shown only now.", user)),
		code, container.NewCenter(copyBtn)),
		answer{label: "Done", primary: true, cancel: true})
}

func (a *adminView) confirmRemove() {
	u, ok := a.target()
	if !ok {
		return
	}
	a.ui.ask("Remove "+u.Username, paragraph(fmt.Sprintf("Remove %s? They are disconnected at once and cannot sign in again. Their messages stay, marked as from a removed user.", u.Username)),
		answer{label: "Cancel", primary: true, cancel: true},
		answer{label: "Remove", danger: true, run: func() {
			a.run(func(ctx context.Context) (string, error) {
				return u.Username + " was removed.", a.adm.Remove(ctx, u.Username)
			})
		}})
}

// entryDialog asks for one line, then runs submit with it.
func (a *adminView) entryDialog(title, label, placeholder string, submit func(string)) {
	e := widget.NewEntry()
	e.SetPlaceHolder(placeholder)
	d := dialog.NewForm(title, "OK", "Cancel", []*widget.FormItem{widget.NewFormItem(label, e)}, func(ok bool) {
		if ok && strings.TrimSpace(e.Text) != "" {
			submit(strings.TrimSpace(e.Text))
		}
	}, a.ui.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	a.ui.win.Canvas().Focus(e)
}

func (a *adminView) renameDialog() {
	u, ok := a.target()
	if !ok {
		return
	}
	a.entryDialog("Rename "+u.Username, "New name", "username", func(name string) {
		a.run(func(ctx context.Context) (string, error) {
			return fmt.Sprintf("%s is now %s; they sign in again with the new name. Their earlier messages keep the name they were sent under.", u.Username, name),
				a.adm.Rename(ctx, u.Username, name)
		})
	})
}

func (a *adminView) kickDialog() {
	u, ok := a.target()
	if !ok {
		return
	}
	a.entryDialog("Take "+u.Username+" out of a room", "Room", "room name", func(room string) {
		room = strings.TrimPrefix(room, "#")
		a.run(func(ctx context.Context) (string, error) {
			return fmt.Sprintf("%s was taken out of #%s.", u.Username, room), a.adm.Kick(ctx, u.Username, room)
		})
	})
}

func (a *adminView) addDialog() {
	name, pass := widget.NewEntry(), widget.NewPasswordEntry()
	admin := widget.NewCheck("Administrator", nil)
	d := dialog.NewForm("Add someone", "Add", "Cancel", []*widget.FormItem{
		widget.NewFormItem("Username", name), widget.NewFormItem("Password", pass), widget.NewFormItem("", admin),
	}, func(ok bool) {
		if !ok {
			return
		}
		user, pw, isAdmin := name.Text, pass.Text, admin.Checked
		a.run(func(ctx context.Context) (string, error) {
			_, err := a.adm.AddUser(ctx, user, pw, isAdmin)
			return user + " was added. Give them their password.", err
		})
	}, a.ui.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	a.ui.win.Canvas().Focus(name)
}

// authorName is how a message's author shows: a removed account says so.
func authorName(a wire.Author) string {
	if a.Removed {
		return a.Username + " (removed)"
	}
	return a.Username
}

// kickedFrom says, by the rooms, that an administrator took the user out
// of a room.
func (v *chatView) kickedFrom(room string) {
	v.showRoomErr(fmt.Sprintf("An administrator took you out of #%s.", room))
}
