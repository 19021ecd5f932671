// Package certs gives the server its TLS certificate: a configured one, or a
// self-signed ECDSA P-256 certificate generated once and kept in the data
// directory, so that its fingerprint, which joiners pin, stays the same.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"confab/wire"
)

// File names in the data directory, and the generated certificate's lifetime.
const (
	CertFile = "tls-cert.pem"
	KeyFile  = "tls-key.pem"
	Validity = 10 * 365 * 24 * time.Hour // pinned, not CA-checked: long-lived on purpose
)

// Cert is a loaded certificate and what the server shows of it.
type Cert struct {
	TLS         tls.Certificate
	Fingerprint string // wire.Fingerprint of the leaf
	SelfSigned  bool
}

// Config returns a server TLS configuration serving c. Records are full
// size from the first byte: a coalesced burst of websocket frames
// (internal/sio/coalesce.go) is one record per 16 KiB, where Go's default
// starts each connection with records of one TCP segment.
func (c *Cert) Config() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}, MinVersion: tls.VersionTLS12, DynamicRecordSizingDisabled: true}
}

// Load reads a configured certificate chain and key (PEM files).
func Load(certFile, keyFile string) (*Cert, error) {
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return finish(kp)
}

// LoadOrCreate loads the generated certificate from dir, creating it on
// first use for the host name, every address of this machine and localhost.
func LoadOrCreate(dir string) (*Cert, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if _, err := os.Stat(certPath); err == nil {
		c, err := Load(certPath, keyPath)
		if err != nil {
			return nil, err
		}
		c.SelfSigned = true
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := generate(names())
	if err != nil {
		return nil, err
	}
	// The key first, exclusively: two processes starting at once must not
	// end up with a certificate and a key that do not match.
	if err := writeExcl(keyPath, keyPEM, 0o600); err != nil {
		if errors.Is(err, os.ErrExist) {
			return retryLoad(certPath, keyPath)
		}
		return nil, err
	}
	if err := writeExcl(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	c, err := Load(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	c.SelfSigned = true
	return c, nil
}

// retryLoad waits briefly for another process that is writing the pair.
func retryLoad(certPath, keyPath string) (*Cert, error) {
	var err error
	for i := 0; i < 50; i++ {
		var c *Cert
		if c, err = Load(certPath, keyPath); err == nil {
			c.SelfSigned = true
			return c, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

func writeExcl(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

func finish(kp tls.Certificate) (*Cert, error) {
	if len(kp.Certificate) == 0 {
		return nil, errors.New("TLS certificate: no certificate in the file")
	}
	leaf, err := x509.ParseCertificate(kp.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	kp.Leaf = leaf
	return &Cert{TLS: kp, Fingerprint: wire.Fingerprint(leaf.Raw)}, nil
}

// names are the DNS names and addresses the generated certificate covers.
type nameSet struct {
	dns []string
	ips []net.IP
}

func names() nameSet {
	n := nameSet{dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		n.dns = append(n.dns, h, h+".local")
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				n.ips = append(n.ips, ipn.IP)
			}
		}
	}
	return n
}

func generate(n nameSet) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	host := "confab"
	if len(n.dns) > 1 {
		host = n.dns[1]
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"Confab chat host"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that clients (Node, browsers) can take it as their own CA
		DNSNames:              n.dns,
		IPAddresses:           n.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
