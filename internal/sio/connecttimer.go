package sio

import "time"

// Pitfall 17, the timer's half (client): the manager arms a connect timer
// whose cancel races with the open (ClearTimeout does not stop a callback
// already running), so a timer could fire on a live connection: it closes
// the engine on a goroutine of the library and, with the manager
// re-subscribed by the open, reaches the nil-error close panic (pitfall
// 16). The timer cannot be switched off (a nil timeout means the default
// 20 s), so Dial sets it far beyond any dial and keeps time itself: its own
// timeout ends the attempt through Conn's ordinary close.
const libraryConnectTimeout = 100 * 365 * 24 * time.Hour
