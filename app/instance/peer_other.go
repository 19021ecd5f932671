//go:build unix && !linux && !darwin

package instance

import "net"

// samePeer: the socket's private directory keeps other users out.
func samePeer(net.Conn) error { return nil }
