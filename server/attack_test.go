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

// signIn signs a normal user in from ip.
func signIn(env *testserver.Env, ip, user, pass string) error {
	resp, err := from(ip).Post(env.URL+"/login", "application/json", strings.NewReader(testserver.JSON(user, pass)))
	if err != nil {
		return fmt.Errorf("%s's sign-in: %w", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s's sign-in: %s", user, resp.Status)
	}
	return nil
}

// signInDuring starts a normal user's sign-in after a moment, while an
// attack runs; the function it returns waits for it and asserts it got in.
// It asserts no time: on a shared machine a sign-in's time says more of the
// other work than of the attack (a bound of 10 times the sign-in before the
// attack failed in CI at load 9). What an attack costs is counted instead,
// in password hashes (hashes), the work the limits bound.
func signInDuring(t *testing.T, env *testserver.Env, ip, user, pass string) (check func()) {
	var d time.Duration
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		err = signIn(env, ip, user, pass)
		d = time.Since(start)
	}()
	return func() {
		t.Helper()
		<-done
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s signed in in %v during the attack", user, d)
	}
}

// hashes counts the server's password hashes (confab_password_hashes_total).
func hashes(t *testing.T, env *testserver.Env) func() int {
	metric := metricsOf(t, env)
	return func() int { return int(metric("confab_password_hashes_total")) }
}

// 200 guesses of one account's password at once (under the per-address
// connection cap, so every one reaches the throttle): no more are checked than
// the limit allows, and the right password among them does not get in
// through the crowd; another user signs in meanwhile.
func TestConcurrentGuessesAreLimited(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	env.Register("bob", "password-b")
	hashed := hashes(t, env)
	before := hashed()
	attacker := from("127.0.0.2")
	checkSignIn := signInDuring(t, env, "127.0.0.3", "bob", "password-b")
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
	// The throttled guesses cost no hash: bob's sign-in waited behind at
	// most the limit's few, not behind 200.
	if n := hashed() - before; n > server.DefaultLoginPerUser+1 {
		t.Fatalf("the attack and bob's sign-in cost %d password hashes; the limit allows %d and bob 1", n, server.DefaultLoginPerUser)
	}
}

// 100 sign-ups at once from one address create no more accounts than the
// limit; a flood of taken names costs no password hashing and is counted.
func TestConcurrentSignUpsAreLimited(t *testing.T) {
	env := testserver.Start(t, server.Config{})
	env.Register("alice", "password-a")
	hashed := hashes(t, env)
	counts := storm(t, from("127.0.0.2"), 100, func(int) string { return env.URL + "/register" }, func(i int) string {
		return testserver.JSON("user"+strings.Repeat("x", i%10)+string(rune('a'+i/10)), "password-x")
	})
	t.Logf("sign-ups: %v", counts)
	if counts[201] > server.DefaultRegisterPerAddr {
		t.Fatalf("%d accounts created, limit %d", counts[201], server.DefaultRegisterPerAddr)
	}
	before := hashed()
	counts = storm(t, from("127.0.0.4"), 200, func(int) string { return env.URL + "/register" }, func(int) string {
		return testserver.JSON("alice", "password-z")
	})
	t.Logf("taken names: %v", counts)
	if counts[409] > server.DefaultRegisterPerAddr || counts[409]+counts[429] != 200 {
		t.Fatalf("taken names: %v", counts)
	}
	// 200 argon2id hashes would take about 100 sign-ins' time on 2 cores.
	if n := hashed() - before; n != 0 {
		t.Fatalf("the taken-name flood cost %d password hashes", n)
	}
	if err := signIn(env, "127.0.0.5", "alice", "password-a"); err != nil {
		t.Fatal(err)
	}
}
