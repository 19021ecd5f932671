package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// A catch-up refused for now (here: the user's read budget is spent, so
// the rejoin answers rate_limited) is asked again: the client is not
// online without its room, and the messages sent while it was away reach
// it, as do those after. Before, it went online with the room not
// rejoined and was given neither.
func TestCatchUpRefusedForNowIsAskedAgain(t *testing.T) {
	t.Parallel()
	// A history reply is at most 2 KB and charges the budget its size; 20
	// KB/s pays that back in 0.1 s.
	env := testserver.Start(t, server.Config{EventRate: 1000, EventBurst: 1000, UserMessageRate: 1000, UserMessageBurst: 1000,
		MaxReplyBytes: 2048, UserReadBurst: 2048, UserReadRate: 20000})
	a, ra := connect(t, env, "alice")
	cut := newCutter(t, env.Addr)
	sess, err := client.Register(context.Background(), cut.URL(), "bob", "password-bob")
	if err != nil {
		t.Fatal(err)
	}
	b := client.Connect(sess, fast)
	t.Cleanup(b.Close)
	rb := record(t, b)
	online(rb, t, 1)
	pad := strings.Repeat("x", 150) // 10 of them fill more than a reply
	for i := 0; i < 10; i++ {
		a.Send(wire.DefaultRoom, fmt.Sprint("before ", i, pad))
	}
	rb.wait(t, "bob has the first 10", func([]client.Event) bool { return len(rb.messages()) == 10 })

	// Another socket of bob's reads history without pause: bob's budget
	// stays spent while it runs.
	tok, _ := sess.Token()
	drain, err := testserver.Dial(env.URL, testserver.DialOpts{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drain.Close)
	stop, stopped := make(chan struct{}), make(chan struct{})
	limited := make(chan struct{}, 1)
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := drain.Call(wire.EventHistory, map[string]any{"room": wire.DefaultRoom, "limit": wire.MaxHistory})
			if err != nil {
				return
			}
			if res["error"] == wire.ErrRateLimited {
				select {
				case limited <- struct{}{}:
				default:
				}
			}
		}
	}()
	<-limited

	cut.setCut(true)
	rb.wait(t, "bob notices", func([]client.Event) bool { return rb.count(isState(client.Reconnecting)) > 0 })
	for i := 0; i < 3; i++ {
		a.Send(wire.DefaultRoom, fmt.Sprint("away ", i))
	}
	ra.wait(t, "alice's 13 sent", func(evs []client.Event) bool { return sentCount(evs) == 13 })
	cut.setCut(false)
	// Bob's rejoin is refused (rate_limited) while the drain runs.
	rb.wait(t, "bob's rejoin refused", func(evs []client.Event) bool {
		return rb.count(isState(client.Online)) >= 2 || refusedAs(evs, wire.ErrRateLimited)
	})
	close(stop)
	<-stopped
	a.Send(wire.DefaultRoom, "after")
	rb.wait(t, "bob has all 14", func([]client.Event) bool { return len(rb.messages()) == 14 })
}

func sentCount(evs []client.Event) int {
	n := 0
	for _, e := range evs {
		if d, ok := e.(client.DeliveryEvent); ok && d.Outgoing.State == client.Sent {
			n++
		}
	}
	return n
}

// refusedAs reports whether a Reconnecting state says the server answered code.
func refusedAs(evs []client.Event, code string) bool {
	for _, e := range evs {
		var ce *client.Error
		if st, ok := e.(client.StateEvent); ok && st.State == client.Reconnecting && errors.As(st.Err, &ce) && ce.Code == code {
			return true
		}
	}
	return false
}
