// Package need decides what a test does when something it needs is missing:
// skip it with one line saying what it needs and how to run it, or fail.
//
// Two kinds of need are told apart. Root (network namespaces, the immutable
// attribute) is something a normal user does not have: `make test` skips
// those tests for them. Everything else a test needs (Node.js and the npm
// packages, Xvfb, iproute2, a file system that takes the immutable attribute)
// is what `make test` installs or what a root user's machine has: `make test`
// sets EnvTools, and then a test missing it fails instead of passing unseen.
// EnvAll, or CI=true, requires everything: nothing may be skipped.
package need

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The environment that turns skips into failures, and the file the skip
// lines are appended to (`make test` prints it at the end: go test shows a
// passing package's skips only with -v).
const (
	EnvAll     = "CONFAB_REQUIRE_ALL"
	EnvTools   = "CONFAB_REQUIRE_TOOLS"
	EnvSkipLog = "CONFAB_SKIP_LOG"
)

// kind is what a test needs.
type kind int

const (
	tool kind = iota // installed by `make test`, or the machine's own
	root             // root privileges
)

// mustFail says whether a missing need of kind k fails the test rather than
// skipping it, given the environment.
func mustFail(k kind, getenv func(string) string) bool {
	if getenv(EnvAll) != "" || getenv("CI") == "true" {
		return true
	}
	return k == tool && getenv(EnvTools) != ""
}

// Root skips (or fails) the test unless it runs as root. what says what root
// is needed for, e.g. "to create a network namespace".
func Root(t testing.TB, what string) {
	t.Helper()
	rootVerdict(t, what, os.Geteuid(), os.Getenv)
}

func rootVerdict(t testing.TB, what string, euid int, getenv func(string) string) {
	t.Helper()
	if euid == 0 {
		return
	}
	verdict(t, root, fmt.Sprintf("needs root %s; run it as root: %s", what, rootCommand(t.Name(), packageDir())), getenv)
}

// Tool skips (or, under `make test`, fails) the test: something it needs is
// missing. why says what, and how to get it.
func Tool(t testing.TB, why string) {
	t.Helper()
	verdict(t, tool, why, os.Getenv)
}

func verdict(t testing.TB, k kind, line string, getenv func(string) string) {
	t.Helper()
	line = strings.ReplaceAll(line, "\n", " ")
	if mustFail(k, getenv) {
		t.Fatalf("%s (required: %s)", line, requiredBy(getenv))
	}
	logSkip(getenv(EnvSkipLog), t.Name(), packageDir(), line)
	t.Skip(line)
}

// requiredBy names the setting that made a skip a failure.
func requiredBy(getenv func(string) string) string {
	switch {
	case getenv(EnvAll) != "":
		return EnvAll + " is set"
	case getenv("CI") == "true":
		return "CI=true"
	default:
		return EnvTools + " is set (make test)"
	}
}

// rootCommand is the command that runs one test as root from the clone's top:
// sudo resets PATH, which would lose go.
func rootCommand(test, pkg string) string {
	parts := strings.Split(test, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return fmt.Sprintf(`sudo env "PATH=$PATH" go test -count=1 -run '%s' %s`, strings.Join(parts, "/"), pkg)
}

// packageDir is the test's package as a path from the module's top ("./server/"),
// found from the working directory go test runs a test binary in.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "./..."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel) + "/"
		}
		if filepath.Dir(dir) == dir {
			return "./..."
		}
	}
}

// logSkip appends one line for the skipped test to the skip log, if there is
// one. Test binaries run side by side: each line is one small O_APPEND write.
func logSkip(path, test, pkg, line string) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "SKIP %s (%s): %s\n", test, pkg, line)
}
