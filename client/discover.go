package client

import (
	"cmp"
	"context"
	"slices"

	"confab/discovery"
)

// Host is a chat announced on the local network.
type Host = discovery.Host

// DiscoverRound is how often Discover's list is brought up to date.
const DiscoverRound = discovery.RoundTime

// Discover lists the chats announced on the local network until ctx ends:
// each value is the whole current list. Announcements are hints: anyone on
// the LAN can announce anything, so see Annotate before showing them, and
// join one as if its address had been typed (an announced key is never
// trusted for being announced).
func Discover(ctx context.Context) <-chan []Host { return discovery.Watch(ctx, nil) }

// Found is an announced chat as this computer sees it.
type Found struct {
	Host
	Trusted  bool // its key is trusted here: joining it asks nothing
	Conflict bool // another chat on the list has its name and another key
	Impostor bool // a chat of this name was trusted here under another key
}

// Annotate tells, for each host, what this computer knows of its key; the
// trusted come first. Plain-HTTP hosts are left out unless insecure.
func Annotate(hosts []Host, store PinStore, insecure bool) []Found {
	keys := map[string]map[string]bool{} // name -> keys announced under it
	for _, h := range hosts {
		if keys[h.Name] == nil {
			keys[h.Name] = map[string]bool{}
		}
		keys[h.Name][h.Fingerprint] = true
	}
	trusted, namedAs := map[string]bool{}, map[string]string{}
	if store != nil {
		for _, fp := range store.Pins() {
			trusted[fp] = true
			if n := store.Named(fp); n != "" {
				namedAs[n] = fp
			}
		}
	}
	var out []Found
	for _, h := range hosts {
		if !h.Secure && !insecure {
			continue
		}
		f := Found{Host: h, Conflict: len(keys[h.Name]) > 1}
		f.Trusted = h.Secure && trusted[h.Fingerprint]
		if fp, ok := namedAs[h.Name]; ok && fp != h.Fingerprint {
			f.Impostor = true
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b Found) int { return -cmp.Compare(b2i(a.Trusted), b2i(b.Trusted)) })
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
