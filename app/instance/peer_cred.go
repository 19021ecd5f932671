//go:build linux || darwin

package instance

import (
	"fmt"
	"net"
	"os"
)

// samePeer refuses a connection from another user (root included), which
// the directory's permissions already keep out: a second guard. The peer's
// user comes from the platform's peerUID (peer_linux.go, peer_darwin.go).
func samePeer(c net.Conn) error {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("not a Unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var uid uint32
	cerr := raw.Control(func(fd uintptr) { uid, err = peerUID(int(fd)) })
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	if int(uid) != os.Getuid() {
		return fmt.Errorf("peer is user %d", uid)
	}
	return nil
}
