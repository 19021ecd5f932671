package clustertest

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"confab/deploy"
)

// InstallHAProxy says how to get HAProxy.
const InstallHAProxy = "needs HAProxy (apt-get install haproxy; make test installs it)"

func haproxyPath() (string, error) {
	for _, p := range []string{"haproxy", "/usr/sbin/haproxy"} {
		if path, err := exec.LookPath(p); err == nil {
			return path, nil
		}
	}
	return "", errors.New(InstallHAProxy)
}

// haproxy is the load balancer process, with deploy/haproxy.cfg rendered
// for the cluster's nodes.
type haproxy struct {
	addr    string
	cfgPath string
	sock    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

func startHAProxy(dir, addr string, nodes []*node) (*haproxy, error) {
	bin, err := haproxyPath()
	if err != nil {
		return nil, err
	}
	if addr == "" || strings.HasSuffix(addr, ":0") { // HAProxy takes no port 0
		if addr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	h := &haproxy{addr: addr, cfgPath: filepath.Join(dir, "haproxy.cfg"),
		sock: filepath.Join(dir, "haproxy.sock"), logPath: filepath.Join(dir, "haproxy.log")}
	cfg := deploy.HAProxy{Bind: addr, StatsSocket: h.sock}
	for _, n := range nodes {
		cfg.Nodes = append(cfg.Nodes, deploy.Node{ID: n.id, Addr: n.addr})
	}
	text, err := deploy.HAProxyConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(h.cfgPath, []byte(text), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(h.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	// -db: in the foreground, logging to stdout.
	h.cmd = exec.Command(bin, "-db", "-f", h.cfgPath)
	h.cmd.Stdout, h.cmd.Stderr = logFile, logFile
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start haproxy: %w", err)
	}
	h.exited = make(chan struct{})
	go func() { h.cmd.Wait(); close(h.exited) }() //nolint:errcheck // its log says why
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := h.serversUp(); err == nil {
			return h, nil
		}
		select {
		case <-h.exited:
			return nil, fmt.Errorf("haproxy exited at start:\n%s", tail(h.logPath, 3000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			h.stop()
			return nil, fmt.Errorf("haproxy's stats socket did not answer in 20 s:\n%s", tail(h.logPath, 3000))
		}
	}
}

// stop ends HAProxy at once (SIGTERM: its hard stop) and waits.
func (h *haproxy) stop() {
	h.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
	select {
	case <-h.exited:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill() //nolint:errcheck
		<-h.exited
	}
}

// serversUp asks HAProxy's stats socket which nodes it counts up.
func (h *haproxy) serversUp() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", h.sock)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second)) //nolint:errcheck
	if _, err := io.WriteString(conn, "show stat\n"); err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReader(conn))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 || len(recs[0]) < 18 || strings.TrimPrefix(recs[0][17], " ") != "status" {
		return nil, fmt.Errorf("unexpected show stat answer: %v", recs)
	}
	up := []string{}
	for _, rec := range recs[1:] {
		// "UP", or "UP 1/2" while a falling server still counts as up.
		if len(rec) > 17 && rec[0] == "confab_nodes" && rec[1] != "BACKEND" && strings.HasPrefix(rec[17], "UP") {
			up = append(up, rec[1])
		}
	}
	return up, nil
}
