package sio_test

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"confab/internal/sio"
)

// stressRounds is the size of TestDialCloseStress: small in `make test`,
// SIO_STRESS=2000 in `make stress`.
func stressRounds() int {
	if n, err := strconv.Atoi(os.Getenv("SIO_STRESS")); err == nil && n > 0 {
		return n
	}
	return 250
}

// The moments a connection is closed at.
var moments = []string{"before the dial", "during the dial", "right after it", "during a call", "during a server restart"}

// Dials and closes at random moments, under CPU load: no panic (the test
// binary would die), no hang, and every goroutine gone at the end.
func TestDialCloseStress(t *testing.T) {
	ts := startServer(t, sio.Options{})
	dial(t, ts.URL, sio.DialOptions{}).Close() // the library's lasting goroutines start here
	settleGoroutines(t, runtime.NumGoroutine(), "warm-up")
	base := runtime.NumGoroutine()
	rounds := stressRounds()
	counts := map[string]int{}
	func() {
		defer loadCPU(t, 2)()
		for i := 0; i < rounds; i++ {
			m := moments[rand.IntN(len(moments))]
			counts[m]++
			done := make(chan struct{})
			go func() {
				defer close(done)
				closeAt(ts, m)
			}()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				buf := make([]byte, 1<<20)
				t.Fatalf("round %d (%s) hangs:\n%s", i, m, buf[:runtime.Stack(buf, true)])
			}
		}
	}()
	t.Logf("%d rounds: %v", rounds, counts)
	ts.restart() // the server's side of every socket ends too
	settleGoroutines(t, base+2, "the stress")
}

// closeAt dials ts and closes the connection at moment m.
func closeAt(ts *testServer, m string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := ts.URL // the same after a restart
	opts := sio.DialOptions{Timeout: 5 * time.Second, Polling: rand.IntN(10) == 0}
	jitter := func(max time.Duration) { time.Sleep(time.Duration(rand.Int64N(int64(max)))) }
	switch m {
	case "before the dial":
		cancel()
		if c, err := sio.Dial(ctx, url, opts); err == nil {
			c.Close()
		}
	case "during the dial":
		go func() { jitter(3 * time.Millisecond); cancel() }()
		if c, err := sio.Dial(ctx, url, opts); err == nil {
			c.Close()
		}
	case "right after it":
		if c, err := sio.Dial(ctx, url, opts); err == nil {
			c.Close()
		}
	case "during a call":
		c, err := sio.Dial(ctx, url, opts)
		if err != nil {
			return
		}
		called := make(chan struct{})
		go func() {
			defer close(called)
			c.Call(ctx, "echo", "x") //nolint:errcheck // cut short by Close
		}()
		jitter(2 * time.Millisecond)
		c.Close()
		<-called // a call never outlives its connection
	case "during a server restart":
		dialled := make(chan *sio.Conn, 1)
		go func() {
			c, _ := sio.Dial(ctx, url, opts)
			dialled <- c
		}()
		jitter(3 * time.Millisecond)
		ts.restart()
		if c := <-dialled; c != nil {
			c.Close()
		}
	}
}
