package app

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"fyne.io/fyne/v2"

	"confab/assets"
)

// Fyne keeps an app's files in a folder named for its ID: preferences.json,
// pins.json (trusted keys), server/ (a hosted chat) and Documents/. Confab's
// ID was chat.confab.desktop before; that folder is moved to the new ID once,
// before Fyne opens it, so nobody loses their keys, rooms or hosted chat.

// iconResource is the app's icon, set on the app in every build (a packaged
// build has it from FyneApp.toml too; `go build` and `make run` did not).
func iconResource() fyne.Resource { return fyne.NewStaticResource("icon.png", assets.Icon) }

// fyneRoot is the folder Fyne keeps every app's folder in (Fyne's
// internal/app.RootConfigDir, which it does not export); "" if unknown.
func fyneRoot() string {
	switch runtime.GOOS {
	case "windows", "darwin":
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		if runtime.GOOS == "darwin" {
			return filepath.Join(home, "Library", "Preferences", "fyne")
		}
		return filepath.Join(home, "AppData", "Roaming", "fyne")
	}
	dir, err := os.UserConfigDir()
	if err != nil || dir == "" {
		return ""
	}
	return filepath.Join(dir, "fyne")
}

// moveOldStorage moves the old ID's folder in root to the current ID's,
// unless the current one already holds the app's preferences. Entries the
// current folder already has (other than empty folders) stay where they are.
func moveOldStorage(root string) (moved bool, err error) {
	if root == "" {
		return false, nil
	}
	old, cur := filepath.Join(root, assets.OldID), filepath.Join(root, assets.ID)
	if fi, err := os.Stat(old); err != nil || !fi.IsDir() {
		return false, nil // nothing to move
	}
	if _, err := os.Stat(filepath.Join(cur, "preferences.json")); err == nil {
		return false, nil // moved before, or in use under the new ID
	}
	if _, err := os.Lstat(cur); errors.Is(err, fs.ErrNotExist) {
		return true, os.Rename(old, cur)
	}
	// The current folder exists without preferences (made by something that
	// ran before the app): move the old entries into it one by one.
	entries, err := os.ReadDir(old)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		to := filepath.Join(cur, e.Name())
		if fi, err := os.Lstat(to); err == nil && fi.IsDir() {
			os.Remove(to) //nolint:errcheck // succeeds only if empty (Fyne makes Documents/ empty)
		}
		if _, err := os.Lstat(to); err == nil {
			continue // the new folder has its own: it stays
		}
		if err := os.Rename(filepath.Join(old, e.Name()), to); err != nil {
			return moved, err
		}
		moved = true
	}
	os.Remove(old) //nolint:errcheck // left if something could not move
	return moved, nil
}

// migrateStorage moves the old ID's files once, before Fyne opens its folder.
func migrateStorage() {
	root := fyneRoot()
	moved, err := moveOldStorage(root)
	switch {
	case err != nil:
		slog.Warn("could not move the app's files to its new folder", "from", filepath.Join(root, assets.OldID),
			"to", filepath.Join(root, assets.ID), "err", err)
	case moved:
		slog.Info("moved the app's files to its new folder", "from", filepath.Join(root, assets.OldID),
			"to", filepath.Join(root, assets.ID))
	}
}
