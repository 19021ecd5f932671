package instance

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"confab/internal/need"
)

// A connection from another user is refused even where the directory
// lets it reach the socket (root runs this test, as "nobody"). Not
// parallel: it opens the directory the other tests share.
func TestOtherUserRefused(t *testing.T) {
	need.Root(t, "to connect as another user")
	const python = "/usr/bin/python3" // the system's: "nobody" may enter no one's home
	if _, err := os.Stat(python); err != nil {
		t.Skip("needs python3 to connect as another user")
	}
	scope := t.TempDir()
	_, got := primary(t, scope)
	e, err := endpointFor(scope)
	if err != nil {
		t.Fatal(err)
	}
	// Open the way in that the directory's permissions close.
	dir := filepath.Dir(e.sock)
	os.Chmod(dir, 0o711)                            //nolint:errcheck
	defer os.Chmod(dir, 0o700)                      //nolint:errcheck
	if err := os.Chmod(e.sock, 0o777); err != nil { // umask
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-c", `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
try:  # the instance may close before the request is even written
    s.sendall(b"show\n")
    print("reply:" + s.recv(64).decode())
except (ConnectionResetError, BrokenPipeError):
    print("reply:")
`, e.sock)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("connecting as nobody: %v\n%s", err, out)
	}
	if strings.TrimSpace(string(out)) != "reply:" {
		t.Fatalf("another user got %q, want no reply", out)
	}
	select {
	case r := <-got:
		t.Fatalf("another user's request was taken: %+v", r)
	default:
	}
}
