package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"confab/app/bridge"
	"confab/assets"
)

// iconApp is a test app that keeps its icon (Fyne's test app drops it).
type iconApp struct {
	fyne.App
	icon fyne.Resource
}

func (a *iconApp) SetIcon(r fyne.Resource) { a.icon = r }
func (a *iconApp) Icon() fyne.Resource     { return a.icon }

// Every build sets the app's icon (a `go build` binary showed a generic
// one); the real window's icon is checked in desktop_test.go.
func TestAppIconIsSet(t *testing.T) {
	a := &iconApp{App: test.NewTempApp(t)}
	ui := onUI(func() *UI { return New(a, NoLAN(), StorageDir(t.TempDir())) })
	t.Cleanup(func() { bridge.DoAndWait(ui.shutdown) })
	if a.icon == nil || !bytes.Equal(a.icon.Content(), assets.Icon) {
		t.Fatal("the app's icon is not Confab's icon")
	}
}

// writeFiles makes files (path: content; a path ending in / is a folder).
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func checkFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, want := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if name[len(name)-1] == '/' {
			if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
				t.Errorf("%s: not a folder (%v)", name, err)
			}
			continue
		}
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

// oldRelease is the folder as the release with ID chat.confab.desktop leaves
// it: Fyne's preferences and Documents/, the trusted keys, a hosted chat.
var oldRelease = map[string]string{
	"preferences.json":   `{"mode":"host","username":"alice","rooms:k:1":"general\nrandom","windowWidth":900}`,
	"pins.json":          `{"pins":{"192.168.1.5:7878":"ab12"}}`,
	"Documents/":         "",
	"server/confab.db":   "sqlite",
	"server/tls-key.pem": "key",
	"server/jwt-secret":  "secret",
}

func TestMoveOldStorage(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, assets.OldID), oldRelease)
	moved, err := moveOldStorage(root)
	if err != nil || !moved {
		t.Fatalf("moved %v, %v", moved, err)
	}
	checkFiles(t, filepath.Join(root, assets.ID), oldRelease)
	if _, err := os.Stat(filepath.Join(root, assets.OldID)); !os.IsNotExist(err) {
		t.Errorf("the old folder is still there (%v)", err)
	}
	if moved, err := moveOldStorage(root); moved || err != nil {
		t.Errorf("second start moved again: %v, %v", moved, err)
	}
}

// A new folder made before the app (empty Documents/, another file) takes
// the old files in; one that has preferences is the user's and stays.
func TestMoveOldStorageIntoNewFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, assets.OldID), oldRelease)
	writeFiles(t, filepath.Join(root, assets.ID), map[string]string{"Documents/": "", "instance.lock": "1"})
	if moved, err := moveOldStorage(root); err != nil || !moved {
		t.Fatalf("moved %v, %v", moved, err)
	}
	checkFiles(t, filepath.Join(root, assets.ID), oldRelease)
	checkFiles(t, filepath.Join(root, assets.ID), map[string]string{"instance.lock": "1"})

	used := t.TempDir()
	writeFiles(t, filepath.Join(used, assets.OldID), oldRelease)
	mine := map[string]string{"preferences.json": `{"username":"bob"}`}
	writeFiles(t, filepath.Join(used, assets.ID), mine)
	if moved, err := moveOldStorage(used); moved || err != nil {
		t.Fatalf("moved %v, %v", moved, err)
	}
	checkFiles(t, filepath.Join(used, assets.ID), mine)
	checkFiles(t, filepath.Join(used, assets.OldID), oldRelease)
}
