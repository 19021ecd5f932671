package client_test

// What an attacker on the LAN tried, each as a test: the rogue must never
// receive a password, a token or a message, and trust must never move to
// its key by itself (docs/security.md).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/client"
	"confab/discovery"
	"confab/host"
	"confab/internal/netns"
	"confab/internal/testserver"
	"confab/server"
	"confab/server/certs"
	"confab/wire"
)

// authority is a certificate authority the victim's system trusts, which
// issues the attacker a certificate for a name of its own.
type authority struct {
	roots *x509.CertPool
	cert  *x509.Certificate
	key   *ecdsa.PrivateKey
}

func newAuthority(t *testing.T) authority {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Public CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(c)
	return authority{roots, c, key}
}

// issue makes a certificate for names and addresses.
func (a authority) issue(t *testing.T, names []string, ips []net.IP) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "rogue"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: names, IPAddresses: ips, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// rogue is a TLS server that relays everything to target and records the
// plaintext it sees; target "" answers nothing.
type rogue struct {
	addr string
	mu   sync.Mutex
	seen bytes.Buffer
}

func startRogue(t *testing.T, addr string, cert tls.Certificate, target string) *rogue {
	ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &rogue{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go r.relay(c, target)
		}
	}()
	return r
}

func (r *rogue) relay(c net.Conn, target string) {
	defer c.Close()
	if target == "" {
		io.Copy(r, c) //nolint:errcheck
		return
	}
	up, err := tls.Dial("tcp", target, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the rogue does not care
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(c, up)                 //nolint:errcheck
	io.Copy(io.MultiWriter(up, r), c) //nolint:errcheck
}

func (r *rogue) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen.Write(p)
}

// learnt says whether the rogue saw any of the secrets.
func (r *rogue) learnt(secrets ...string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s != "" && bytes.Contains(r.seen.Bytes(), []byte(s)) {
			return true
		}
	}
	return r.seen.Len() > 0
}

func pinsFile(t *testing.T) *client.FilePins {
	return client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
}

// A pinned key decides alone: a certificate the system's authorities
// trust, presented at the pinned address, is refused before anything
// secret crosses; and without a pin an authority's certificate must be for
// the address joined (an address is checked as one, never skipped).
func TestPinHoldsAgainstAuthorities(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	env.Register("alice", "password-a")
	pins := pinsFile(t)
	if _, err := client.Login(ctx, env.Addr, "alice", "password-a", client.WithPins(pins), client.WithFingerprint(env.Cert.Fingerprint)); err != nil {
		t.Fatal(err)
	}
	addr := env.Addr
	env.Stop()
	ca := newAuthority(t)
	r := startRogue(t, addr, ca.issue(t, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}), "")
	_, err := client.Login(ctx, addr, "alice", "password-a", client.WithPins(pins), client.WithRoots(ca.roots))
	if !errors.Is(err, client.ErrCertChanged) {
		t.Fatalf("a certificate of a trusted authority at the pinned address: %v", err)
	}
	// A key given out of band is held the same way.
	_, err = client.Login(ctx, addr, "alice", "password-a", client.WithRoots(ca.roots), client.WithFingerprint(env.Cert.Fingerprint))
	if !errors.Is(err, client.ErrCertMismatch) {
		t.Fatalf("a certificate of a trusted authority against a given key: %v", err)
	}
	// No pin, an authority's certificate for another name at this address.
	other := startRogue(t, "127.0.0.1:0", ca.issue(t, []string{"attacker.example"}, nil), "")
	_, err = client.Login(ctx, other.addr, "alice", "password-a", client.WithPins(pinsFile(t)), client.WithRoots(ca.roots))
	if !errors.Is(err, client.ErrCertUnknown) {
		t.Fatalf("an authority's certificate for another name: %v", err)
	}
	if r.learnt("password-a") || other.learnt("password-a") {
		t.Fatal("a rogue server received data")
	}
}

