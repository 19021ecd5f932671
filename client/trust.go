package client

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"confab/wire"
)

// Trust belongs to a chat's key: the SHA-256 fingerprint of its
// certificate. The client remembers the key it trusted at each address
// (PinStore); at an address with a pin, the pin alone decides, whatever the
// system's certificate authorities say. A key trusted at one address is
// trusted at another (a host whose address changed). A key given out of
// band (an invitation, --fingerprint, the app's own hosted server) must be
// the one the server presents, or the sign-in is refused. With no pin and
// no key given, a certificate the system trusts for that very host name or
// address is accepted; any other is ErrCertUnknown, carrying the key for
// the person to compare (its safety code) and accept (PinStore.SetPin).
// Nothing secret is sent before this check.

var (
	ErrCertUnknown  = errors.New("this server's key is not trusted yet")
	ErrCertChanged  = errors.New("this server's key is not the one you trusted before")
	ErrCertMismatch = errors.New("this server's key is not the one you were given")
	ErrPlainHTTP    = errors.New("this server does not use a secure connection")
	ErrInsecure     = errors.New("this chat is not encrypted: your password and messages would cross the network readable")
	ErrDowngrade    = errors.New("this chat was trusted over a secure connection and now offers none")
)

// CertError details ErrCertUnknown, ErrCertChanged and ErrCertMismatch.
type CertError struct {
	Server      string // the pin's key: host:port
	Fingerprint string // the key the server presents
	Pinned      string // the key trusted there before (ErrCertChanged)
	Expected    string // the key given (ErrCertMismatch)
}

// Kind is ErrCertUnknown, ErrCertChanged or ErrCertMismatch.
func (e *CertError) Kind() error {
	switch {
	case e.Expected != "":
		return ErrCertMismatch
	case e.Pinned != "":
		return ErrCertChanged
	}
	return ErrCertUnknown
}

// SafetyCode is the presented key as people compare it.
func (e *CertError) SafetyCode() string { return wire.SafetyCode(e.Fingerprint) }

func (e *CertError) Error() string { return fmt.Sprintf("%v: %s", e.Kind(), e.detail()) }

func (e *CertError) detail() string {
	switch {
	case e.Expected != "":
		return fmt.Sprintf("expected safety code %s, the server's is %s", wire.SafetyCode(e.Expected), e.SafetyCode())
	case e.Pinned != "":
		return fmt.Sprintf("trusted safety code %s, the server's is now %s", wire.SafetyCode(e.Pinned), e.SafetyCode())
	}
	return "safety code " + e.SafetyCode()
}

// PinStore keeps the key trusted at each server address (host:port), and
// the names of chats trusted from the LAN list. Implementations must be
// safe for concurrent use.
type PinStore interface {
	Pin(server string) string // "" when none
	SetPin(server, fingerprint string) error
	Pins() map[string]string // server -> key, a copy
	// Named is the name a chat was trusted under from the LAN list, by key.
	Named(fingerprint string) string
	SetNamed(fingerprint, name string) error
}

// trustedKey reports whether fp is trusted at any address.
func trustedKey(s PinStore, fp string) bool {
	for _, p := range s.Pins() {
		if p == fp {
			return true
		}
	}
	return false
}

// Option adjusts Login and Register.
type Option func(*options)

type options struct {
	invite     string // an invite code for Register (admin.go)
	pins       PinStore
	expected   string         // a key given out of band: the server must present it
	roots      *x509.CertPool // nil: the system's
	allowPlain bool           // plain HTTP accepted (the person was asked)
}

// WithPins keeps trusted keys in store.
func WithPins(store PinStore) Option { return func(o *options) { o.pins = store } }

// WithFingerprint is a key given out of band (an invitation, what the host
// read out, our own hosted server): the server must present it, or the
// sign-in fails with ErrCertMismatch. It is pinned if a store is set.
func WithFingerprint(fp string) Option {
	return func(o *options) { o.expected = NormalizeFingerprint(fp) }
}

// WithRoots replaces the system's certificate authorities (tests, private CAs).
func WithRoots(pool *x509.CertPool) Option { return func(o *options) { o.roots = pool } }

// AllowPlainHTTP lets a sign-in cross the network unencrypted, once the
// person has been told (ErrInsecure). A server trusted over HTTPS before is
// still refused (ErrDowngrade).
func AllowPlainHTTP() Option { return func(o *options) { o.allowPlain = true } }

