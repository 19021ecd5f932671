package client

import "confab/wire"

// MentionEvent is a new message that names us ("@name") in a room we have
// not joined (in a joined room it comes as a MessageEvent).
type MentionEvent struct{ Message wire.Message }
