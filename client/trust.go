package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"confab/wire"
)

// A Confab host usually serves a self-signed certificate. The client accepts
// a certificate the system trusts; otherwise it compares the certificate's
// fingerprint with the one pinned for that server. With no pin yet it
// refuses with ErrCertUnknown, carrying the fingerprint, so the user can
// compare it with the one the host shows and accept it (PinStore.SetPin);
// a later different certificate is refused with ErrCertChanged showing both.

var (
	ErrCertUnknown = errors.New("this server's certificate is not yet trusted")
	ErrCertChanged = errors.New("this server's certificate has changed since you last connected")
	ErrPlainHTTP   = errors.New("this server does not use a secure connection")
)

// CertError details ErrCertUnknown and ErrCertChanged.
type CertError struct {
	Server      string // the pin's key: host:port
	Fingerprint string // the certificate the server presents
	Pinned      string // the fingerprint pinned before (ErrCertChanged)
}

func (e *CertError) Error() string {
	if e.Pinned != "" {
		return fmt.Sprintf("%v: pinned %s, now %s", ErrCertChanged, e.Pinned, e.Fingerprint)
	}
	return fmt.Sprintf("%v: fingerprint %s", ErrCertUnknown, e.Fingerprint)
}

// PinStore keeps one pinned certificate fingerprint per server (host:port).
// Implementations must be safe for concurrent use.
type PinStore interface {
	Pin(server string) string // "" when none
	SetPin(server, fingerprint string) error
}

// Option adjusts Login and Register.
type Option func(*options)

type options struct {
	pins     PinStore
	expected string         // a fingerprint learnt elsewhere (discovery) for a first connection
	roots    *x509.CertPool // nil: the system's
}

// WithPins pins self-signed certificates in store.
func WithPins(store PinStore) Option { return func(o *options) { o.pins = store } }

// WithFingerprint accepts, on first use, a certificate with this fingerprint
// (from LAN discovery or typed by the user), and pins it if a store is set.
func WithFingerprint(fp string) Option {
	return func(o *options) { o.expected = NormalizeFingerprint(fp) }
}

// WithRoots replaces the system's certificate authorities (tests, private CAs).
func WithRoots(pool *x509.CertPool) Option { return func(o *options) { o.roots = pool } }

// NormalizeFingerprint accepts hex with or without colons or spaces, any case.
func NormalizeFingerprint(fp string) string {
	var hex []byte
	for _, c := range strings.ToUpper(fp) {
		if (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') {
			hex = append(hex, byte(c))
		}
	}
	var b strings.Builder
	for i := 0; i+1 < len(hex); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.Write(hex[i : i+2])
	}
	return b.String()
}

// ServerKey is the key a server's pin is kept under: its host:port.
func ServerKey(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return baseURL
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return host + ":" + port
}

// tlsConfig verifies the server by the system (or o.roots), else by pin.
// On success with a new pin it records it.
func (o *options) tlsConfig(server string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection, by CA or by pin
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			leaf := cs.PeerCertificates[0]
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: cs.ServerName, Roots: o.roots, Intermediates: inter}); err == nil {
				return nil
			}
			fp := wire.Fingerprint(leaf.Raw)
			pinned := ""
			if o.pins != nil {
				pinned = o.pins.Pin(server)
			}
			switch {
			case pinned == fp:
				return nil
			case pinned != "":
				return &CertError{Server: server, Fingerprint: fp, Pinned: pinned}
			case o.expected == fp:
				if o.pins != nil {
					return o.pins.SetPin(server, fp)
				}
				return nil
			}
			return &CertError{Server: server, Fingerprint: fp}
		},
	}
}

// FilePins is a PinStore kept in a JSON file (0600).
type FilePins struct {
	path string
	mu   sync.Mutex
}

// NewFilePins keeps pins in path; the file is created on the first pin.
func NewFilePins(path string) *FilePins { return &FilePins{path: path} }

func (f *FilePins) load() map[string]string {
	m := map[string]string{}
	if data, err := os.ReadFile(f.path); err == nil {
		json.Unmarshal(data, &m) //nolint:errcheck // a damaged file pins nothing
	}
	return m
}

func (f *FilePins) Pin(server string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load()[server]
}

func (f *FilePins) SetPin(server, fingerprint string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.load()
	m[server] = NormalizeFingerprint(fingerprint)
	data, _ := json.MarshalIndent(m, "", "  ")
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}
