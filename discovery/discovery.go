// Package discovery finds Confab hosts on the local network without anyone
// typing an address: a host announces itself with DNS-SD over multicast DNS
// (RFC 6762/6763), and joiners browse for it. The mDNS protocol itself is
// github.com/libp2p/zeroconf's.
package discovery

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/libp2p/zeroconf/v2"

	"confab/wire"
)

// What goes on the wire.
const (
	Service = "_confab._tcp"
	Domain  = "local."

	// TTL is how long other machines may cache the announcement, in seconds.
	// Short, so a host that vanished without saying goodbye leaves lists soon.
	TTL = 120

	// MaxNameBytes is the longest instance name DNS allows (one label), and
	// the longest machine name shown.
	MaxNameBytes = 63

	// MaxHosts bounds a list of hosts found: a flood of announcements costs
	// a joiner this many entries at most.
	MaxHosts = 64
	maxAddrs = 8 // addresses kept per host

	// TXT keys.
	keyVersion     = "v"
	keyHost        = "host"
	keyFingerprint = "fp"
	keyScheme      = "scheme"
)

// Host is one chat found on the network.
type Host struct {
	Name        string // what the host calls its chat
	Machine     string // the host computer's name
	Version     int    // its wire.ProtocolVersion
	Fingerprint string // SHA-256 of its TLS certificate; "" for plain HTTP
	Secure      bool   // HTTPS
	Port        int
	Addrs       []netip.Addr // on this computer's own subnets first, then IPv4 before IPv6
}

// Addr is the address to join by: the likeliest to be reachable from here.
func (h Host) Addr() netip.Addr {
	if len(h.Addrs) == 0 {
		return netip.Addr{}
	}
	return h.Addrs[0]
}

// URL is what a joiner would type to reach the host.
func (h Host) URL() string {
	scheme := "http"
	if h.Secure {
		scheme = "https"
	}
	return scheme + "://" + netip.AddrPortFrom(h.Addr(), uint16(h.Port)).String()
}

// key tells two sightings of one host apart from two hosts. Hosts that
// share a name but not a key are two hosts: both are listed.
func (h Host) key() string {
	return h.Name + "\x00" + h.Machine + "\x00" + strconv.Itoa(h.Port) + "\x00" + h.Fingerprint
}

// Info is what a host announces.
type Info struct {
	Name        string // chat name shown to joiners; default "Confab on <machine>"
	Port        int
	Fingerprint string // "" when serving plain HTTP
	// Interfaces to announce on; nil means every multicast-capable one that is up.
	Interfaces []net.Interface
}

// Announcement is a running announcement; Close says goodbye.
type Announcement struct {
	srv  *zeroconf.Server
	name string
}

// Name is the instance name actually announced (after trimming).
func (a *Announcement) Name() string { return a.name }

// Close withdraws the announcement (a goodbye packet, so lists drop it at once).
func (a *Announcement) Close() { a.srv.Shutdown() }

// Machine is this computer's short host name.
func Machine() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "confab-host"
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// Announce starts answering mDNS queries for this host until Close.
func Announce(info Info) (*Announcement, error) {
	if info.Port <= 0 || info.Port > 65535 {
		return nil, fmt.Errorf("announce: bad port %d", info.Port)
	}
	machine := Machine()
	name := info.Name
	if name == "" {
		name = "Confab on " + machine
	}
	name = cleanName(name)
	txt := []string{
		keyVersion + "=" + strconv.Itoa(wire.ProtocolVersion),
		keyHost + "=" + machine,
		keyScheme + "=http",
	}
	if info.Fingerprint != "" {
		txt[2] = keyScheme + "=https"
		txt = append(txt, keyFingerprint+"="+info.Fingerprint)
	}
	srv, err := zeroconf.Register(name, Service, Domain, info.Port, txt, info.Interfaces, zeroconf.TTL(TTL))
	if err != nil {
		return nil, fmt.Errorf("announce on the local network: %w", err)
	}
	return &Announcement{srv: srv, name: name}, nil
}

// cleanName makes s one valid DNS-SD instance label: no dots (the library
// joins labels with them unescaped), no control characters, at most
// MaxNameBytes bytes, cut on a character boundary.
func cleanName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '.' || r == '\\' {
			return ' '
		}
		return r
	}, s)
	if s = cleanText(s); s == "" {
		s = "Confab"
	}
	return s
}

// cleanText makes an announced text safe to show: no control or format
// characters (escape sequences, carriage returns, bidi overrides that make
// text read backwards), no line or paragraph separators, trimmed, at most
// MaxNameBytes bytes. Anyone on the LAN can announce anything.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > MaxNameBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// fromEntry reads a browse result; ok is false for anything that is not a
// usable Confab host.
func fromEntry(e *zeroconf.ServiceEntry) (Host, bool) {
	h := Host{Name: cleanText(unescape(e.Instance)), Port: e.Port}
	for _, kv := range e.Text {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case keyVersion:
			h.Version, _ = strconv.Atoi(v)
		case keyHost:
			h.Machine = cleanText(v)
		case keyFingerprint:
			h.Fingerprint = wire.NormalizeFingerprint(v)
		case keyScheme:
			h.Secure = v == "https"
		}
	}
	for _, ips := range [][]net.IP{e.AddrIPv4, e.AddrIPv6} {
		for _, ip := range ips {
			a, ok := netip.AddrFromSlice(ip)
			if !ok {
				continue
			}
			a = a.Unmap()
			if a.IsLinkLocalUnicast() && a.Is6() {
				continue // needs a zone we do not know
			}
			if !slices.Contains(h.Addrs, a) {
				h.Addrs = append(h.Addrs, a)
			}
		}
	}
	local := localNets()
	slices.SortStableFunc(h.Addrs, func(a, b netip.Addr) int {
		return cmp.Or(-cmp.Compare(onNets(a, local), onNets(b, local)), cmp.Compare(a.BitLen(), b.BitLen()))
	})
	if len(h.Addrs) > maxAddrs {
		h.Addrs = h.Addrs[:maxAddrs]
	}
	if h.Port <= 0 || h.Port > 65535 || len(h.Addrs) == 0 || h.Version == 0 || h.Name == "" {
		return Host{}, false
	}
	if h.Secure && h.Fingerprint == "" {
		return Host{}, false // nothing to check the certificate against: typing the URL still works
	}
	return h, true
}

// localNets are the subnets this computer is on.
func localNets() []netip.Prefix {
	addrs, _ := net.InterfaceAddrs()
	var out []netip.Prefix
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			ip, _ := netip.AddrFromSlice(ipn.IP)
			ones, _ := ipn.Mask.Size()
			if p, err := ip.Unmap().Prefix(ones); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

func onNets(a netip.Addr, nets []netip.Prefix) int {
	for _, p := range nets {
		if p.Contains(a) {
			return 1
		}
	}
	return 0
}

// unescape undoes DNS presentation escapes (\032 for a space, \. for a dot).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n, err := strconv.Atoi(s[i+1 : i+4]); err == nil && n < 256 {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		i++
		b.WriteByte(s[i])
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
