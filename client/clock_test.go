package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
)

func TestClockWatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		mono, wall time.Duration // how far each clock moved
		jumped     bool
	}{
		{"steady", 2 * time.Second, 2 * time.Second, false},
		{"small drift", 2 * time.Second, 2*time.Second + 500*time.Millisecond, false},
		{"slept an hour", 2 * time.Second, time.Hour, true},
		{"set back", 2 * time.Second, -time.Minute, true},
		{"at the slack", 2 * time.Second, 2*time.Second + clockSlack, false},
	} {
		start := time.Now()
		w := &clockWatch{mono: start, wall: start.Round(0)}
		wall := start.Round(0).Add(tc.wall)
		if got := w.jumpedAt(start.Add(tc.mono), wall); got != tc.jumped {
			t.Errorf("%s: jumped = %v, want %v", tc.name, got, tc.jumped)
		}
	}
}

// After a sleep (the wall clock jumps, the monotonic one does not) the chat
// drops its connection, which the server dropped long ago, and connects
// again at once.
func TestSleepReconnectsAtOnce(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	sess, err := Register(context.Background(), env.URL, "sleeper", "password-s")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var offset time.Duration
	wallNow = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Round(0).Add(offset)
	}
	t.Cleanup(func() { wallNow = func() time.Time { return time.Now().Round(0) } })
	chat := Connect(sess, Options{})
	defer chat.Close()
	var states []ConnState
	var smu sync.Mutex
	go func() {
		for e := range chat.Events() {
			if s, ok := e.(StateEvent); ok {
				smu.Lock()
				states = append(states, s.State)
				smu.Unlock()
			}
		}
	}()
	testserver.WaitFor(t, 10*time.Second, "online", func() bool { return chat.State() == Online })
	mu.Lock()
	offset = time.Hour // the computer slept for an hour
	mu.Unlock()
	start := time.Now()
	testserver.WaitFor(t, 2*clockCheck+time.Second, "reconnected", func() bool {
		smu.Lock()
		defer smu.Unlock()
		n := len(states)
		return n >= 3 && states[n-2] == Reconnecting && states[n-1] == Online
	})
	t.Logf("reconnected %v after the jump", time.Since(start).Round(time.Millisecond))
}