// The same key at another address (a host whose address changed) is the
// same chat: no question, and the new address is pinned.
func TestTrustFollowsTheKey(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	env.Register("alice", "password-a")
	pins := pinsFile(t)
	if _, err := client.Login(ctx, env.Addr, "alice", "password-a", client.WithPins(pins), client.WithFingerprint(env.Cert.Fingerprint)); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(env.Addr)
	if _, err := client.Login(ctx, "localhost:"+port, "alice", "password-a", client.WithPins(pins)); err != nil {
		t.Fatalf("the trusted key at another address: %v", err)
	}
	if got := pins.Pin("localhost:" + port); got != env.Cert.Fingerprint {
		t.Fatalf("pinned %q", got)
	}
}

// An invitation carries the key: joining by it asks nothing; a tampered
// one (another key) is refused before the password crosses.
func TestInvitations(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	inv := wire.Invitation{Addr: env.Addr, Fingerprint: env.Cert.Fingerprint, Name: "Team chat"}
	got, err := wire.ParseInvitation(inv.String())
	if err != nil {
		t.Fatal(err)
	}
	pins := pinsFile(t)
	if _, err := client.Register(ctx, got.URL(), "alice", "password-a", client.WithPins(pins), client.WithFingerprint(got.Fingerprint)); err != nil {
		t.Fatalf("join by invitation: %v", err)
	}
	tampered := got
	tampered.Fingerprint = strings.Repeat("AB:", 31) + "AB"
	tampered, _ = wire.ParseInvitation(tampered.String())
	_, err = client.Register(ctx, tampered.URL(), "bob", "password-b", client.WithPins(pinsFile(t)), client.WithFingerprint(tampered.Fingerprint))
	if !errors.Is(err, client.ErrCertMismatch) {
		t.Fatalf("a tampered invitation: %v", err)
	}
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("bob", "password-b"), ""); code != 401 {
		t.Fatal("the tampered invitation's sign-up reached the server")
	}
}

// startHost serves a chat on a LAN address, announced under name.
func startLANHost(t *testing.T, addr, name string) *host.Host {
	h, err := host.Start(host.Config{Server: host.ServerConfig{DataDir: t.TempDir(), Secret: testserver.Secret},
		Addr: addr, CertDir: t.TempDir(), Announce: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Stop() }) //nolint:errcheck
	return h
}

// heard browses for two rounds and returns every entry named name seen.
func heard(t *testing.T, pins client.PinStore, name string) []client.Found {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*client.DiscoverRound)
	defer cancel()
	seen := map[string]client.Found{}
	for l := range client.Discover(ctx) {
		for _, f := range client.Annotate(l, pins, false) {
			if f.Name == name {
				seen[f.Fingerprint+f.Addr().String()] = f
			}
		}
	}
	if len(seen) == 0 {
		t.Fatalf("no chat named %q heard", name)
	}
	out := make([]client.Found, 0, len(seen))
	for _, f := range seen {
		out = append(out, f)
	}
	return out
}

// listed browses until the list holds want chats named name.
func listed(t *testing.T, pins client.PinStore, name string, want int, insecure bool) []client.Found {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*client.DiscoverRound)
	defer cancel()
	var last []client.Found
	for l := range client.Discover(ctx) {
		last = client.Annotate(l, pins, insecure)
		n := 0
		for _, f := range last {
			if f.Name == name {
				n++
			}
		}
		if n == want {
			return last
		}
	}
	t.Fatalf("%d chats named %q not listed: %+v", want, name, last)
	return nil
}

