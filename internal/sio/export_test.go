package sio

import "github.com/zishang520/engine.io/v2/transports"

// WithoutBatchLossFix turns off the pitfall 1 workaround (batchloss.go), so
// the canary can show the library still loses frames without it.
func WithoutBatchLossFix(o *Options) { o.noBatchLossFix = true }

// WithLibraryWebSocket puts the library's own websocket transport back
// (closeframe.go) until undo is called; no other server may run meanwhile.
func WithLibraryWebSocket() (undo func()) {
	transports.Transports()[transports.WEBSOCKET] = &transports.WebSocketBuilder{}
	return func() { transports.Transports()[transports.WEBSOCKET] = &closingWebSocket{} }
}
