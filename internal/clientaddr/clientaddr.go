// Package clientaddr answers "which address is this client?" for every
// per-address limit and log line. Behind a load balancer every connection
// comes from the balancer, so the client's own address is read from the
// X-Forwarded-For header, but only when the peer is a proxy the operator
// trusts: any client can send that header, so from anyone else it is
// ignored (the hostile-input rule).
package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Header is the header a trusted proxy appends the client's address to
// (HAProxy's `option forwardfor`).
const Header = "X-Forwarded-For"

// maxHops bounds the entries read from the header: past them it is garbage.
const maxHops = 64

// Proxies are the trusted ranges; the zero value trusts nobody.
type Proxies struct {
	nets []netip.Prefix
}

// Parse reads CIDRs ("10.0.0.0/8", "::1/128"); a bare address is its own
// range.
func Parse(cidrs []string) (Proxies, error) {
	var p Proxies
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, "/") {
			a, err := netip.ParseAddr(c)
			if err != nil {
				return Proxies{}, fmt.Errorf("trusted proxy %q is not an address or a CIDR range", c)
			}
			a = a.Unmap()
			p.nets = append(p.nets, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		n, err := netip.ParsePrefix(c)
		if err != nil {
			return Proxies{}, fmt.Errorf("trusted proxy %q is not a CIDR range", c)
		}
		if n.Addr().Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(n.Addr().Unmap(), n.Bits()-96)
		}
		p.nets = append(p.nets, n.Masked())
	}
	return p, nil
}

// Any reports whether some proxy is trusted.
func (p Proxies) Any() bool { return len(p.nets) > 0 }

// Trusts reports whether the address (an IP, without port) is a trusted
// proxy.
func (p Proxies) Trusts(ip string) bool {
	a, err := netip.ParseAddr(ip)
	return err == nil && p.trusts(a)
}

func (p Proxies) trusts(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Of is the address of the client that sent r.
func (p Proxies) Of(r *http.Request) string {
	return p.Resolve(r.RemoteAddr, r.Header.Values(Header))
}

// Resolve is the client's address given the peer's (host:port, as in
// http.Request.RemoteAddr) and the X-Forwarded-For header lines in order.
// Only when the peer is trusted is the header read: from its right (the
// entry the nearest proxy appended), trusted proxies are skipped and the
// first address that is not one is the client. A header that cannot be
// read, or is absent, leaves the peer's address.
func (p Proxies) Resolve(remoteAddr string, forwarded []string) string {
	peer := Host(remoteAddr)
	if !p.Any() || len(forwarded) == 0 {
		return peer
	}
	pa, err := netip.ParseAddr(peer)
	if err != nil || !p.trusts(pa) {
		return peer
	}
	hops := splitHops(forwarded)
	if hops == nil {
		return peer
	}
	client := ""
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return peer // a proxy we trust wrote garbage: believe none of it
		}
		client = a.String()
		if !p.trusts(a) {
			return client
		}
	}
	return client // every hop is a trusted proxy: the farthest one asked
}

// Host is the host part of a host:port address, or the whole of it when it
// has no port.
func Host(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// splitHops is the header lines' comma-separated entries in order, or nil
// when there are none or too many.
func splitHops(lines []string) []string {
	var hops []string
	for _, l := range lines {
		for _, h := range strings.Split(l, ",") {
			hops = append(hops, strings.TrimSpace(h))
			if len(hops) > maxHops {
				return nil
			}
		}
	}
	return hops
}

// parseHop reads one entry: an IP, or (as some proxies write it) an
// IP:port or [IPv6]:port.
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	return netip.Addr{}, false
}
