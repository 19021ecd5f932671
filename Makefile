# Confab. `make run` starts the app, `make test` runs every test; both
# install what is missing first (system packages as root or through sudo, the
# interop suite's npm packages).

GO       ?= go
APT_PKGS := gcc libgl1-mesa-dev xorg-dev xvfb xdotool imagemagick iproute2 \
            gcc-mingw-w64-x86-64 dbus-daemon dunst chromium
# Node.js and npm for the interop suite and the benchmark's Node peer: Debian 12's
# Node 18 runs both (no package in the lockfiles asks for more). They are installed
# only when the commands are missing: a Node.js from elsewhere (NodeSource's
# nodejs bundles npm and conflicts with Debian's npm package) is used as it is.
# Go needs the CA certificates to download modules on a machine that has only Go.
NODE_PKGS := nodejs npm
APT_PKGS += ca-certificates
# The Linux bundle's test: desktop-file-validate and update-desktop-database
# (desktop-file-utils), gio to open a confab:// link (libglib2.0-bin), xz for
# the tarball; xprop (x11-utils) reads the real window's class and icon.
APT_PKGS += desktop-file-utils libglib2.0-bin xz-utils x11-utils
# Cluster mode's tests (internal/pgtest starts their own PostgreSQL as the
# postgres user, never a running service) and its load balancer, HAProxy.
APT_PKGS += postgresql haproxy
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test cluster stress bench bench-cluster start-time package package-windows windows-check deps sysdeps npmdeps webbundle build confabd fuzz vet fmt-check clean

run: sysdeps webbundle
	$(GO) run . $(ARGS)

# The Linux desktop bundle, Confab.tar.xz: the release binary from the fyne
# tool (release mode, FyneApp.toml's metadata), then cmd/linuxpkg adds the
# desktop entry (chat.confab.Confab.desktop), hicolor icons and an install
# Makefile, and the bundle's test installs it in a temporary folder and
# validates it. `fyne build` leaves FyneApp.toml as it is (`fyne package`
# raised its build number at every run).
FYNE_TOOLS := fyne.io/tools/cmd/fyne@v1.7.4
package: sysdeps webbundle
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run $(FYNE_TOOLS) build --release -o "$$tmp/confab" && \
	$(GO) run ./cmd/linuxpkg -exe "$$tmp/confab" -o Confab.tar.xz
	CONFAB_TARBALL=$(CURDIR)/Confab.tar.xz CONFAB_REQUIRE_ALL=1 $(GO) test -count=1 -run '^TestPackagedTarball$$' ./internal/linuxpkg/
	@ls -l Confab.tar.xz

# Windows: Confab.exe, cross-compiled with Debian's mingw-w64 (Fyne's OpenGL
# driver needs cgo). The fyne tool embeds the icon and a manifest, and links a
# GUI program (-H=windowsgui: no console window). It is built for this machine
# first, since the tool itself runs here. The icon and app ID come from
# FyneApp.toml (assets/icon.png); the tool raises the build number there at
# every run, so the file is put back as it was. See docs/windows.md.
WIN_ENV := GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc
package-windows: sysdeps webbundle
	GOBIN=$(CURDIR)/bin $(GO) install $(FYNE_TOOLS)
	rm -f Confab.exe confab.exe
	@cp FyneApp.toml bin/FyneApp.toml.orig && \
	$(WIN_ENV) bin/fyne package --os windows --release; rc=$$?; \
	mv bin/FyneApp.toml.orig FyneApp.toml; exit $$rc
	@ls -l Confab.exe

# CI's Windows check: the same program compiled and linked for Windows as a GUI
# program, without the fyne tool and icon (a build, not a run).
windows-check: sysdeps
	$(WIN_ENV) $(GO) build -ldflags=-H=windowsgui -o /dev/null .

# The Windows build check runs beside the tests: cold, one of its cgo steps
# (go-gl's C header, through mingw) takes minutes on one core.
# CONFAB_REQUIRE_TOOLS: a test missing what this installs fails, never skips.
# Only tests that need root skip, for a normal user: one line each, printed at
# the end (go test hides a passing package's skips). CI=true or
# CONFAB_REQUIRE_ALL=1 makes those fail too (internal/need).
test: deps webbundle vet fmt-check
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/confabd
	@log=$$(mktemp); skips=$$(mktemp); $(MAKE) --no-print-directory windows-check >$$log 2>&1 & win=$$!; \
	CONFAB_REQUIRE_TOOLS=1 CONFAB_SKIP_LOG=$$skips $(GO) test -race -count=1 -timeout 20m ./...; rc=$$?; \
	if wait $$win; then echo "windows-check: Confab.exe builds"; \
	else echo "windows-check failed:"; cat $$log; rc=1; fi; \
	if [ -s $$skips ]; then echo "$$(wc -l <$$skips) tests skipped:"; cat $$skips; fi; \
	rm -f $$log $$skips; exit $$rc

