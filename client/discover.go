package client

import (
	"context"

	"confab/discovery"
)

// Host is a chat found on the local network.
type Host = discovery.Host

// DiscoverRound is how often Discover's list is brought up to date.
const DiscoverRound = discovery.RoundTime

// Discover lists the chats announced on the local network until ctx ends:
// each value is the whole current list. Join one with Login(ctx, h.URL(),
// ..., WithFingerprint(h.Fingerprint)): an existing pin still wins over what
// an announcement says, since anyone on the LAN can announce anything.
func Discover(ctx context.Context) <-chan []Host { return discovery.Watch(ctx, nil) }
