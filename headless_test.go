package main

// The desktop app's binary without a display: the GUI says in a sentence
// what is missing, and the headless commands never start the toolkit
// (no word from Fyne, GLFW or X11, whatever the locale).

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// envWithout is the environment without the display and locale variables,
// plus extra.
func envWithout(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DISPLAY", "WAYLAND_DISPLAY", "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES":
		default:
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func TestWithoutADisplay(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "confab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(env []string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Dir = t.TempDir()
		var o, e strings.Builder
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return o.String(), e.String(), cmd.ProcessState.ExitCode()
	}

	t.Run("the app says what is missing", func(t *testing.T) {
		stdout, stderr, code := run(envWithout("LANG=C.UTF-8", "HOME="+t.TempDir()))
		msg := strings.TrimSuffix(stderr, "\n")
		t.Logf("exit %d: %s", code, stderr)
		if code != 1 || stdout != "" || strings.Contains(msg, "\n") || strings.Count(msg, ". ") > 0 ||
			!strings.HasSuffix(msg, ".") || !strings.Contains(msg, displayVar+" is not set") || !strings.Contains(msg, "confab serve") {
			t.Errorf("exit %d, stdout %q, stderr %q; want one sentence naming %s and `confab serve`, exit 1", code, stdout, stderr, displayVar)
		}
	})

	// C and C.UTF-8 (many containers and servers), POSIX, none, and a
	// locale no language list knows.
	for _, loc := range []string{"LANG=C", "LANG=C.UTF-8", "LC_ALL=POSIX", "LANG=", "LANG=xx_YY.UTF-8", "LANGUAGE=zz:en"} {
		for _, args := range [][]string{{"serve", "--help"}, {"chat", "--help"}, {"serve", "--no-such-flag"}, {"chat"}} {
			stdout, stderr, _ := run(envWithout(loc, "HOME="+t.TempDir()), args...)
			for _, word := range []string{"Fyne", "GLFW", "X11", "panic", "locale"} {
				if strings.Contains(stdout+stderr, word) {
					t.Errorf("%s confab %s says %q:\n%s%s", loc, strings.Join(args, " "), word, stdout, stderr)
				}
			}
		}
	}
}

// bin/confabd is built without cgo: it cannot even link the toolkit.
func TestConfabdLinksNoToolkit(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "./cmd/confabd").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "fyne.io/") || strings.Contains(pkg, "go-gl/") {
			t.Errorf("confabd imports %s", pkg)
		}
	}
}