// On a LAN of its own: a rogue announces the host's chat name with its own
// key, says goodbye for the real entry and announces again and again. The
// list shows both, flags the rogue, and picking it never trusts its key;
// a relay behind it learns nothing. Plain-HTTP announcements stay hidden,
// and a chat trusted over HTTPS is not joined over plain HTTP.
func TestRogueOnTheLAN(t *testing.T) {
	if !netns.Enter(t) {
		return
	}
	const rogueAddr = "10.213.0.3"
	if out, err := exec.Command("ip", "addr", "add", rogueAddr+"/24", "dev", netns.Link0).CombinedOutput(); err != nil {
		t.Fatalf("ip: %v %s", err, out)
	}
	real := startLANHost(t, netns.HostAddr+":7878", "Team chat")
	realAddr := net.JoinHostPort(netns.HostAddr, "7878")
	pins := pinsFile(t)
	sess, err := client.Register(context.Background(), realAddr, "alice", "password-a", client.WithPins(pins), client.WithFingerprint(real.Fingerprint()))
	if err != nil {
		t.Fatal(err)
	}
	token, _ := sess.Token()
	pins.SetNamed(real.Fingerprint(), "Team chat") //nolint:errcheck // as the app does when trusting from the list

	// The rogue: a relay to the real host, announced as "Team chat".
	rc, err := certs.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := startRogue(t, rogueAddr+":7878", rc.TLS, realAddr)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // goodbye for the real entry, and our own again, every 200 ms
		for {
			if a, err := discovery.Announce(discovery.Info{Name: "Team chat", Port: 7878, Fingerprint: rc.Fingerprint,
				Interfaces: lanIfaces(t)}); err == nil {
				select {
				case <-stop:
					a.Close()
					return
				case <-time.After(200 * time.Millisecond):
					a.Close()
				}
			}
		}
	}()
	// Whichever announcement the LAN list shows (mDNS merges the two under
	// one name, so its key and addresses may come from either), joining it
	// as the app does never trusts the rogue's key: an entry with the
	// trusted key must find that key at its address, an entry with another
	// key is flagged and asks.
	for _, f := range heard(t, pins, "Team chat") {
		if f.Fingerprint == rc.Fingerprint && (f.Trusted || !f.Impostor) {
			t.Fatalf("the rogue's entry is not flagged: %+v", f)
		}
		opts := []client.Option{client.WithPins(pins)}
		if f.Trusted {
			opts = append(opts, client.WithFingerprint(f.Fingerprint))
		}
		_, err := client.Login(context.Background(), f.URL(), "alice", "password-a", opts...)
		var ce *client.CertError
		switch {
		case err == nil && f.Addr().String() == rogueAddr:
			t.Fatalf("signed in to the rogue through %+v", f)
		case err != nil && !errors.As(err, &ce) && !errors.Is(err, client.ErrUnreachable):
			t.Fatalf("joining %+v: %v", f, err)
		}
		t.Logf("%s at %s, trusted %v, impostor %v: %v", client.SafetyCode(f.Fingerprint), f.Addr(), f.Trusted, f.Impostor, err)
	}
	// Picking the rogue's address: its key is not trusted for being announced.
	_, err = client.Login(context.Background(), "https://"+rogueAddr+":7878", "alice", "password-a", client.WithPins(pins))
	var ce *client.CertError
	if !errors.As(err, &ce) || ce.Kind() != client.ErrCertUnknown || ce.Fingerprint != rc.Fingerprint {
		t.Fatalf("joining the rogue's address: %v", err)
	}
	if pins.Pin(net.JoinHostPort(rogueAddr, "7878")) != "" {
		t.Fatal("the rogue's key was pinned")
	}
	if r.learnt("password-a", token) {
		t.Fatal("the rogue learnt a secret")
	}

	// Downgrade: the rogue takes the real address over plain HTTP.
	real.Stop() //nolint:errcheck
	seen := &rogue{}
	plainAt(t, realAddr, seen)
	if _, err := client.Login(context.Background(), "http://"+realAddr, "alice", "password-a", client.WithPins(pins), client.AllowPlainHTTP()); !errors.Is(err, client.ErrDowngrade) {
		t.Fatalf("plain HTTP to a chat trusted over HTTPS: %v", err)
	}
	// A chat never trusted, over plain HTTP: asked first, and hidden from
	// the list unless asked for.
	plainAt(t, rogueAddr+":7890", seen)
	if _, err := client.Login(context.Background(), "http://"+rogueAddr+":7890", "alice", "password-a", client.WithPins(pins)); !errors.Is(err, client.ErrInsecure) {
		t.Fatalf("plain HTTP, never trusted: %v", err)
	}
	if seen.learnt("password-a", token) {
		t.Fatal("a plain-HTTP rogue learnt a secret")
	}
	a, err := discovery.Announce(discovery.Info{Name: "Plain chat", Port: 7890, Interfaces: lanIfaces(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	listed(t, pins, "Plain chat", 1, true)
	for _, f := range listed(t, pins, "Team chat", 1, false) {
		if f.Name == "Plain chat" {
			t.Fatal("a plain-HTTP chat listed without asking")
		}
	}
}

// plainAt serves, over plain HTTP at addr, a health check that passes for
// Confab's and records every request body.
func plainAt(t *testing.T, addr string, seen *rogue) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(seen, r.Body) //nolint:errcheck
		if r.URL.Path == "/healthz" {
			w.Write([]byte(`{"status":"ok","version":"rogue","protocol":1}`)) //nolint:errcheck
		}
	})}
	go s.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { s.Close() })
}

