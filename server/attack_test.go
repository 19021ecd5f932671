package server_test

// What one address can do to the accounts API, at once: the limits hold
// under concurrency, and others keep signing in meanwhile (issue 11).

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/internal/testserver"
	"confab/server"
)

// from is an HTTP client whose connections come from ip (any 127.x is
// this computer), so that tests can be several addresses.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 100}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// storm sends n requests at once and counts the statuses.
func storm(t *testing.T, c *http.Client, n int, url func(i int) string, body func(i int) string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, err := c.Post(url(i), "application/json", strings.NewReader(body(i)))
			code := -1
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			counts[code]++
			mu.Unlock()
		}(i)
	}
	close(start)
	wg.Wait()
	return counts
}

// signInTime is how long a normal user from another address takes to sign in.
func signInTime(t *testing.T, env *testserver.Env, ip, user, pass string) time.Duration {
	t.Helper()
	d, err := timeSignIn(env, ip, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func timeSignIn(env *testserver.Env, ip, user, pass string) (time.Duration, error) {
	start := time.Now()
	resp, err := from(ip).Post(env.URL+"/login", "application/json", strings.NewReader(testserver.JSON(user, pass)))
	if err != nil {
		return 0, fmt.Errorf("%s's sign-in: %w", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%s's sign-in: %s", user, resp.Status)
	}
	return time.Since(start), nil
}

// attackSlowdown is how many times slower than just before an attack a
// normal user's sign-in may be during it. The bound is relative because the
// machine is shared: other work slows every sign-in alike. The attack itself
// takes CPU (its clients run in this process): sign-ins measured 4-9 times
// slower during it, while a flood that has every guess hashed costs about
// a hundred sign-ins. It is never under a second (the race detector: three).
const attackSlowdown = 10

func signInBound(before time.Duration) time.Duration {
	return max(raceSlowdown*time.Second, attackSlowdown*before)
}

// signInDuring starts a normal user's sign-in after a moment, while an
// attack runs; the function it returns waits for it and asserts it took
// under signInBound of the sign-in measured before the attack.
func signInDuring(t *testing.T, env *testserver.Env, ip, user, pass string, before time.Duration) (check func()) {
	var d time.Duration
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(50 * time.Millisecond)
		d, err = timeSignIn(env, ip, user, pass)
	}()
	return func() {
		t.Helper()
		<-done
		t.Logf("%s signed in in %v during the attack (%v before it)", user, d, before)
		if err != nil {
			t.Fatal(err)
		}
		if d > signInBound(before) {
			t.Fatalf("%s's sign-in took %v during the attack, %v before it", user, d, before)
		}
	}
}

// 200 guesses of one account's password at once (under the per-address
// connection cap, so every one reaches the throttle): no more are checked than
// the limit allows, and the right password among them does not get in
// through the crowd; another user signs in meanwhile.
func TestConcurrentGuessesAreLimited(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	env.Register("bob", "password-b")
	attacker := from("127.0.0.2")
	before := signInTime(t, env, "127.0.0.3", "bob", "password-b")
	checkSignIn := signInDuring(t, env, "127.0.0.3", "bob", "password-b", before)
	counts := storm(t, attacker, 200, func(int) string { return env.URL + "/login" }, func(i int) string {
		if i == 100 {
			return testserver.JSON("alice", "password-a")
		}
		return testserver.JSON("alice", "wrong-guess")
	})
	checkSignIn()
	t.Logf("statuses %v", counts)
	if counts[401] > server.DefaultLoginPerUser || counts[401]+counts[200] > server.DefaultLoginPerUser {
		t.Fatalf("%d passwords checked, limit %d", counts[401]+counts[200], server.DefaultLoginPerUser)
	}
}

// 100 sign-ups at once from one address create no more accounts than the
// limit; a flood of taken names costs no password hashing and is counted.
func TestConcurrentSignUpsAreLimited(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	counts := storm(t, from("127.0.0.2"), 100, func(int) string { return env.URL + "/register" }, func(i int) string {
		return testserver.JSON("user"+strings.Repeat("x", i%10)+string(rune('a'+i/10)), "password-x")
	})
	t.Logf("sign-ups: %v", counts)
	if counts[201] > server.DefaultRegisterPerAddr {
		t.Fatalf("%d accounts created, limit %d", counts[201], server.DefaultRegisterPerAddr)
	}
	before := signInTime(t, env, "127.0.0.5", "alice", "password-a")
	start := time.Now()
	counts = storm(t, from("127.0.0.4"), 200, func(int) string { return env.URL + "/register" }, func(int) string {
		return testserver.JSON("alice", "password-z")
	})
	el := time.Since(start)
	t.Logf("taken names: %v in %v", counts, el)
	if counts[409] > server.DefaultRegisterPerAddr || counts[409]+counts[429] != 200 {
		t.Fatalf("taken names: %v", counts)
	}
	// 200 argon2id hashes would take about 100 sign-ins' time on 2 cores.
	if el > max(raceSlowdown*2*time.Second, 4*attackSlowdown*before) {
		t.Fatalf("the taken-name flood took %v (a sign-in: %v)", el, before)
	}
	if d := signInTime(t, env, "127.0.0.5", "alice", "password-a"); d > signInBound(before) {
		t.Fatalf("sign-in took %v, %v before the flood", d, before)
	}
}
