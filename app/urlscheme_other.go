//go:build !windows

package app

// registerURLScheme: on Linux the desktop entry registers confab:// links
// (MimeType=x-scheme-handler/confab).
func registerURLScheme() {}
