package app

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The app under LANG=C.UTF-8 (many Debian systems) starts without Fyne's
// "Error parsing user locale C": the test binary itself, which initializes
// every package the app does, runs with that locale and no test.
func TestNoLocaleErrorAtStart(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"C.UTF-8", "C", "POSIX", ""} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = []string{"LANG=" + lang, "PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("LANG=%s: %v\n%s", lang, err, out)
		}
		if strings.Contains(string(out), "locale") {
			t.Errorf("LANG=%s: %s", lang, out)
		}
	}
}
