// Package app is Confab's desktop GUI: the login screen (join or host) and
// the chat window. It touches widgets; the client package does the network,
// and package bridge hands results back to the UI thread.
package app

import (
	"log/slog"
	"path/filepath"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"

	"confab/assets"
	"confab/client"
	"confab/host"
	"confab/wire"
)

// ID is the app's identity (preferences, storage, notifications).
const ID = assets.ID

// Preference keys.
const (
	prefMode     = "mode" // "join" or "host"
	prefURL      = "url"
	prefUsername = "username"
	prefPort     = "port"
	prefOthers   = "allowOthers"
	prefAnnounce = "announce"
)

// UI is the running app: one window that shows the login screen or a chat.
type UI struct {
	app   fyne.App
	win   fyne.Window
	host  *host.Host   // when hosting
	chat  *client.Chat // when signed in
	view  *chatView    // the chat window, when signed in
	login *loginForm   // the login screen, when shown

	trust    *trustPrompt // the question about a server's key, when shown
	pinStore client.PinStore

	// hostStopped is closed once the last hosted server has stopped (its
	// port is free again): a stop runs off the UI thread.
	hostStopped chan struct{}

	asking   *question   // the dialog shown, if any
	tray     desktop.App // the system tray, where the app has one
	trayMenu *fyne.Menu  //
	trayShow *fyne.MenuItem
	unread   int  // messages unread: in rooms not shown, or while in the background (title, tray)
	inTray   bool // the window is hidden; the tray shows it again

	invite *wire.Invitation // for the join screen once signed out (launch.go)

	adminView *adminView // the administration dialog, when shown (admin.go)

	storage    string // the app's files; default: the app's storage
	hostDir    string // where a hosted server keeps its data; default: storage/server
	noLAN      bool   // neither browse nor announce on the local network
	foreground bool   // the window has the user's attention (no notifications then)
	alerts     alerting
}

// Run starts the app and returns when its window is closed; args are
// none or an invitation link. When Confab already runs, Run hands args
// to it and returns at once (launch.go).
func Run(args ...string) error {
	req, err := launchRequest(args)
	if err != nil {
		return err
	}
	migrateStorage()
	a := fyneapp.NewWithID(ID)
	single, run, err := claimInstance(a, req)
	if !run {
		return err
	}
	ui := New(a)
	ui.serveLaunches(single, req)
	go registerURLScheme()
	ui.win.Show()
	fitScreen(ui.win) // the size remembered, or the first start's, may not fit this screen (known once shown)
	ui.app.Run()
	single.Close() // a launch from now on starts anew
	ui.quit()
	return nil
}

// quit ends the app once its window is gone (Quit, or closing the window):
// it signs out locally and stops hosting, waiting until joiners are told.
func (ui *UI) quit() {
	ui.shutdown()
	<-ui.hostStopped
}

// Option adjusts New.
type Option func(*UI)

// NoLAN keeps the app off the local network's multicast: no list of chats
// found, no announcing when hosting. Tests outside a network namespace use it.
func NoLAN() Option { return func(ui *UI) { ui.noLAN = true } }

// New builds the UI on a Fyne app (tests pass fyne's test app).
func New(a fyne.App, opts ...Option) *UI {
	a.SetIcon(iconResource()) // before the window: it takes the app's icon when it is made
	ui := &UI{app: a, win: a.NewWindow("Confab"), foreground: true, hostStopped: closedChan(),
		storage: a.Storage().RootURI().Path()}
	for _, o := range opts {
		o(ui)
	}
	ui.pinStore = newAppPins(a, ui.storage)
	a.Lifecycle().SetOnEnteredForeground(func() { ui.setForeground(true) })
	a.Lifecycle().SetOnExitedForeground(func() { ui.setForeground(false) })
	ui.startNotes()
	ui.restoreSize()
	ui.win.SetMaster()
	ui.setupTray()
	ui.win.SetCloseIntercept(ui.requestClose)
	ui.registerShortcuts()
	ui.showLogin("")
	return ui
}

// Window is the app's window.
func (ui *UI) Window() fyne.Window { return ui.win }

// dataDir is where a hosted server keeps its database.
func (ui *UI) dataDir() string {
	if ui.hostDir != "" {
		return ui.hostDir
	}
	return filepath.Join(ui.storage, "server")
}

// shutdown signs out locally and stops hosting; it runs when the window closes.
func (ui *UI) shutdown() {
	ui.view = nil // ends the view's scroll watcher
	ui.alerts.notes.Close()
	if ui.login != nil {
		ui.login.found.close()
	}
	if ui.chat != nil {
		ui.chat.Close()
		ui.chat = nil
	}
	ui.stopHost()
}

// stopHost stops hosting without blocking the UI thread: joiners are told
// at once, and hostStopped closes when the port is free.
func (ui *UI) stopHost() {
	h := ui.host
	if h == nil {
		return
	}
	ui.host = nil
	stopped := make(chan struct{})
	ui.hostStopped = stopped
	go func() {
		defer close(stopped)
		if err := h.Stop(); err != nil {
			slog.Warn("stopping the hosted chat", "err", err)
		}
	}()
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
