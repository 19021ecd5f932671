package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// node is one confabd process of the cluster; it keeps its address, id and
// data directory across restarts.
type node struct {
	c       *Cluster
	id      string
	addr    string
	dataDir string
	logPath string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

func (c *Cluster) newNode(i int) (*node, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	id := "n" + strconv.Itoa(i+1)
	n := &node{c: c, id: id, addr: addr, dataDir: filepath.Join(c.dir, id), logPath: filepath.Join(c.dir, id+".log")}
	return n, os.MkdirAll(n.dataDir, 0o700)
}

// args are the node's command line: plain HTTP on loopback behind HAProxy.
func (n *node) args() []string {
	return append([]string{
		"--addr", n.addr,
		"--data-dir", n.dataDir,
		"--database", n.c.dsn,
		"--node-id", n.id,
		"--files-dir", filepath.Join(n.c.dir, "files"), // shared, as on NFS
		"--insecure-http",
		"--no-announce",
		// HAProxy connects from loopback; its X-Forwarded-For names the
		// client (tests dial it from other 127.x addresses to be told apart).
		"--trusted-proxy", "127.0.0.1/32",
	}, n.c.o.Args...)
}

// start runs the node and waits until it answers /healthz.
func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	logFile, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(n.c.o.Confabd, n.args()...)
	// The signing key through the environment, never on a command line
	// (ps shows those).
	cmd.Env = append(os.Environ(), "LOCAL_JWT_SECRET="+n.c.secret)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Own process group: a Ctrl+C at the terminal reaches the program
	// that started the cluster, which stops the nodes in order. Pdeathsig:
	// a test binary that dies takes its nodes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.id, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // the log says why
	n.cmd, n.exited = cmd, exited
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for !healthy(ctx, "http://"+n.addr) {
		select {
		case <-exited:
			return fmt.Errorf("%s exited at start:\n%s", n.id, tail(n.logPath, 3000))
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer /healthz within 60 s:\n%s", n.id, tail(n.logPath, 3000))
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// kill ends the node with SIGKILL and waits until it is gone.
func (n *node) kill() { n.signal(syscall.SIGKILL, 0) }

// stop asks the node to stop (SIGTERM), and kills it after 20 s.
func (n *node) stop() { n.signal(syscall.SIGTERM, 20*time.Second) }

func (n *node) signal(sig syscall.Signal, grace time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return
	}
	n.cmd.Process.Signal(sig) //nolint:errcheck // already gone is fine
	if grace > 0 {
		select {
		case <-n.exited:
		case <-time.After(grace):
			n.cmd.Process.Kill() //nolint:errcheck
		}
	}
	<-n.exited
	n.cmd = nil
}

// pid is the node's process id, 0 when it is not running.
func (n *node) pid() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}