// NormalizeFingerprint accepts hex with or without colons or spaces, any
// case; "" if it is not a SHA-256 fingerprint.
func NormalizeFingerprint(fp string) string { return wire.NormalizeFingerprint(fp) }

// SafetyCode is a key as people compare it (see wire.SafetyCode).
func SafetyCode(fp string) string { return wire.SafetyCode(fp) }

// ServerKey is the key a server's pin is kept under: its host:port.
func ServerKey(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return baseURL
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "http":
		port = "80"
	default:
		port = "443"
	}
	return net.JoinHostPort(host, port)
}

// checkPlain refuses plain HTTP to a chat trusted over HTTPS, and asks
// first for any other, unless it is on this computer (loopback traffic
// never crosses a network).
func (o *options) checkPlain(server string) error {
	if o.pins != nil && o.pins.Pin(server) != "" {
		return &Error{Kind: ErrDowngrade, Detail: "type https:// or nothing before the address"}
	}
	host, _, _ := net.SplitHostPort(server)
	ip := net.ParseIP(host)
	if !o.allowPlain && host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return &Error{Kind: ErrInsecure}
	}
	return nil
}

// tlsConfig verifies the server by key (see above), else by the system's
// authorities for server's host. A key given or trusted elsewhere is pinned.
func (o *options) tlsConfig(server string) *tls.Config {
	host, _, _ := net.SplitHostPort(server)
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection, by key or by authority
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			return o.verify(server, host, cs.PeerCertificates)
		},
	}
}

func (o *options) verify(server, host string, chain []*x509.Certificate) error {
	fp := wire.Fingerprint(chain[0].Raw)
	pinned := ""
	if o.pins != nil {
		pinned = o.pins.Pin(server)
	}
	switch {
	case o.expected != "" && fp != o.expected:
		return &CertError{Server: server, Fingerprint: fp, Expected: o.expected}
	case pinned != "":
		if fp != pinned {
			return &CertError{Server: server, Fingerprint: fp, Pinned: pinned}
		}
		return nil
	case o.expected != "", o.pins != nil && trustedKey(o.pins, fp):
		if o.pins != nil {
			return o.pins.SetPin(server, fp)
		}
		return nil
	case byAuthority(chain, host, o.roots):
		return nil
	}
	return &CertError{Server: server, Fingerprint: fp}
}

// byAuthority verifies the chain for host (a name or an address: never
// empty, or any certificate of a public authority would pass).
func byAuthority(chain []*x509.Certificate, host string, roots *x509.CertPool) bool {
	if host == "" {
		return false
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	return err == nil
}

// FilePins is a PinStore kept in a JSON file (0600).
type FilePins struct {
	path string
	mu   sync.Mutex
}

// NewFilePins keeps pins in path; the file is created on the first pin.
func NewFilePins(path string) *FilePins { return &FilePins{path: path} }

// pinFile is the file's content. Files written before names were kept
// hold the pins map alone.
type pinFile struct {
	Pins  map[string]string `json:"pins"`
	Names map[string]string `json:"names,omitempty"`
}

func (f *FilePins) load() pinFile {
	pf := pinFile{Pins: map[string]string{}, Names: map[string]string{}}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return pf
	}
	if json.Unmarshal(data, &pf) != nil || pf.Pins == nil {
		old := map[string]string{}
		json.Unmarshal(data, &old) //nolint:errcheck // a damaged file pins nothing
		pf = pinFile{Pins: old, Names: map[string]string{}}
	}
	if pf.Names == nil {
		pf.Names = map[string]string{}
	}
	return pf
}

func (f *FilePins) save(pf pinFile) error {
	data, _ := json.MarshalIndent(pf, "", "  ")
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

func (f *FilePins) Pin(server string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load().Pins[server]
}

func (f *FilePins) SetPin(server, fingerprint string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pf := f.load()
	pf.Pins[server] = NormalizeFingerprint(fingerprint)
	return f.save(pf)
}

func (f *FilePins) Pins() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load().Pins
}

func (f *FilePins) Named(fingerprint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.load().Names[fingerprint]
}

func (f *FilePins) SetNamed(fingerprint, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	pf := f.load()
	pf.Names[NormalizeFingerprint(fingerprint)] = name
	return f.save(pf)
}
