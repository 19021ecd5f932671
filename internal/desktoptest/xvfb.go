package desktoptest

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startXvfb starts Xvfb on a display no one holds and returns its number.
//
// Not -displayfd: with it Xvfb picks a display by binding its sockets
// first and locks it afterwards, and binding unlinks the display's
// socket file. The abstract socket, which would have said "in use", is
// per network namespace, so an Xvfb in a test's own namespace took ":0"
// from one outside it and removed its socket file (CI runs side by side:
// "dial unix /tmp/.X11-unix/X0: no such file or directory"). Given a
// display, Xvfb takes the lock file first and stops if it is held.
func startXvfb(t *testing.T) string {
	t.Helper()
	for n := 300 + os.Getpid()%200; n < 600; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1440x900x24", "-nolisten", "tcp", "-noreset")
		cmd.SysProcAttr = orphanless()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // an exit is the answer
		if up(n, exited) {
			t.Cleanup(func() {
				cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // TERM: Xvfb removes its lock file
				<-exited
			})
			return fmt.Sprint(n)
		}
		cmd.Process.Kill() //nolint:errcheck
		<-exited           // it lost the display to another: try the next
	}
	t.Fatal("no free X display from :300 to :599")
	return ""
}

// up waits until Xvfb on display n listens, or exits (the display was taken).
func up(n int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
