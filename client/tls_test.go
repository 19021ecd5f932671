package client_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"confab/client"
	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

func certError(t *testing.T, err error, kind error) *client.CertError {
	t.Helper()
	var ce *client.CertError
	if !errors.Is(err, kind) || !errors.As(err, &ce) {
		t.Fatalf("got %v, want %v with a CertError", err, kind)
	}
	return ce
}

// chatOnce connects a session, sends one message and waits for its ack.
func chatOnce(t *testing.T, sess *client.Session, text string) {
	t.Helper()
	c := client.Connect(sess, fast)
	defer c.Close()
	r := record(t, c)
	online(r, t, 1)
	if _, err := c.Send(wire.DefaultRoom, text); err != nil {
		t.Fatal(err)
	}
	r.wait(t, "sent", func(evs []client.Event) bool {
		for _, e := range evs {
			if d, ok := e.(client.DeliveryEvent); ok && d.Outgoing.State == client.Sent {
				return true
			}
		}
		return false
	})
}

func TestPinOnFirstUseThenRefuseAChange(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	pins := client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
	key := client.ServerKey(env.URL)

	// First contact: refused, with the fingerprint the host shows.
	_, err := client.Register(ctx, env.URL, "alice", "password-a", client.WithPins(pins))
	ce := certError(t, err, client.ErrCertUnknown)
	if ce.Fingerprint != env.Cert.Fingerprint || ce.Server != key {
		t.Fatalf("fingerprint %q for %q, the host shows %q", ce.Fingerprint, ce.Server, env.Cert.Fingerprint)
	}
	if pins.Pin(key) != "" {
		t.Fatal("pinned without the user's consent")
	}
	if code, _, _ := env.Post("/login", "application/json", testserver.JSON("alice", "password-a"), ""); code != 401 {
		t.Fatalf("the account exists (%d): the password crossed before the certificate was accepted", code)
	}

	// The user compares and accepts: pinned, and the chat works over wss.
	if err := pins.SetPin(key, ce.Fingerprint); err != nil {
		t.Fatal(err)
	}
	sess, err := client.Register(ctx, env.URL, "alice", "password-a", client.WithPins(pins))
	if err != nil {
		t.Fatal(err)
	}
	chatOnce(t, sess, "over TLS")

	// The host's certificate changes (another data directory): refused, both shown.
	other := testserver.StartTLS(t, server.Config{})
	otherPins := client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
	otherPins.SetPin(client.ServerKey(other.URL), env.Cert.Fingerprint) //nolint:errcheck
	_, err = client.Login(ctx, other.URL, "alice", "password-a", client.WithPins(otherPins))
	ce = certError(t, err, client.ErrCertChanged)
	if ce.Pinned != env.Cert.Fingerprint || ce.Fingerprint != other.Cert.Fingerprint {
		t.Fatalf("changed: pinned %q now %q", ce.Pinned, ce.Fingerprint)
	}
	if !strings.Contains(err.Error(), client.SafetyCode(ce.Pinned)) || !strings.Contains(err.Error(), client.SafetyCode(ce.Fingerprint)) {
		t.Fatalf("the message does not show both safety codes: %v", err)
	}
	// A key given with the address does not override a pin either.
	_, err = client.Login(ctx, other.URL, "alice", "password-a", client.WithPins(otherPins), client.WithFingerprint(other.Cert.Fingerprint))
	certError(t, err, client.ErrCertChanged)
	// The deliberate step: pin the new one.
	otherPins.SetPin(client.ServerKey(other.URL), ce.Fingerprint) //nolint:errcheck
	if _, err := client.Register(ctx, other.URL, "alice", "password-a", client.WithPins(otherPins)); err != nil {
		t.Fatalf("after accepting the new certificate: %v", err)
	}
}

