// Package instance keeps Confab to one running app per user and storage
// root. The first launch becomes the primary and listens on a local
// endpoint (a Unix socket, a named pipe on Windows); a later launch hands
// it its request (show the window, or open an invitation link) and exits.
//
// The endpoint is a local input that any process of the user can write
// to: a request is one short line, read within a deadline, and only
// "show" or an invitation link that wire.ParseInvitation accepts is taken.
package instance

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"confab/internal/loglimit"
	"confab/wire"
)

const (
	// maxRequest bounds one request line, its newline included.
	maxRequest = 4096
	// ioTimeout bounds one exchange: a peer that sends nothing is dropped.
	ioTimeout = 2 * time.Second
	// retryEvery is the pause between two tries within claimTimeout.
	retryEvery = 50 * time.Millisecond

	showLine  = "show"
	openVerb  = "open "
	okReply   = "ok"
	noReply   = "refused"
	maxReply  = 16
	namespace = "confab-"
)

// claimTimeout is how long a launch waits for an instance that holds the
// lock to answer (it may be starting, or shutting down); tests shorten it.
var claimTimeout = 10 * time.Second

// ErrNoAnswer says that another instance holds the lock but did not take
// the request in time.
var ErrNoAnswer = errors.New("Confab is already running but does not answer; quit it and start it again")

// errTaken says that another process holds the endpoint.
var errTaken = errors.New("taken")

// errRefused says that the running instance refused the request.
var errRefused = errors.New("the running Confab refused the request")

// Request is what a launch asks of the running instance: bring its window
// forward and, when Invitation is set, show the join screen with it.
type Request struct {
	Invitation *wire.Invitation
}

// ErrTooLong says that an invitation link is too long to hand over.
var ErrTooLong = errors.New("the invitation link is too long")

// line is the request as sent, without its newline. A chat's name is for
// display only: it is left out when the line would be too long.
func (r Request) line() string {
	if r.Invitation == nil {
		return showLine
	}
	l := openVerb + r.Invitation.String()
	if len(l) >= maxRequest {
		inv := *r.Invitation
		inv.Name = ""
		l = openVerb + inv.String()
	}
	return l
}

// Check says whether r can be handed over (ErrTooLong if not).
func (r Request) Check() error {
	if len(r.line()) >= maxRequest {
		return ErrTooLong
	}
	return nil
}

// parseRequest reads one request line (without its newline). Only "show"
// and "open" with a whole invitation link are requests.
func parseRequest(line string) (Request, error) {
	if line == showLine {
		return Request{}, nil
	}
	link, ok := strings.CutPrefix(line, openVerb)
	// A link as a browser or a desktop hands it over is URL-encoded: no
	// spaces, no control characters.
	if !ok || !utf8.ValidString(link) || strings.ContainsFunc(link, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return Request{}, errRefused
	}
	inv, err := wire.ParseInvitation(link)
	if err != nil {
		return Request{}, err
	}
	return Request{Invitation: &inv}, nil
}

// scopeName names the endpoint of one scope (a storage root, with the
// user where the namespace is shared): short and free of path characters.
func scopeName(scope string) string {
	sum := sha256.Sum256([]byte(scope))
	return namespace + hex.EncodeToString(sum[:8])
}

// Primary is this process as the running instance. A nil *Primary (the
// endpoint could not be set up) does nothing.
type Primary struct {
	ln    net.Listener
	lock  io.Closer // held while the process runs; nil where the endpoint is the lock
	once  sync.Once
	log   *loglimit.Logger
	check func(net.Conn) error // the peer is this user
}

// Claim makes this process the running instance for scope, or hands req
// to the one that runs. handed reports the hand-over; then the process
// should exit. An error other than ErrNoAnswer means the endpoint could
// not be used at all: the app can run without it.
func Claim(scope string, req Request) (p *Primary, handed bool, err error) {
	e, err := endpointFor(scope)
	if err != nil {
		return nil, false, err
	}
	deadline := time.Now().Add(claimTimeout)
	for {
		p, err := e.listen()
		if err == nil {
			return p, false, nil
		}
		if !errors.Is(err, errTaken) {
			return nil, false, err
		}
		err = send(e, req)
		switch {
		case err == nil:
			return nil, true, nil
		case errors.Is(err, errRefused):
			return nil, false, err
		case time.Now().After(deadline):
			return nil, false, ErrNoAnswer
		}
		time.Sleep(retryEvery) // starting or stopping: try both again
	}
}

// send hands req to the running instance and waits for its answer.
func send(e endpoint, req Request) error {
	c, err := e.dial(ioTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout)) //nolint:errcheck // a conn without deadlines times out never: Claim's deadline still holds
	if _, err := io.WriteString(c, req.line()+"\n"); err != nil {
		return err
	}
	reply, err := readLine(c, maxReply)
	if err != nil {
		return err
	}
	if reply != okReply {
		return errRefused
	}
	return nil
}

// readLine reads one line of at most limit bytes, its newline included.
func readLine(r io.Reader, limit int) (string, error) {
	s, err := bufio.NewReaderSize(io.LimitReader(r, int64(limit)), 64).ReadString('\n')
	if err != nil {
		return "", err // too long, cut short or timed out
	}
	return strings.TrimSuffix(s, "\n"), nil
}

func newPrimary(ln net.Listener, lock io.Closer, check func(net.Conn) error) *Primary {
	return &Primary{ln: ln, lock: lock, check: check, log: loglimit.New(slog.Default(), 0)}
}

// Serve takes requests from later launches until Close, one at a time,
// and calls handle with each valid one (on a goroutine of its own:
// handle hands work to the UI thread).
func (p *Primary) Serve(handle func(Request)) {
	if p == nil {
		return
	}
	go func() {
		for {
			c, err := p.ln.Accept()
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				p.log.Warn("another launch could not connect", "err", err)
				time.Sleep(retryEvery) // out of files, say: do not spin
				continue
			}
			p.serveConn(c, handle)
		}
	}()
}

// serveConn reads one request and answers it.
func (p *Primary) serveConn(c net.Conn, handle func(Request)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout)) //nolint:errcheck // see send
	if err := p.check(c); err != nil {
		p.log.Warn("refused a connection from another user", "err", err)
		return
	}
	line, err := readLine(c, maxRequest)
	if err != nil {
		p.log.Warn("dropped a request from another launch: too long, cut short or too slow")
		return
	}
	req, err := parseRequest(line)
	if err != nil {
		p.log.Warn("refused a request from another launch: neither show nor an invitation link")
		io.WriteString(c, noReply+"\n") //nolint:errcheck // refused either way
		return
	}
	handle(req)
	io.WriteString(c, okReply+"\n") //nolint:errcheck // the sender gives up by itself
}

// Close gives the endpoint up: the next launch becomes the instance.
func (p *Primary) Close() error {
	if p == nil {
		return nil
	}
	var err error
	p.once.Do(func() {
		err = p.ln.Close()
		if p.lock != nil {
			if lerr := p.lock.Close(); err == nil {
				err = lerr
			}
		}
	})
	return err
}
