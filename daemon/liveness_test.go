package daemon

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testchat"
	"confab/internal/testserver"
	"confab/server/certs"
)

// confabd is the headless binary, run as its users run it.
type confabd struct {
	t      *testing.T
	bin    string
	dir    string
	addr   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

func newConfabd(t *testing.T) *confabd {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "confabd")
	build := exec.Command("go", "build", "-o", bin, "../cmd/confabd")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build confabd: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return &confabd{t: t, bin: bin, dir: t.TempDir(), addr: addr}
}

// start runs the daemon and returns once it answers.
func (d *confabd) start() {
	d.t.Helper()
	d.stderr.Reset()
	d.cmd = exec.Command(d.bin, "--addr", d.addr, "--data-dir", d.dir, "--no-announce")
	d.cmd.Env = append(os.Environ(), "LOCAL_JWT_SECRET=")
	d.cmd.Stderr = &d.stderr
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill() //nolint:errcheck
			d.cmd.Wait()         //nolint:errcheck
		}
	})
	c := pinned(new(string))
	testserver.WaitFor(d.t, 10*time.Second, "confabd answering", func() bool {
		resp, err := c.Get("https://" + d.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
}

func (d *confabd) signal(sig syscall.Signal) {
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

// joiner signs bob up on d, trusting d's certificate.
func (d *confabd) joiner() *testchat.Peer {
	d.t.Helper()
	cert, err := certs.LoadOrCreate(d.dir)
	if err != nil {
		d.t.Fatal(err)
	}
	pins := client.NewFilePins(filepath.Join(d.t.TempDir(), "pins.json"))
	bob := testchat.Join(d.t, d.addr, "bob", "password-b", client.WithPins(pins), client.WithFingerprint(cert.Fingerprint))
	if _, ok := bob.WaitState(client.Online, time.Time{}, 10*time.Second); !ok {
		d.t.Fatal("bob not online")
	}
	return bob
}

// SIGTERM: the joiner is told at once, every round, and back online
// within 2 s of the daemon's return.
func TestJoinersSeeSigterm(t *testing.T) {
	d := newConfabd(t)
	d.start()
	bob := d.joiner()
	for round := 0; round < 20; round++ {
		stopped := time.Now()
		d.signal(syscall.SIGTERM)
		at, ok := bob.WaitState(client.Reconnecting, stopped, 2*time.Second)
		if !ok {
			t.Fatalf("round %d: not noticed within 2 s:%s", round, bob.History(stopped))
		}
		if err := d.cmd.Wait(); err != nil {
			t.Fatalf("round %d: confabd ended with %v\n%s", round, err, d.stderr.String())
		}
		noticed := at.Sub(stopped)
		back := time.Now() // the daemon is back at most this long after
		d.start()
		at, ok = bob.WaitState(client.Online, back, 2*time.Second)
		if !ok {
			t.Fatalf("round %d: not back online within 2 s of the daemon's return:%s", round, bob.History(stopped))
		}
		t.Logf("round %d: noticed after %v, online %v after the daemon started", round,
			noticed.Round(time.Millisecond), at.Sub(back).Round(time.Millisecond))
	}
}

// A frozen server (SIGSTOP: the process holds its connections and says
// nothing) is noticed within 20 s; after SIGCONT the joiner is back.
func TestJoinersSeeAFrozenServer(t *testing.T) {
	d := newConfabd(t)
	d.start()
	bob := d.joiner()
	frozen := time.Now()
	d.signal(syscall.SIGSTOP)
	at, ok := bob.WaitState(client.Reconnecting, frozen, 20*time.Second)
	if !ok {
		d.signal(syscall.SIGCONT)
		t.Fatal("a frozen server went unnoticed for 20 s")
	}
	t.Logf("frozen server noticed after %v", at.Sub(frozen).Round(time.Millisecond))
	d.signal(syscall.SIGCONT)
	thawed := time.Now()
	at, ok = bob.WaitState(client.Online, thawed, 15*time.Second)
	if !ok {
		t.Fatal("not back online after SIGCONT")
	}
	t.Logf("back online %v after SIGCONT", at.Sub(thawed).Round(time.Millisecond))
}