func TestExpectedFingerprintAndSystemTrust(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	pins := client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
	// A key given out of band (an invitation; any spelling) is pinned on first use.
	lower := strings.ToLower(strings.ReplaceAll(env.Cert.Fingerprint, ":", ""))
	if _, err := client.Register(ctx, env.URL, "alice", "password-a", client.WithPins(pins), client.WithFingerprint(lower)); err != nil {
		t.Fatal(err)
	}
	if got := pins.Pin(client.ServerKey(env.URL)); got != env.Cert.Fingerprint {
		t.Fatalf("pinned %q", got)
	}
	// A wrong key given is a refusal, never a question.
	_, err := client.Login(ctx, env.URL, "alice", "password-a", client.WithFingerprint(strings.Repeat("AB:", 31)+"AB"))
	certError(t, err, client.ErrCertMismatch)
	// A certificate the system (here: the given roots) trusts needs no pin.
	roots := x509.NewCertPool()
	roots.AddCert(env.Cert.TLS.Leaf)
	fresh := client.NewFilePins(filepath.Join(t.TempDir(), "pins.json"))
	sess, err := client.Login(ctx, env.URL, "alice", "password-a", client.WithPins(fresh), client.WithRoots(roots))
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Pin(client.ServerKey(env.URL)) != "" {
		t.Fatal("a CA-trusted certificate was pinned")
	}
	chatOnce(t, sess, "trusted by CA")
}

func TestSchemes(t *testing.T) {
	ctx := context.Background()
	secure := testserver.StartTLS(t, server.Config{})
	plain := testserver.Start(t, server.Config{})
	fp := client.WithFingerprint(secure.Cert.Fingerprint)
	// A bare address means HTTPS.
	if _, err := client.Register(ctx, secure.Addr, "alice", "password-a", fp); err != nil {
		t.Fatalf("bare address: %v", err)
	}
	// http:// typed for an HTTPS server: switched to HTTPS, still verified.
	sess, err := client.Login(ctx, "http://"+secure.Addr, "alice", "password-a", fp)
	if err != nil || !strings.HasPrefix(sess.URL, "https://") {
		t.Fatalf("http to an HTTPS server: %v", err)
	}
	if _, err := client.Login(ctx, "http://"+secure.Addr, "alice", "password-a"); !errors.Is(err, client.ErrCertUnknown) {
		t.Fatalf("switching to HTTPS skipped the check: %v", err)
	}
	// A plain server is reached only when http:// is typed.
	_, err = client.Register(ctx, plain.Addr, "bob", "password-b")
	if !errors.Is(err, client.ErrPlainHTTP) || !strings.Contains(err.Error(), "http://") {
		t.Fatalf("plain server by bare address: %v", err)
	}
	if _, err := client.Register(ctx, plain.URL, "bob", "password-b"); err != nil {
		t.Fatal(err)
	}
}

// tap is a TCP relay that keeps every byte the client sends and receives.
type tap struct {
	ln  net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func newTap(t *testing.T, target string) *tap {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go tp.pipe(s, c)
			go tp.pipe(c, s)
		}
	}()
	return tp
}

func (tp *tap) pipe(dst, src net.Conn) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			tp.mu.Lock()
			tp.buf.Write(buf[:n])
			tp.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				src.Close()
			}
			return
		}
	}
}

func (tp *tap) seen(s string) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Contains(tp.buf.Bytes(), []byte(s))
}

// Nothing secret crosses the wire readable: not the password, not a token,
// not a message, whether the user typed https, http or no scheme at all.
func TestNothingSecretCrossesInClear(t *testing.T) {
	ctx := context.Background()
	env := testserver.StartTLS(t, server.Config{})
	tp := newTap(t, env.Addr)
	fp := client.WithFingerprint(env.Cert.Fingerprint)
	const password, text = "password-secret-a", "a secret message"
	var tokens []string
	for i, u := range []string{"https://" + tp.ln.Addr().String(), "http://" + tp.ln.Addr().String(), tp.ln.Addr().String()} {
		signIn := client.Login
		if i == 0 {
			signIn = client.Register
		}
		sess, err := signIn(ctx, u, "alice", password, fp)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		tok, _ := sess.Token()
		tokens = append(tokens, tok)
		chatOnce(t, sess, text)
	}
	if !tp.seen("HTTP/1.1") {
		t.Fatal("the tap saw no plain HTTP at all: it does not see the traffic")
	}
	for _, secret := range append([]string{password, text, "Bearer"}, tokens...) {
		if tp.seen(secret) {
			t.Errorf("%q crossed the network readable", secret[:min(len(secret), 20)])
		}
	}
}
