package instance

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/wire"
)

const helperEnv = "CONFAB_INSTANCE_HELPER" // the scope a helper process claims

// TestMain gives the tests a runtime directory of their own, and runs
// the helper process (an instance to kill) when asked.
func TestMain(m *testing.M) {
	if scope := os.Getenv(helperEnv); scope != "" {
		p, _, err := Claim(scope, Request{})
		if err != nil || p == nil {
			fmt.Println("claim failed:", err)
			os.Exit(1)
		}
		p.Serve(func(Request) {})
		fmt.Println("ready")
		select {}
	}
	dir, err := os.MkdirTemp("", "instance-test")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_RUNTIME_DIR", dir) //nolint:errcheck
	code := m.Run()
	os.RemoveAll(dir) //nolint:errcheck
	os.Exit(code)
}

var testInvite = wire.Invitation{Addr: "192.168.1.5:7878", Name: "Bob's chat",
	Fingerprint: wire.NormalizeFingerprint(strings.Repeat("ab", 32))}

// primary claims scope and serves; the requests it takes arrive on the channel.
func primary(t *testing.T, scope string) (*Primary, chan Request) {
	t.Helper()
	p, handed, err := Claim(scope, Request{})
	if err != nil || handed || p == nil {
		t.Fatalf("first claim: primary %v, handed %v, err %v", p, handed, err)
	}
	t.Cleanup(func() { p.Close() })
	got := make(chan Request, 16)
	p.Serve(func(r Request) { got <- r })
	return p, got
}

func receive(t *testing.T, got chan Request) Request {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the primary took no request")
		return Request{}
	}
}

func TestHandOff(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	_, got := primary(t, scope)

	p, handed, err := Claim(scope, Request{Invitation: &testInvite})
	if p != nil || !handed || err != nil {
		t.Fatalf("second claim: primary %v, handed %v, err %v", p, handed, err)
	}
	if r := receive(t, got); r.Invitation == nil || *r.Invitation != testInvite {
		t.Fatalf("primary got %+v, want the invitation %+v", r.Invitation, testInvite)
	}
	if _, handed, err = Claim(scope, Request{}); !handed || err != nil {
		t.Fatalf("show: handed %v, err %v", handed, err)
	}
	if r := receive(t, got); r.Invitation != nil {
		t.Fatalf("show arrived as %+v", r.Invitation)
	}
}

// Each storage root is an instance of its own.
func TestScopesApart(t *testing.T) {
	t.Parallel()
	primary(t, t.TempDir())
	primary(t, t.TempDir())
}

// After Close the next launch becomes the instance.
func TestCloseFreesTheInstance(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	p, _ := primary(t, scope)
	p.Close()
	primary(t, scope)
}

// exchange sends raw bytes to the scope's socket and returns the reply
// (until the primary closes the connection).
func exchange(t *testing.T, scope string, send []byte) string {
	t.Helper()
	e, err := endpointFor(scope)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.dial(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second)) //nolint:errcheck
	go c.Write(send)                                //nolint:errcheck // the primary may close first
	reply, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("reading the reply to %.40q: %v", send, err)
	}
	return string(reply)
}

// The socket is a hostile input: only "show" and whole invitation links
// are taken, lines are bounded, a silent peer is dropped, and none of it
// stops the primary from serving the next launch.
func TestBadRequestsRefused(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	_, got := primary(t, scope)
	for _, bad := range []string{
		"rm -rf ~\n",
		"open https://example.com/\n",
		"open confab://192.168.1.5:7878\n",       // no key
		"open confab://192.168.1.5:7878?fp=ab\n", // not a key
		"SHOW\n",
		"show \n",
		"open " + strings.Replace(testInvite.String(), "Bob", "\x00Bob", 1) + "\n",
		"open " + testInvite.String() + " trailing\n",
	} {
		if reply := exchange(t, scope, []byte(bad)); reply != noReply+"\n" {
			t.Errorf("%q: reply %q, want %q", bad, reply, noReply)
		}
	}
	long := "open " + testInvite.String() + "&x=" + strings.Repeat("a", maxRequest) + "\n"
	if reply := exchange(t, scope, []byte(long)); reply != "" {
		t.Errorf("a line of %d bytes: reply %q, want none", len(long), reply)
	}
	if reply := exchange(t, scope, []byte("sh")); reply != "" { // and then silence
		t.Errorf("a silent peer: reply %q, want none", reply)
	}
	select {
	case r := <-got:
		t.Fatalf("a bad request was taken: %+v", r)
	default:
	}
	if _, handed, err := Claim(scope, Request{Invitation: &testInvite}); !handed || err != nil {
		t.Fatalf("after bad requests: handed %v, err %v", handed, err)
	}
	if r := receive(t, got); r.Invitation == nil || *r.Invitation != testInvite {
		t.Fatalf("got %+v", r.Invitation)
	}
}

func TestParseRequest(t *testing.T) {
	t.Parallel()
	long := testInvite
	long.Name = strings.Repeat("n", maxRequest)
	if r, err := parseRequest(Request{Invitation: &long}.line()); err != nil || r.Invitation.Name != "" || r.Invitation.Addr != long.Addr {
		t.Fatalf("a link too long with its name: %+v, %v; want it without the name", r.Invitation, err)
	}
	long.Addr = strings.Repeat("h", maxRequest) + ":7878"
	if err := (Request{Invitation: &long}).Check(); !errors.Is(err, ErrTooLong) {
		t.Fatalf("a link too long without its name: %v", err)
	}
	r, err := parseRequest(Request{Invitation: &testInvite}.line())
	if err != nil || r.Invitation == nil || *r.Invitation != testInvite {
		t.Fatalf("round trip: %+v, %v", r.Invitation, err)
	}
	if r, err := parseRequest("show"); err != nil || r.Invitation != nil {
		t.Fatalf("show: %+v, %v", r, err)
	}
}

// Launches at once: exactly one becomes the instance, the others hand
// their requests to it.
func TestRace(t *testing.T) {
	t.Parallel()
	scope := t.TempDir()
	const n = 8
	var wg sync.WaitGroup
	results := make(chan *Primary, n)
	got := make(chan Request, n)
	for range n {
		wg.Go(func() {
			p, handed, err := Claim(scope, Request{})
			if err != nil || (p == nil) != handed {
				t.Errorf("primary %v, handed %v, err %v", p, handed, err)
			}
			if p != nil {
				p.Serve(func(r Request) { got <- r })
				t.Cleanup(func() { p.Close() })
			}
			results <- p
		})
	}
	wg.Wait()
	close(results)
	primaries := 0
	for p := range results {
		if p != nil {
			primaries++
		}
	}
	if primaries != 1 {
		t.Fatalf("%d instances, want 1", primaries)
	}
	for range n - 1 {
		receive(t, got)
	}
}

// An instance that holds the lock but never answers is reported, not
// joined by a second window.
func TestNoAnswer(t *testing.T) {
	scope := t.TempDir()
	e, err := endpointFor(scope)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.listen()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Never served: the socket takes connections into its backlog only.
	old := claimTimeout
	claimTimeout = 500 * time.Millisecond
	defer func() { claimTimeout = old }()
	if _, handed, err := Claim(scope, Request{}); handed || !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("handed %v, err %v; want ErrNoAnswer", handed, err)
	}
}
