package app

import (
	"fyne.io/fyne/v2"

	"confab/client"
)

// prefPinPrefix keys a pinned certificate fingerprint in the preferences, per server.
const prefPinPrefix = "pin:"

// prefsPins keeps pinned certificates in the app's preferences.
type prefsPins struct{ p fyne.Preferences }

func (s prefsPins) Pin(server string) string { return s.p.String(prefPinPrefix + server) }

func (s prefsPins) SetPin(server, fingerprint string) error {
	s.p.SetString(prefPinPrefix+server, client.NormalizeFingerprint(fingerprint))
	return nil
}
