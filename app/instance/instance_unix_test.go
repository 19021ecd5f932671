//go:build unix

package instance

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"testing"
)

// A socket left by an instance that died without closing it is taken over.
func TestStaleSocketTakenOver(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	e, err := endpointFor(scope)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(e.sock); err != nil {
		t.Fatalf("the dead socket should be there: %v", err)
	}
	primary(t, scope)
}

// kill -9 of the instance leaves its socket and lock file; the next
// launch becomes the instance.
func TestKilledInstanceTakenOver(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+scope)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()         //nolint:errcheck
	defer cmd.Process.Kill() //nolint:errcheck
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper: %q", line)
	}
	if _, handed, err := Claim(scope, Request{}); !handed || err != nil {
		t.Fatalf("while the helper runs: handed %v, err %v", handed, err)
	}
	cmd.Process.Kill() //nolint:errcheck
	cmd.Wait()         //nolint:errcheck
	e, _ := endpointFor(scope)
	if _, err := os.Stat(e.sock); err != nil {
		t.Fatalf("kill -9 should leave the socket: %v", err)
	}
	primary(t, scope)
}

func TestPrivateDir(t *testing.T) {
	t.Parallel()
	d := t.TempDir()
	os.Chmod(d, 0o700) //nolint:errcheck
	if err := private(d); err != nil {
		t.Fatalf("a temp dir of the test's: %v", err)
	}
	open := d + "/open"
	os.Mkdir(open, 0o755) //nolint:errcheck
	if private(open) == nil {
		t.Fatal("a directory others can enter passed as private")
	}
	link := d + "/link"
	os.Symlink(d, link) //nolint:errcheck
	if private(link) == nil {
		t.Fatal("a symbolic link passed as private")
	}
}
