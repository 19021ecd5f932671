package clustertest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles confabd (without cgo, as `make confabd`) into dir and
// returns its path. It runs inside the module (a test's package directory).
func Build(dir string) (string, error) {
	out := filepath.Join(dir, "confabd")
	cmd := exec.Command("go", "build", "-o", out, "confab/cmd/confabd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build confabd: %v\n%s", err, b)
	}
	return out, nil
}
