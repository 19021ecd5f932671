package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"confab/wire"
)

// The operator's socket: a Unix socket in the data directory (0600)
// over which `confabd users` and `confabd invite` make administrative calls
// on the running server, which then cuts sockets and refuses tokens at
// once (a change made to the database behind its back would not). Whoever
// can open it can read the database anyway: no token is asked for, and the
// audit names the operator.

// ListenOperator serves the administrative calls on dataDir's operator
// socket until the returned stop is called.
func (s *Server) ListenOperator(dataDir string) (stop func(), err error) {
	path := filepath.Join(dataDir, wire.AdminSocketFile)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, errors.New("another server is running on this data directory")
	}
	l, err := listenUnixAtOnce(path)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler:           s.OperatorHandler(),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // best effort
		os.Remove(path)   //nolint:errcheck
	}, nil
}

// OperatorHandler serves only the administrative calls, as the operator.
func (s *Server) OperatorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, wire.PathAdmin) {
			http.NotFound(w, r)
			return
		}
		s.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), operatorKey{}, true)))
	})
}

// listenUnixAtOnce listens on path, which appears only once it accepts: a
// Unix socket's file exists from bind(), before listen(), and a dial in
// between is refused, which `confabd users` would take for a server that
// died. So it listens under another name and renames the socket into place.
func listenUnixAtOnce(path string) (net.Listener, error) {
	tmp := path + ".new"
	os.Remove(tmp)  //nolint:errcheck // left by a server that died
	os.Remove(path) //nolint:errcheck // left by a server that died
	// The data directory is the owner's alone (0700), so the socket is too
	// from its first moment; 0600 says so once more.
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false) // stop removes path
	os.Chmod(tmp, 0o600)                          //nolint:errcheck // the directory already guards it
	if err := os.Rename(tmp, path); err != nil {
		// A system that cannot rename a socket (untested: Windows) gets
		// the plain listen, with its brief window.
		l.Close()
		os.Remove(tmp) //nolint:errcheck
		return net.Listen("unix", path)
	}
	return l, nil
}
