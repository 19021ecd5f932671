package instance

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the endpoint is a named pipe whose name carries the user's
// SID and whose security descriptor lets only that user open it. The pipe
// is the lock: creating its first instance fails while another process
// has it, and it vanishes with its process, however that ends. A launch
// hands its request over only to a pipe served by a process of its own
// user (another user could create the name first).

type endpoint struct {
	pipe string
	sid  *windows.SID
}

func endpointFor(scope string) (endpoint, error) {
	sid, err := currentUser()
	if err != nil {
		return endpoint{}, err
	}
	return endpoint{pipe: `\\.\pipe\` + scopeName(sid.String()+"\x00"+scope), sid: sid}, nil
}

func currentUser() (*windows.SID, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid.Copy()
}

func (e endpoint) listen() (*Primary, error) {
	ln, err := winio.ListenPipe(e.pipe, &winio.PipeConfig{
		SecurityDescriptor: "D:P(A;;GA;;;" + e.sid.String() + ")", // this user only
		InputBufferSize:    maxRequest,
		OutputBufferSize:   maxReply,
	})
	if err != nil {
		if e.exists() {
			return nil, errTaken
		}
		return nil, err
	}
	return newPrimary(ln, nil, func(net.Conn) error { return nil }), nil // the descriptor keeps others out
}

// exists says whether the pipe is there (creating it failed because
// another process has it, whatever the error says).
func (e endpoint) exists() bool {
	wait := 100 * time.Millisecond
	c, err := winio.DialPipe(e.pipe, &wait)
	if err == nil {
		c.Close()
		return true
	}
	return !errors.Is(err, windows.ERROR_FILE_NOT_FOUND)
}

func (e endpoint) dial(timeout time.Duration) (net.Conn, error) {
	c, err := winio.DialPipe(e.pipe, &timeout)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) { // not this user's pipe: run without it
		return nil, fmt.Errorf("%w: %v", errRefused, err)
	}
	if err != nil {
		return nil, err
	}
	if err := e.servedByUser(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", errRefused, err)
	}
	return c, nil
}

// servedByUser checks that the pipe's server runs as this user.
func (e endpoint) servedByUser(c net.Conn) error {
	fd, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return errors.New("not a pipe")
	}
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(windows.Handle(fd.Fd()), &pid); err != nil {
		return err
	}
	proc, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(proc) //nolint:errcheck
	var tok windows.Token
	if err := windows.OpenProcessToken(proc, windows.TOKEN_QUERY, &tok); err != nil {
		return err
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return err
	}
	if !u.User.Sid.Equals(e.sid) {
		return errors.New("the pipe is served by another user")
	}
	return nil
}
