package main

// The real binary as a desktop sees it (Xvfb): its window has Confab's icon
// and the class the desktop entry's StartupWMClass names, and a user of the
// release with the old app ID keeps their files.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"confab/assets"
	"confab/internal/linuxpkg"
	"confab/internal/netns"
	"confab/internal/testserver"
)

func TestDesktopWindow(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "xprop", "import")
	if !netns.Enter(t) { // the login screen looks for chats on the LAN
		return
	}
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The old release's folder: Fyne's preferences and Documents/, trusted keys.
	home := t.TempDir()
	fyneDir := filepath.Join(home, ".config", "fyne")
	old := filepath.Join(fyneDir, assets.OldID)
	prefs := `{"mode":"join","url":"192.168.1.5:7878","username":"alice"}`
	for name, content := range map[string]string{"preferences.json": prefs, "pins.json": `{"pins":{}}`} {
		if err := os.MkdirAll(filepath.Join(old, "Documents"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(old, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	_, xenv, x := startX(t, home, "1024x768")
	app := exec.Command(bin)
	app.Env = xenv
	app.Dir = home // away from FyneApp.toml, which a development build reads its icon from
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { app.Process.Kill(); app.Wait() }() //nolint:errcheck
	win := strings.Fields(x("timeout", "30", "xdotool", "search", "--sync", "--name", "^Confab$"))[0]

	// WM_CLASS(STRING) = "instance", "class": the class is what StartupWMClass matches.
	class := regexp.MustCompile(`"([^"]*)"$`).FindStringSubmatch(x("xprop", "-id", win, "WM_CLASS"))
	want := regexp.MustCompile(`(?m)^StartupWMClass=(.*)$`).FindStringSubmatch(linuxpkg.Entry())
	if class == nil || want == nil || class[1] != want[1] {
		t.Errorf("the window's class is %q, the entry's StartupWMClass %q", class, want)
	}
	// The icon, as the window manager reads it (width, height first).
	// xdotool finds the window as soon as GLFW creates it; Fyne sets the icon
	// just after, so wait for it rather than read it once.
	testserver.WaitFor(t, 20*time.Second, "the window's 512 px icon", func() bool {
		return strings.Contains(x("xprop", "-id", win, "-len", "8", "_NET_WM_ICON"), "Icon (512 x 512)")
	})

	// The old folder moved to the new ID before Fyne read the preferences (the
	// screenshot shows alice's address and name in the form).
	artifacts, _ := filepath.Abs("test-artifacts")
	os.MkdirAll(artifacts, 0o755) //nolint:errcheck
	waitPainted(t, x)
	x("import", "-window", "root", filepath.Join(artifacts, "desktop-migrated-login.png"))
	got, err := os.ReadFile(filepath.Join(fyneDir, assets.ID, "preferences.json"))
	if err != nil || !strings.Contains(string(got), `"username":"alice"`) {
		t.Errorf("preferences under the new ID: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(fyneDir, assets.ID, "pins.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the old folder is still there (%v)", err)
	}
}
