//go:build tools

// Package app will hold the desktop GUI. Until it lands, this file keeps the
// Fyne version the product is specified with pinned in go.mod.
package app

import _ "fyne.io/fyne/v2"
