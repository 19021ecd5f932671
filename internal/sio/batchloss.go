package sio

import (
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// Pitfall 1 (server): a websocket write batch stops after the first
// pre-encoded (broadcast) frame (transports/websocket.go:146-170 returns
// instead of continuing): every packet queued behind it is lost. The branch
// runs only without per-message deflate, so deflate is configured; frames
// under the threshold stay uncompressed.

// DeflateThreshold is the smallest frame the server compresses.
const DeflateThreshold = 1024

func avoidBatchLoss(opts socket.ServerOptionsInterface, off bool) {
	if !off {
		opts.SetPerMessageDeflate(&types.PerMessageDeflate{Threshold: DeflateThreshold})
	}
}
