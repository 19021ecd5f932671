//go:build !(linux || freebsd || openbsd || netbsd)

package attention

import "errors"

// Windows and macOS: not done yet (FlashWindowEx, a dock bounce); the
// window's title and the tray icon show unread messages there.
func setUrgent(string, uintptr, bool) error {
	return errors.New("not supported on this system")
}
