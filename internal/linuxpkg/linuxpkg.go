// Package linuxpkg builds Confab's Linux desktop bundle (Confab.tar.xz) from
// a release binary: the binary, a desktop entry named for the app ID, hicolor
// icons drawn from assets/icon.png, and a Makefile that installs them.
//
// The fyne tool's own bundle is not used: it names the entry after the ID
// with no way to add Terminal, MimeType with %u or hicolor icons, and its
// layout depends on whether the build machine has /usr/local.
package linuxpkg

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	xdraw "golang.org/x/image/draw"

	"confab/assets"
)

// Exe is the program's name in the bundle, on PATH once installed.
const Exe = "confab"

// Scheme is the URL scheme of invitation links, which the entry registers.
const Scheme = "confab"

// IconSizes are the hicolor sizes drawn, in pixels.
var IconSizes = []int{48, 128, 256, 512}

// EntryName is the desktop entry's file name: launching by ID looks it up.
const EntryName = assets.ID + ".desktop"

// Entry is the desktop entry. StartupWMClass is the window's WM_CLASS,
// which GLFW takes from the title the window is created with.
func Entry() string {
	return `[Desktop Entry]
Type=Application
Name=` + assets.Name + `
GenericName=LAN Chat
Comment=Chat with people on your local network
Keywords=chat;messenger;LAN;local network;
Categories=Network;InstantMessaging;Chat;
Exec=` + Exe + ` %u
Icon=` + assets.ID + `
Terminal=false
StartupWMClass=` + assets.Name + `
MimeType=x-scheme-handler/` + Scheme + `;
`
}

// Icon draws the app's icon at size×size pixels as a PNG.
func Icon(size int) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(assets.Icon))
	if err != nil {
		return nil, fmt.Errorf("assets/icon.png: %w", err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, dst); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// IconPath is where the icon of a size is, under a prefix's share/.
func IconPath(size int) string {
	return fmt.Sprintf("icons/hicolor/%dx%d/apps/%s.png", size, size, assets.ID)
}

// Makefile installs the bundle (`sudo make install`, `make user-install`).
// After installing outside DESTDIR it refreshes the entries' MIME cache, so
// confab:// links find the app, and an icon cache only where one exists.
func Makefile() string {
	sizes := make([]string, len(IconSizes))
	for i, s := range IconSizes {
		sizes[i] = fmt.Sprint(s)
	}
	return strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(`# Confab's Linux bundle.
#   sudo make install     installs it for everyone, in PREFIX (/usr/local)
#   make user-install     installs it for you alone, in ~/.local
#   sudo make uninstall, make user-uninstall remove it again.
# DESTDIR stages an install elsewhere (for packagers).

PREFIX ?= /usr/local
ID     := @ID@
EXE    := @EXE@
SIZES  := @SIZES@

# Refreshes the caches of the prefix $(1), when installing in place.
refresh = if [ -z "$(DESTDIR)" ]; then \
	  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$(1)/share/applications" || true; fi; \
	  icons="$(1)/share/icons/hicolor"; \
	  if [ -f "$$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then gtk-update-icon-cache -qf "$$icons" || true; fi; \
	fi

default:
	@echo 'Run "sudo make install" to install Confab for everyone,'
	@echo 'or "make user-install" to install it for yourself (in ~/.local).'

install:
	install -Dm0755 usr/local/bin/$(EXE) "$(DESTDIR)$(PREFIX)/bin/$(EXE)"
	install -Dm0644 usr/local/share/applications/$(ID).desktop "$(DESTDIR)$(PREFIX)/share/applications/$(ID).desktop"
	for s in $(SIZES); do \
	  install -Dm0644 usr/local/share/icons/hicolor/$${s}x$${s}/apps/$(ID).png \
	    "$(DESTDIR)$(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/$(ID).png" || exit 1; \
	done
	@$(call refresh,$(PREFIX))

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/$(EXE)" "$(DESTDIR)$(PREFIX)/share/applications/$(ID).desktop"
	for s in $(SIZES); do rm -f "$(DESTDIR)$(PREFIX)/share/icons/hicolor/$${s}x$${s}/apps/$(ID).png"; done
	@$(call refresh,$(PREFIX))

# ~/.local/bin is not on every desktop's PATH: the entry names the program by its path.
user-install:
	$(MAKE) install PREFIX="$(HOME)/.local"
	sed -i 's|^Exec=$(EXE) |Exec="$(HOME)/.local/bin/$(EXE)" |' "$(DESTDIR)$(HOME)/.local/share/applications/$(ID).desktop"

user-uninstall:
	$(MAKE) uninstall PREFIX="$(HOME)/.local"

.PHONY: default install uninstall user-install user-uninstall
`, "@ID@", assets.ID), "@EXE@", Exe), "@SIZES@", strings.Join(sizes, " "))
}

// Tree writes the bundle's files into dir: Makefile, and under usr/local the
// binary (a copy of exe), the entry and the icons.
func Tree(dir, exe string) error {
	bin, err := os.ReadFile(exe)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"Makefile":             []byte(Makefile()),
		"usr/local/bin/" + Exe: bin,
		"usr/local/share/applications/" + EntryName: []byte(Entry()),
	}
	for _, s := range IconSizes {
		if files["usr/local/share/"+IconPath(s)], err = Icon(s); err != nil {
			return err
		}
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if name == "usr/local/bin/"+Exe {
			mode = 0o755
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			return err
		}
	}
	return nil
}

// Tarball writes the bundle to out (.tar.xz, one folder named Confab, as the
// fyne tool's was) with GNU tar, which the fyne tool needed too.
func Tarball(out, exe string) error {
	tmp, err := os.MkdirTemp("", "confab-package-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := Tree(filepath.Join(tmp, assets.Name), exe); err != nil {
		return err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.Command("tar", "-cJf", out, "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
		"-C", tmp, assets.Name)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, b)
	}
	return nil
}
