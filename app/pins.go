package app

import (
	"path/filepath"

	"fyne.io/fyne/v2"

	"confab/client"
)

// The app keeps trusted keys in its storage (pins.json, the format of
// `confab chat --pins`). Versions before it kept one preference per server
// ("pin:host:port"): those are moved over when first looked up.

// prefPinPrefix keyed a pinned certificate fingerprint in the preferences.
const prefPinPrefix = "pin:"

// appPins is the app's PinStore.
type appPins struct {
	*client.FilePins
	prefs fyne.Preferences
}

func newAppPins(a fyne.App, dir string) appPins {
	return appPins{client.NewFilePins(filepath.Join(dir, "pins.json")), a.Preferences()}
}

// StorageDir keeps the app's files (trusted keys, a hosted chat's data)
// in dir instead of the app's storage; tests use it (a test app's storage
// is the shared temporary directory).
func StorageDir(dir string) Option { return func(ui *UI) { ui.storage = dir } }

func (s appPins) Pin(server string) string {
	if fp := s.FilePins.Pin(server); fp != "" {
		return fp
	}
	old := client.NormalizeFingerprint(s.prefs.String(prefPinPrefix + server))
	if old != "" && s.FilePins.SetPin(server, old) == nil {
		s.prefs.RemoveValue(prefPinPrefix + server)
	}
	return old
}
