package sio

import (
	"time"

	"github.com/zishang520/engine.io-client-go/engine"
)

// Pitfall 22 (client): the engine's Close, with packets in its write
// buffer, waits for a "drain" event before closing its transport. When the
// buffer drains between that check and the listener's registration (a send
// right before the close, under load), the drain is missed and the engine
// stays "closing" for good: its transport, read loop and ping timer, and
// the server's side of the connection, all stay.
//
// finishEngineClose gives a closing engine closeGrace to finish by itself
// (the last write going out), then emits the drain it waits for. What was
// unsent was never acknowledged; Confab's outbox sends it again.

// closeGrace is how long a closing engine may take to send what it holds.
const closeGrace = 250 * time.Millisecond

func finishEngineClose(e engine.Socket) {
	if e == nil {
		return
	}
	deadline := time.Now().Add(closeGrace)
	for e.ReadyState() == engine.SocketStateClosing && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if e.ReadyState() == engine.SocketStateClosing {
		e.Emit("drain")
	}
}
