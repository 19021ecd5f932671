package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"confab/server/certs"
	"confab/wire"
)

func TestBadArguments(t *testing.T) {
	t.Setenv("LOCAL_JWT_SECRET", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--addr", "256.0.0.1:1", "--data-dir", t.TempDir()}, "listen on"},
		{[]string{"--tls-cert", "x.pem", "--data-dir", t.TempDir()}, "go together"},
		{[]string{"--insecure-http", "--tls-key", "k.pem", "--data-dir", t.TempDir()}, "cannot be combined"},
		{[]string{"--trusted-proxy", "10.0.0.0/8,10.0.0.0/99", "--data-dir", t.TempDir()}, `trusted proxy "10.0.0.0/99"`},
		{[]string{"--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key", "--data-dir", t.TempDir()}, "TLS certificate"},
	} {
		var out bytes.Buffer
		err := Run(context.Background(), "confabd", tc.args, &out)
		if err == nil || !strings.Contains(err.Error()+out.String(), tc.want) {
			t.Errorf("%v: got %v, want %q", tc.args, err, tc.want)
		}
	}
	t.Setenv("LOCAL_JWT_SECRET", "short")
	err := Run(context.Background(), "confabd", []string{"--data-dir", t.TempDir()}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "at least 32") || strings.Contains(err.Error(), "short") {
		t.Fatalf("short secret: %v", err)
	}
}

// syncBuf is a log sink the server writes while the test reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serve runs the daemon with args until the test ends; it returns the logs.
func serve(t *testing.T, args ...string) *syncBuf {
	t.Helper()
	t.Setenv("LOCAL_JWT_SECRET", "")
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuf{}
	done := make(chan error, 1)
	go func() { done <- Run(ctx, "confabd", args, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return logs
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// get fetches url with client until the server answers (it is starting).
func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil || time.Now().After(deadline) || !strings.Contains(err.Error(), "refused") {
			return resp, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pinned trusts exactly the certificate with fingerprint fp.
func pinned(fp *string) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, //nolint:gosec // checked below
		VerifyConnection: func(cs tls.ConnectionState) error {
			*fp = wire.Fingerprint(cs.PeerCertificates[0].Raw)
			return nil
		},
	}}}
}

func TestHTTPSByDefault(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	logs := serve(t, "--addr", addr, "--data-dir", dir)
	var seen string
	resp, err := get(t, pinned(&seen), "https://"+addr+"/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h wire.Health
	json.NewDecoder(resp.Body).Decode(&h) //nolint:errcheck
	resp.Body.Close()
	if h.Fingerprint == "" || h.Fingerprint != seen || !strings.Contains(logs.String(), h.Fingerprint) {
		t.Fatalf("fingerprint: healthz %q, handshake %q, logs:\n%s", h.Fingerprint, seen, logs)
	}
	// The key is private; the certificate covers localhost and loopback, so a
	// client given it as its CA verifies it by name.
	if st, err := os.Stat(filepath.Join(dir, certs.KeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st.Mode(), err)
	}
	pemBytes, err := os.ReadFile(filepath.Join(dir, certs.CertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pemBytes)
	strict := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		_, port, _ := net.SplitHostPort(addr)
		resp, err := strict.Get("https://" + net.JoinHostPort(host, port) + "/healthz")
		if err != nil {
			t.Fatalf("verified by name %s: %v", host, err)
		}
		resp.Body.Close()
	}
	// Plain HTTP gets nowhere near the handlers: a login over it is refused
	// before any account code runs.
	resp, err = http.Post("http://"+addr+"/register", "application/json", strings.NewReader(`{"username":"alice","password":"password-a"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(logs.String(), "account created") {
		t.Fatalf("plain HTTP on the TLS port: %d\n%s", resp.StatusCode, logs)
	}
}

func TestGeneratedCertificateIsKept(t *testing.T) {
	dir := t.TempDir()
	a, err := certs.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := certs.LoadOrCreate(dir)
	if err != nil || a.Fingerprint != b.Fingerprint || !a.SelfSigned {
		t.Fatalf("second load: %v, %q vs %q", err, a.Fingerprint, b.Fingerprint)
	}
	// The daemon serves that same certificate.
	addr := freeAddr(t)
	serve(t, "--addr", addr, "--data-dir", dir)
	var seen string
	resp, err := get(t, pinned(&seen), "https://"+addr+"/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != a.Fingerprint {
		t.Fatalf("served %q, generated %q", seen, a.Fingerprint)
	}
}

func TestConfiguredCertificate(t *testing.T) {
	// Any PEM pair will do: generate one elsewhere and pass its files.
	other := t.TempDir()
	c, err := certs.LoadOrCreate(other)
	if err != nil {
		t.Fatal(err)
	}
	dir, addr := t.TempDir(), freeAddr(t)
	serve(t, "--addr", addr, "--data-dir", dir,
		"--tls-cert", filepath.Join(other, certs.CertFile), "--tls-key", filepath.Join(other, certs.KeyFile))
	var seen string
	resp, err := get(t, pinned(&seen), "https://"+addr+"/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen != c.Fingerprint {
		t.Fatalf("served %q, configured %q", seen, c.Fingerprint)
	}
	if _, err := os.Stat(filepath.Join(dir, certs.CertFile)); err == nil {
		t.Fatal("a certificate was generated although one was configured")
	}
}

func TestInsecureHTTPOnlyWhenAsked(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	logs := serve(t, "--addr", addr, "--data-dir", dir, "--insecure-http", "--no-signup")
	resp, err := get(t, http.DefaultClient, "http://"+addr+"/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var h wire.Health
	json.NewDecoder(resp.Body).Decode(&h) //nolint:errcheck
	resp.Body.Close()
	if h.Status != "ok" || h.Fingerprint != "" {
		t.Fatalf("healthz %+v", h)
	}
	if !strings.Contains(logs.String(), "plain HTTP") {
		t.Fatalf("no warning about plain HTTP:\n%s", logs)
	}
	if _, err := os.Stat(filepath.Join(dir, certs.CertFile)); err == nil {
		t.Fatal("a certificate was generated for plain HTTP")
	}
}
