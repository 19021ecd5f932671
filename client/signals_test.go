package client_test

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCEndsProgram re-runs this test binary (which imports the client
// library) as a child that just waits, and interrupts it. Without the
// signal reset in signals.go, the library swallows the first SIGINT.
func TestCtrlCEndsProgram(t *testing.T) {
	if os.Getenv("CONFAB_SIGNAL_CHILD") == "1" {
		time.Sleep(time.Minute)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCtrlCEndsProgram$")
	cmd.Env = append(os.Environ(), "CONFAB_SIGNAL_CHILD=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // let it reach the wait
	cmd.Process.Signal(syscall.SIGINT) //nolint:errcheck
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
			t.Fatalf("child ended with %v, want killed by SIGINT", err)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill() //nolint:errcheck
		t.Fatal("Ctrl+C did not end a program using the client library")
	}
}
