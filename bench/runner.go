package bench

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// BenchLimits are the rate limits both servers get: the same for both, and
// high enough that the scenarios measure speed, not the limiter.
const (
	BenchEventRate  = 100_000
	BenchEventBurst = 100_000
)

// Server is a server process under test.
type Server struct {
	Target
	cmd *exec.Cmd
	dir string
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// StartConfab runs confabd (its path) on a free port with a fresh data directory.
func StartConfab(bin string, env []string, extra ...string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "confab-bench-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--addr", "127.0.0.1:"+strconv.Itoa(port), "--data-dir", dir, "--insecure-http")
	cmd.Args = append(append(cmd.Args, limitFlags()...), extra...)
	cmd.Env = append(append(os.Environ(), "LOCAL_JWT_SECRET="), env...)
	return start("confab", cmd, port, dir)
}

// limitFlags are confabd's flags for every benchmark: quiet, and limits
// that measure speed, not the limiter.
func limitFlags() []string {
	return []string{"--log-level", "error",
		"--event-rate", strconv.Itoa(BenchEventRate), "--event-burst", strconv.Itoa(BenchEventBurst), "--signup-burst", "100000",
		"--user-message-rate", strconv.Itoa(BenchEventRate), "--user-message-burst", strconv.Itoa(BenchEventBurst),
		"--sockets-per-user", "100000", "--user-read-rate", "1000000000000", // the scenarios share 20 accounts among up to thousands of sockets
		"--max-conns-per-addr", "100000"} // all from loopback
}

// StartCeiling runs the reference server (bench/ceiling, built) on a free port.
func StartCeiling(bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return start("ceiling", exec.Command(bin, "--addr", "127.0.0.1:"+strconv.Itoa(port)), port, "")
}

// StartPeer runs the Node peer (node and its server.js) on a free port.
func StartPeer(node, script string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port),
		"EVENT_RATE="+strconv.Itoa(BenchEventRate), "EVENT_BURST="+strconv.Itoa(BenchEventBurst))
	return start("node peer", cmd, port, "")
}

func start(name string, cmd *exec.Cmd, port int, dir string) (*Server, error) {
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &Server{Target: Target{Name: name, URL: "http://127.0.0.1:" + strconv.Itoa(port), PID: cmd.Process.Pid}, cmd: cmd, dir: dir}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(s.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("%s did not come up", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop ends the process and removes its data.
func (s *Server) Stop() {
	s.cmd.Process.Kill() //nolint:errcheck
	s.cmd.Wait()         //nolint:errcheck
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
