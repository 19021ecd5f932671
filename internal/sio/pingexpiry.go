package sio

import (
	"encoding/json"
	"errors"
	"time"
)

// Pitfall 27 (client): Socket.Emit asks the engine whether its ping
// deadline has passed (HasPingExpired), and when it has, the engine stores
// an int into an atomic.Value that holds a float64: "store of inconsistently
// typed value into Value", a panic in the caller. It happens whenever an
// emit falls between a missed ping's deadline and the timer that closes the
// connection: a server that stops pinging crashed a client that emitted in
// a loop within 2-4 connections. A server can also make it certain with a
// negative pingInterval (the timer's delay overflows to 292 years while the
// deadline is already past).
//
// Conn.emit recovers it as the end of the connection (a ping timeout is what
// it is), and the open packet's ping settings must be sensible or the
// connection is refused as a protocol error.

// maxPingWait bounds pingInterval and pingTimeout a server may announce.
const maxPingWait = 10 * time.Minute

// checkOpen reads the open packet's handshake.
func checkOpen(data []byte) error {
	var h struct {
		PingInterval *float64 `json:"pingInterval"`
		PingTimeout  *float64 `json:"pingTimeout"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return err
	}
	for _, v := range []*float64{h.PingInterval, h.PingTimeout} {
		if v == nil || *v <= 0 || *v > float64(maxPingWait/time.Millisecond) {
			return errors.New("open packet with unusable ping settings")
		}
	}
	return nil
}
