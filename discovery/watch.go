package discovery

import (
	"cmp"
	"context"
	"net"
	"slices"
	"time"

	"github.com/libp2p/zeroconf/v2"
)

// RoundTime is how long one browse round listens. Each round sends one query
// (about 50 bytes), so a joiner's screen costs the LAN one small packet per
// round; a host that vanished leaves the list within two rounds.
const RoundTime = 3 * time.Second

// publishEvery is how often a round publishes what it found so far.
const publishEvery = 250 * time.Millisecond

// Watch browses until ctx ends and publishes the list of hosts found each
// time it changes; the channel holds only the newest list and is closed
// when ctx ends. A host stays listed while it answered in this round or the
// previous one; the first list comes with the first find, or empty at the
// end of the first round. ifaces nil means every multicast-capable interface.
func Watch(ctx context.Context, ifaces []net.Interface) <-chan []Host {
	out := make(chan []Host, 1)
	go func() {
		defer close(out)
		var sent []Host
		publish := func(l []Host) {
			// The first list goes out even when empty: "nothing found" differs from "not looked yet".
			if slices.EqualFunc(l, sent, sameHost) && (l == nil) == (sent == nil) {
				return
			}
			sent = l
			select { // keep only the newest
			case <-out:
			default:
			}
			out <- l
		}
		var prev map[string]Host
		for ctx.Err() == nil {
			cur := map[string]Host{}
			var published time.Time
			ok := browse(ctx, ifaces, func(h Host) {
				if !add(cur, h) {
					return
				}
				// The first find goes out at once; a burst of announcements
				// is sorted and published once per publishEvery, not per packet.
				if time.Since(published) >= publishEvery {
					publish(merge(cur, prev))
					published = time.Now()
				}
			})
			if ctx.Err() != nil {
				return
			}
			publish(merge(cur, prev))
			prev = cur
			if !ok { // no usable interface (offline): try again later
				select {
				case <-ctx.Done():
				case <-time.After(RoundTime):
				}
			}
		}
	}()
	return out
}

// browse runs one round; false means it could not listen at all.
func browse(ctx context.Context, ifaces []net.Interface, found func(Host)) bool {
	rctx, cancel := context.WithTimeout(ctx, RoundTime)
	defer cancel()
	entries := make(chan *zeroconf.ServiceEntry)
	errc := make(chan error, 1)
	go func() { errc <- zeroconf.Browse(rctx, Service, Domain, entries, zeroconf.SelectIfaces(ifaces)) }()
	for {
		select {
		case e, open := <-entries:
			if !open {
				return true
			}
			if h, ok := fromEntry(e); ok {
				found(h)
			}
		case err := <-errc:
			if err != nil {
				// Browse failed before it started: entries is never closed.
				return false
			}
			errc = nil // it closed entries too; drain them above
		}
	}
}

// add records a sighting in a round's hosts, unless the round is full.
func add(round map[string]Host, h Host) bool {
	if _, seen := round[h.key()]; !seen && len(round) >= MaxHosts {
		return false
	}
	round[h.key()] = h
	return true
}

// merge lists the hosts of both rounds, sorted by name, at most MaxHosts:
// this round's first.
func merge(cur, prev map[string]Host) []Host {
	l := make([]Host, 0, len(cur)+len(prev))
	for _, h := range cur {
		l = append(l, h)
	}
	for k, h := range prev {
		if _, ok := cur[k]; !ok && len(l) < MaxHosts {
			l = append(l, h)
		}
	}
	slices.SortFunc(l, func(a, b Host) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Machine, b.Machine), cmp.Compare(a.Port, b.Port),
			cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	return l
}

func sameHost(a, b Host) bool {
	return a.key() == b.key() && a.Fingerprint == b.Fingerprint && a.Secure == b.Secure &&
		a.Version == b.Version && slices.Equal(a.Addrs, b.Addrs)
}
