package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"confab/internal/need"
)

// The configuration HAProxy is given is one it accepts, over plain HTTP
// and with TLS ending at HAProxy (the way docs/loadbalancer.md runs it).
func TestHAProxyAcceptsTheConfig(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/haproxy"); err != nil {
			need.Tool(t, "needs HAProxy (apt-get install haproxy; make test installs it)")
		}
	}
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "confab.pem")
	writeSelfSigned(t, pemFile)
	nodes := []Node{{"n1", "10.0.0.11:7878"}, {"n2", "10.0.0.12:7878"}, {"web-3", "10.0.0.13:7878"}}
	for name, h := range map[string]HAProxy{
		"plain": {Bind: "127.0.0.1:7900", StatsSocket: filepath.Join(dir, "s.sock"), Nodes: nodes},
		"tls":   {Bind: ":443", Cert: pemFile, Nodes: nodes},
	} {
		text, err := HAProxyConfig(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			if !strings.Contains(text, "use-server "+n.ID+" if { url_param(sid) -m beg "+n.ID+". }") {
				t.Errorf("%s: no route for %s's sessions:\n%s", name, n.ID, text)
			}
		}
		cfg := filepath.Join(dir, name+".cfg")
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "-c", "-f", cfg).CombinedOutput(); err != nil || strings.Contains(string(out), "WARNING") {
			t.Errorf("%s: haproxy -c: %v\n%s\n%s", name, err, out, text)
		}
	}
}

// Node ids that HAProxy could not match against session ids are refused.
func TestNodeIDsMustMatchTheirSessionIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "host:7878", "a.b", "n 1"} {
		if _, err := HAProxyConfig(HAProxy{Bind: ":80", Nodes: []Node{{id, "10.0.0.1:7878"}}}); err == nil {
			t.Errorf("node id %q accepted", id)
		}
	}
	if _, err := HAProxyConfig(HAProxy{Bind: ":80"}); err == nil {
		t.Error("a configuration without nodes was accepted")
	}
}

func writeSelfSigned(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chat.example"},
		DNSNames: []string{"chat.example"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
