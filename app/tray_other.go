//go:build !(linux || freebsd || openbsd || netbsd)

package app

// trayShown: Windows and macOS always show tray (menu bar) icons.
func trayShown() bool { return true }
