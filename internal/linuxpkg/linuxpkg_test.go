package linuxpkg

import (
	"bufio"
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"confab/assets"
)

// need skips a test whose tool is missing; `make test` sets CONFAB_REQUIRE_ALL
// (and installs them), which makes it a failure.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CONFAB_REQUIRE_ALL") != "" {
				t.Fatalf("%s is missing (make test installs it)", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
}

// entryKeys reads a desktop entry's [Desktop Entry] group.
func entryKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	s := bufio.NewScanner(f)
	group := ""
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(line, "[") {
			group = line
		} else if k, v, ok := strings.Cut(line, "="); ok && group == "[Desktop Entry]" {
			keys[k] = v
		}
	}
	return keys
}

func TestIDIsNotADesktopSuffix(t *testing.T) {
	t.Parallel()
	if strings.HasSuffix(assets.ID, ".desktop") || !regexp.MustCompile(`^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$`).MatchString(assets.ID) {
		t.Fatalf("app ID %q: want reverse DNS not ending in .desktop", assets.ID)
	}
	// FyneApp.toml gives the fyne tool the same ID (Windows bundle, metadata).
	toml, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(toml), "\nID = \""+assets.ID+"\"\n") {
		t.Fatalf("FyneApp.toml does not have ID = %q:\n%s", assets.ID, toml)
	}
}

// checkEntry validates an installed entry and checks what launching needs.
func checkEntry(t *testing.T, path string) {
	t.Helper()
	if filepath.Base(path) != assets.ID+".desktop" {
		t.Errorf("entry %s: launching by ID looks for %s.desktop", path, assets.ID)
	}
	if out, err := exec.Command("desktop-file-validate", path).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
	keys := entryKeys(t, path)
	want := map[string]string{
		"Type": "Application", "Name": "Confab", "Terminal": "false", "Icon": assets.ID,
		"Categories": "Network;InstantMessaging;Chat;", "MimeType": "x-scheme-handler/confab;",
		"StartupWMClass": assets.Name,
	}
	for k, v := range want {
		if keys[k] != v {
			t.Errorf("%s=%q, want %q", k, keys[k], v)
		}
	}
	for _, k := range []string{"GenericName", "Comment", "Keywords"} {
		if keys[k] == "" {
			t.Errorf("no %s", k)
		}
	}
	if !strings.HasSuffix(keys["Exec"], " %u") {
		t.Errorf("Exec=%q: want the program and %%u (one confab:// link)", keys["Exec"])
	}
}

func TestEntryValidates(t *testing.T) {
	t.Parallel()
	need(t, "desktop-file-validate")
	p := filepath.Join(t.TempDir(), EntryName)
	if err := os.WriteFile(p, []byte(Entry()), 0o644); err != nil {
		t.Fatal(err)
	}
	checkEntry(t, p)
}

// checkIcons checks the hicolor icons under share.
func checkIcons(t *testing.T, share string) {
	t.Helper()
	for _, size := range IconSizes {
		b, err := os.ReadFile(filepath.Join(share, IconPath(size)))
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%d px: %v", size, err)
			continue
		}
		if r := img.Bounds(); r.Dx() != size || r.Dy() != size {
			t.Errorf("%s is %v, want %d×%d", IconPath(size), r.Size(), size, size)
		}
		// The scaled icon is the icon: its middle is as opaque as the original's.
		if _, _, _, a := img.At(size/2, size/2).RGBA(); a < 0xff00 {
			t.Errorf("%d px: the middle is transparent (alpha %#x)", size, a)
		}
	}
}

// stub is a program standing in for the binary: it writes its arguments to
// the file $CONFAB_STUB_OUT.
const stub = "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$CONFAB_STUB_OUT\"\n"

