package main

import "runtime"

// On Linux and the BSDs the window needs an X11 display (a Wayland one
// with the wayland build tag). Without one, GLFW logged an X11 error and
// Fyne panicked; the app says so in a sentence instead, before the toolkit
// starts.

// noDisplay is that sentence when the display the build needs is not set,
// and "" when it is (or on other systems, where there is always a desktop).
func noDisplay(getenv func(string) string) string {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
	default:
		return ""
	}
	if getenv(displayVar) != "" {
		return ""
	}
	return "Confab needs a graphical desktop, but " + displayVar + " is not set: start it in a desktop session, " +
		"or run the chat server without a window with `confab serve`."
}