deps: sysdeps npmdeps

# System packages for cgo, Fyne (X11/GL headers), the GUI smoke test (Xvfb, xdotool,
# ImageMagick), the LAN tests' network namespaces (iproute2), the Windows
# cross-compiler (mingw-w64), the notification tests' session bus
# (dbus-daemon) and real notification server (dunst, with dunstctl), the
# Linux bundle's tests (see above), and the browser client's tests (Debian's
# chromium, driven headless by server/web's tests).
sysdeps:
	@missing=""; for p in $(APT_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing $(NODE_PKGS)"; \
	if [ -n "$$missing" ]; then \
		if [ -n "$(SUDO)" ] && ! command -v sudo >/dev/null; then \
			echo "missing Debian packages:$$missing"; \
			echo "install them as root (apt-get install$$missing), or run make as root"; exit 1; \
		fi; \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# Pinned npm packages, from the committed lockfiles: the interop suite's
# official socket.io-client (whose browser bundle the server serves), jQuery
# (for the seeds' browser page in server/web's tests) and axe-core (the
# accessibility rules those tests check the web client by), and the
# benchmark's Node peer server.
npmdeps: interop/node_modules/.installed bench/peer-node/node_modules/.installed

%/node_modules/.installed: %/package.json %/package-lock.json
	cd $* && npm ci --no-audit --no-fund
	touch $@

# The official socket.io-client browser bundle, from the pinned npm package,
# where go:embed reads it (server/web/bundle, gitignored): the server serves it
# at /socket.io/socket.io.js. A binary built without it answers that path 503.
SIO_DIST   := interop/node_modules/socket.io-client/dist
WEB_BUNDLE := server/web/bundle/socket.io.min.js
webbundle: $(WEB_BUNDLE)

$(WEB_BUNDLE): interop/node_modules/.installed
	cp $(SIO_DIST)/socket.io.min.js $(SIO_DIST)/socket.io.min.js.map server/web/bundle/

# Confab's server against the seeds' Node.js stack, side by side (writes bench/results.md);
# then the app's typing and room switching, headless and in a real window under Xvfb.
bench: sysdeps npmdeps confabd
	$(GO) run ./bench/cmd/benchrun --confabd bin/confabd
	$(GO) test -run '^$$' -bench . -benchtime 5x ./app/
	xvfb-run -a -s '-screen 0 1280x1024x24' $(GO) test -tags xbench -run '^$$' -bench '^BenchmarkReal' -benchtime 40x ./app/
	@$(MAKE) --no-print-directory start-time

# One confabd on SQLite vs PostgreSQL, one node vs three behind HAProxy, and
# a node killed under its clients (appends to bench/results.md; bench/README.md).
bench-cluster: sysdeps confabd
	$(GO) run ./bench/cmd/benchrun --confabd bin/confabd -cluster

# The app's time from start to its login window: the real binary under Xvfb.
start-time:
	@out=$$($(GO) test -count=1 -run '^TestSmokeRealWindow$$' -v . 2>&1) || { echo "$$out"; exit 1; }; \
		echo "$$out" | grep -o 'window [^ ]* after [0-9.]*m\?s' | sed 's/^window [^ ]* after /time from start to the login window: /'

vet:
	$(GO) vet ./...
	$(GO) vet -tags xbench ./app/

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './interop/node_modules/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

build: webbundle
	$(GO) build -o bin/confab .

# The headless server, without cgo.
confabd: webbundle
	CGO_ENABLED=0 $(GO) build -o bin/confabd ./cmd/confabd

# A cluster on this computer to try (docs/loadbalancer.md): its own
# PostgreSQL, three confabd nodes on it and HAProxy in front, on loopback.
# It prints the address to join; Ctrl+C stops them all. ARGS=-nodes 5 etc.
cluster: sysdeps confabd
	CGO_ENABLED=0 $(GO) build -o bin/confabcluster ./cmd/confabcluster
	bin/confabcluster -confabd bin/confabd $(ARGS)

# The Socket.IO package's dial/close stress test at full size (2,000 dials
# closed at random moments), with two busy loops on the CPU.
stress:
	@sh -c 'while :; do :; done' >/dev/null 2>&1 & l1=$$!; sh -c 'while :; do :; done' >/dev/null 2>&1 & l2=$$!; \
	SIO_STRESS=2000 $(GO) test -race -count=1 -run '^TestDialCloseStress$$' -v ./internal/sio/; rc=$$?; \
	kill $$l1 $$l2; exit $$rc

# Fuzz raw Socket.IO frames for longer than `make test` does (FUZZTIME=10m).
FUZZTIME ?= 60s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzFrames -fuzztime $(FUZZTIME) ./server/

clean:
	rm -rf bin Confab.tar.xz Confab.exe interop/node_modules bench/peer-node/node_modules server/web/bundle/socket.io.*