// checkInstall unpacks tarball, installs it with its Makefile into a staging
// folder and for the user (HOME in a temporary folder), and checks that the
// entry is found by its ID and opens a confab:// link. isStub says whether
// the bundled binary is the stub (the real one is not run).
func checkInstall(t *testing.T, tarball string, isStub bool) {
	t.Helper()
	need(t, "tar", "xz", "make", "desktop-file-validate")
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xJf", tarball, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	src := filepath.Join(dir, assets.Name)
	dest := t.TempDir()
	mk := func(args ...string) {
		t.Helper()
		cmd := exec.Command("make", args...)
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "HOME="+filepath.Join(dest, "home"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make %v: %v\n%s", args, err, out)
		}
	}
	mk("install", "DESTDIR="+dest, "PREFIX=/usr")
	share := filepath.Join(dest, "usr/share")
	entry := filepath.Join(share, "applications", EntryName)
	checkEntry(t, entry)
	checkIcons(t, share)
	bin := filepath.Join(dest, "usr/bin", Exe)
	if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s: not an installed program (%v)", bin, err)
	}
	// Launching by ID: the entry is XDG_DATA_DIRS/applications/ID.desktop
	// and its Exec names a program on PATH.
	exe, _, _ := strings.Cut(entryKeys(t, entry)["Exec"], " ")
	if found, err := lookPath(exe, filepath.Dir(bin)); err != nil || found != bin {
		t.Errorf("Exec's %q is not the installed program: %q, %v", exe, found, err)
	}
	if isStub {
		openLink(t, share, filepath.Dir(bin))
	}

	// For one user: Exec names the program by its path.
	mk("user-install", "DESTDIR="+dest)
	home := filepath.Join(dest, filepath.Join(dest, "home")) // DESTDIR, then HOME
	userEntry := filepath.Join(home, ".local/share/applications", EntryName)
	checkEntry(t, userEntry)
	checkIcons(t, filepath.Join(home, ".local/share"))
	if got, want := entryKeys(t, userEntry)["Exec"], `"`+filepath.Join(dest, "home")+`/.local/bin/confab" %u`; got != want {
		t.Errorf("user Exec=%q, want %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(home, ".local/bin", Exe)); err != nil {
		t.Error(err)
	}
}

// lookPath finds a program as a launcher does, on PATH=dir.
func lookPath(exe, dir string) (string, error) {
	if filepath.IsAbs(exe) {
		return exe, nil
	}
	return exec.LookPath(filepath.Join(dir, exe))
}

// openLink opens a confab:// link with gio as a desktop would: the installed
// entry's MimeType (through update-desktop-database's cache) finds the
// program, which gets the link as its argument.
func openLink(t *testing.T, share, binDir string) {
	t.Helper()
	need(t, "gio", "update-desktop-database")
	if out, err := exec.Command("update-desktop-database", filepath.Join(share, "applications")).CombinedOutput(); err != nil {
		t.Fatalf("update-desktop-database: %v\n%s", err, out)
	}
	got := filepath.Join(t.TempDir(), "args")
	link := "confab://192.168.1.5:7878?fp=ab12"
	cmd := exec.Command("gio", "open", link)
	cmd.Env = append(os.Environ(), "XDG_DATA_DIRS="+share, "XDG_DATA_HOME="+t.TempDir(),
		"XDG_CONFIG_HOME="+t.TempDir(), "PATH="+binDir+":"+os.Getenv("PATH"), "CONFAB_STUB_OUT="+got,
		"DBUS_SESSION_BUS_ADDRESS=disabled:")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gio open %s: %v\n%s", link, err, out)
	}
	deadline := time.Now().Add(20 * time.Second) // gio starts the program and returns
	for {
		b, err := os.ReadFile(got)
		if err == nil && len(b) > 0 {
			if string(b) != link+"\n" {
				t.Fatalf("the program got %q, want the link %q", b, link)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("opening a confab:// link did not start the program")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The bundle `make package` writes, built around a stub binary: it installs,
// validates, and opens confab:// links.
func TestBundleInstalls(t *testing.T) {
	t.Parallel()
	need(t, "tar", "xz")
	exe := filepath.Join(t.TempDir(), "confab")
	if err := os.WriteFile(exe, []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "Confab.tar.xz")
	if err := Tarball(tarball, exe); err != nil {
		t.Fatal(err)
	}
	checkInstall(t, tarball, true)
}

// The real Confab.tar.xz, when CONFAB_TARBALL names it (`make package` runs
// this after building it; `make test` does not build one).
func TestPackagedTarball(t *testing.T) {
	tarball := os.Getenv("CONFAB_TARBALL")
	if tarball == "" {
		t.Skip("CONFAB_TARBALL is not set (make package sets it)")
	}
	checkInstall(t, tarball, false)
}
