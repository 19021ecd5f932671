package client_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
)

// Pitfall 22: closing right after a send could leave the connection open
// for good (the engine waited for a drain that had already happened). Under
// CPU load this leaked about one connection in 150 before the workaround.
func TestCloseRightAfterSendLeavesNothing(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	sess, err := client.Register(context.Background(), env.URL, "closer", "password-x")
	if err != nil {
		t.Fatal(err)
	}
	warm := client.Connect(sess, fast)
	r := record(t, warm)
	online(r, t, 1)
	warm.Close()
	time.Sleep(300 * time.Millisecond)
	before := runtime.NumGoroutine()
	for i := 0; i < 150; i++ {
		c := client.Connect(sess, fast)
		r := record(t, c)
		online(r, t, 1)
		c.Send("general", fmt.Sprint("hi ", i))
		c.Close()
		testserver.WaitFor(t, 5*time.Second, "events closed", func() bool { _, closed := r.snapshot(); return closed })
	}
	var after int
	for i := 0; i < 50; i++ {
		if after = runtime.NumGoroutine(); after <= before+1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines: %d before, %d after 150 chats were closed\n%s", before, after, buf[:runtime.Stack(buf, true)])
}