func lanIfaces(t *testing.T) []net.Interface {
	ifc, err := net.InterfaceByName(netns.Link0)
	if err != nil {
		t.Fatal(err)
	}
	return []net.Interface{*ifc}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("AA:", 31)+"AA", strings.Repeat("BB:", 31)+"BB"
	pins := pinsFile(t)
	pins.SetPin("10.0.0.1:7878", a) //nolint:errcheck
	pins.SetNamed(a, "Team chat")   //nolint:errcheck
	hosts := []client.Host{
		{Name: "Other", Secure: true, Fingerprint: b},
		{Name: "Team chat", Secure: true, Fingerprint: b},
		{Name: "Team chat", Secure: true, Fingerprint: a},
		{Name: "Plain", Secure: false},
	}
	got := client.Annotate(hosts, pins, false)
	if len(got) != 3 {
		t.Fatalf("plain listed without asking: %+v", got)
	}
	if got[0].Fingerprint != a || !got[0].Trusted || got[0].Impostor || !got[0].Conflict {
		t.Fatalf("the trusted chat first, as trusted: %+v", got[0])
	}
	for _, f := range got[1:] {
		if f.Trusted || (f.Name == "Team chat") != (f.Impostor && f.Conflict) {
			t.Fatalf("%+v", f)
		}
	}
	if len(client.Annotate(hosts, pins, true)) != 4 {
		t.Fatal("plain not listed when asked")
	}
}

// A chat whose server comes back with another key ends, saying why: the
// person is asked at the next sign-in, never while reconnecting.
func TestKeyChangeWhileChatting(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	pins := pinsFile(t)
	sess, err := client.Register(ctx, env.Addr, "alice", "password-a", client.WithPins(pins), client.WithFingerprint(env.Cert.Fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	c := client.Connect(sess, client.Options{})
	defer c.Close()
	testserver.WaitFor(t, 10*time.Second, "online", func() bool { return c.State() == client.Online })
	addr := env.Addr
	env.Stop()
	impostor := startLANHost(t, addr, "")
	var end client.StateEvent
	for e := range c.Events() {
		if s, ok := e.(client.StateEvent); ok && s.State == client.SignedOut {
			end = s
		}
	}
	if !errors.Is(end.Err, client.ErrCertChanged) && !errors.Is(end.Err, client.ErrCertMismatch) {
		t.Fatalf("ended with %v", end.Err)
	}
	if pins.Pin(client.ServerKey("https://"+addr)) == impostor.Fingerprint() {
		t.Fatal("the new key was trusted")
	}
}
