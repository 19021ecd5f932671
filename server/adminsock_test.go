package server_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// The operator's socket appears only once it accepts: `confabd users` run
// the moment it appears must reach the server, not take it for one that
// died (a Unix socket's file exists from bind, before listen, and a dial in
// between is refused; CI once failed so).
func TestOperatorSocketAppearsListening(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, server.Config{}).Srv
	for i := 0; i < 200; i++ {
		dir := t.TempDir()
		path := filepath.Join(dir, wire.AdminSocketFile)
		seen := make(chan error, 1)
		go func() {
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
				if _, err := os.Stat(path); err == nil {
					c, err := net.Dial("unix", path)
					if err == nil {
						c.Close()
					}
					seen <- err
					return
				}
			}
			seen <- errors.New("the socket's file never appeared")
		}()
		stop, err := srv.ListenOperator(dir)
		if err != nil {
			t.Fatal(err)
		}
		err = <-seen
		stop()
		if err != nil {
			t.Fatalf("try %d: the socket's file was there but a dial failed: %v", i, err)
		}
	}
}
