// Package clustertest runs a Confab cluster on loopback: its own
// PostgreSQL (internal/pgtest), N real confabd processes on it (each with
// its --node-id and data directory, one signing key), and a real HAProxy
// in front with deploy/haproxy.cfg. The end-to-end tests use it through
// Start; `make cluster` (cmd/confabcluster) through New, for a person to try.
package clustertest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"confab/internal/pgtest"
)

// Options configure a cluster; the zero value is three nodes.
type Options struct {
	Nodes   int      // how many confabd (default 3)
	Confabd string   // the confabd binary (Start builds one when empty; New needs it)
	Args    []string // more confabd flags, for every node
	LBAddr  string   // HAProxy's address (default, or port 0: a free loopback port)
	Log     func(format string, args ...any)
	// DurablePG: PostgreSQL syncs its commits (benchmarks); tests run it
	// with fsync off.
	DurablePG bool
}

// Cluster is a running cluster. Its methods may be called from any
// goroutine.
type Cluster struct {
	o      Options
	dir    string
	pg     *pgtest.Instance
	dsn    string
	secret string
	nodes  []*node
	lb     *haproxy
	closed sync.Once
}

// New starts PostgreSQL, the nodes and HAProxy, and waits until HAProxy
// sees every node healthy. Close stops them all.
func New(o Options) (_ *Cluster, err error) {
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.Confabd == "" {
		return nil, errors.New("no confabd binary given")
	}
	if o.Log == nil {
		o.Log = func(string, ...any) {}
	}
	if _, err := haproxyPath(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "confab-cluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{o: o, dir: dir, secret: randomHex(32)}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	newPG := pgtest.New
	if o.DurablePG {
		newPG = pgtest.NewDurable
	}
	if c.pg, err = newPG(); err != nil {
		return nil, err
	}
	if c.dsn, err = createDatabase(c.pg, "confab"); err != nil {
		return nil, err
	}
	for i := 0; i < o.Nodes; i++ {
		n, err := c.newNode(i)
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	// The first node migrates the schema; the others start beside it (the
	// migrations' lock is for that).
	for _, n := range c.nodes {
		if err := n.start(); err != nil {
			return nil, err
		}
	}
	if c.lb, err = startHAProxy(dir, o.LBAddr, c.nodes); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := c.WaitHealthy(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops HAProxy, the nodes and PostgreSQL, and removes their files.
// It may be called more than once.
func (c *Cluster) Close() {
	c.closed.Do(func() {
		if c.lb != nil {
			c.lb.stop()
		}
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			wg.Add(1)
			go func() { defer wg.Done(); n.stop() }()
		}
		wg.Wait()
		if c.pg != nil {
			c.pg.Remove()
		}
		os.RemoveAll(c.dir)
	})
}

// Pids are the process ids of the nodes and HAProxy now running (for tests
// that check nothing is left behind).
func (c *Cluster) Pids() []int {
	var pids []int
	for _, n := range c.nodes {
		if p := n.pid(); p != 0 {
			pids = append(pids, p)
		}
	}
	if c.lb != nil {
		pids = append(pids, c.lb.cmd.Process.Pid)
	}
	return pids
}

// URL is HAProxy's: where clients connect.
func (c *Cluster) URL() string { return "http://" + c.lb.addr }

// NodeURL is node i's own address, past the load balancer.
func (c *Cluster) NodeURL(i int) string { return "http://" + c.nodes[i].addr }

// NodeID is node i's --node-id (n1, n2, ...).
func (c *Cluster) NodeID(i int) string { return c.nodes[i].id }

// Nodes is how many nodes the cluster has.
func (c *Cluster) Nodes() int { return len(c.nodes) }

// PG is the cluster's PostgreSQL server: Stop, Kill and Restart it.
func (c *Cluster) PG() *pgtest.Instance { return c.pg }

// DSN is the database the nodes share.
func (c *Cluster) DSN() string { return c.dsn }

// Secret is the nodes' LOCAL_JWT_SECRET.
func (c *Cluster) Secret() string { return c.secret }

// Dir holds the cluster's files: logs (n1.log, haproxy.log), data.
func (c *Cluster) Dir() string { return c.dir }

// Kill ends node i at once (SIGKILL), as a crash would.
func (c *Cluster) Kill(i int) { c.nodes[i].kill() }

// Restart starts node i again, on its address and data directory, and
// waits until it answers /healthz itself (HAProxy takes it back within
// its rise checks: WaitHealthy waits for that).
func (c *Cluster) Restart(i int) error {
	n := c.nodes[i]
	n.stop()
	return n.start()
}

// WaitHealthy waits until HAProxy counts every node up and answers
// /healthz through itself.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	for {
		up, err := c.lb.serversUp()
		if err == nil && len(up) == len(c.nodes) && healthy(ctx, c.URL()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("HAProxy counts %d of %d nodes up (%v): %w\n%s", len(up), len(c.nodes), err, ctx.Err(), c.Logs())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// NodesUp lists the nodes HAProxy counts up, by id.
func (c *Cluster) NodesUp() ([]string, error) { return c.lb.serversUp() }

// WaitNodeState waits until HAProxy counts node i up (or down).
func (c *Cluster) WaitNodeState(ctx context.Context, i int, up bool) error {
	for {
		ids, err := c.lb.serversUp()
		if err == nil && contains(ids, c.nodes[i].id) == up {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s never became up=%v for HAProxy (up: %v, %v): %w", c.nodes[i].id, up, ids, err, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Logs is the end of every process's log, for a failing test's output.
func (c *Cluster) Logs() string {
	var out string
	paths, _ := filepath.Glob(filepath.Join(c.dir, "*.log"))
	for _, p := range paths {
		out += fmt.Sprintf("--- %s\n%s\n", filepath.Base(p), tail(p, 3000))
	}
	return out
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func healthy(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

func createDatabase(pg *pgtest.Instance, name string) (string, error) {
	db, err := sql.Open("pgx", pg.DSN("postgres"))
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE ` + name); err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return pg.DSN(name), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// freeAddr is a loopback address nobody listens on at the moment.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
