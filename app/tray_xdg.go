//go:build linux || freebsd || openbsd || netbsd

package app

import (
	"os"

	"github.com/godbus/dbus/v5"
)

// trayShown reports whether the desktop shows tray icons: on these
// systems a StatusNotifierWatcher on the session bus does (stock GNOME has
// none). Without one, a window hidden to the tray could not be shown again.
func trayShown() bool {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return false // no session bus to reach one through (and no autolaunch wanted)
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return false
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	return err == nil && has
}
