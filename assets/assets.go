// Package assets holds what identifies Confab on a desktop: its app ID and
// its icon. The app sets the icon on its window in every build (not only in
// packaged ones), and the package builder draws the menu icons from it.
package assets

import _ "embed" // the icon

// ID is the app's identity: its preferences and storage folder, its desktop
// entry (ID.desktop) and icon name. FyneApp.toml holds the same ID.
// Reverse DNS that does not end in ".desktop": a desktop entry is found by
// its ID plus ".desktop", so "x.desktop" would be looked up as "x".
const ID = "chat.confab.Confab"

// OldID is the ID Confab had before (its files are moved to ID once).
const OldID = "chat.confab.desktop"

// Name is the app's name in menus and on its window.
const Name = "Confab"

// Icon is the app's icon, a 512×512 PNG.
//
//go:embed icon.png
var Icon []byte
