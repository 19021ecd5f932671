// Command confabcluster runs a Confab cluster on this computer for a person
// to try (`make cluster`): its own PostgreSQL, three confabd nodes on it and
// HAProxy in front (internal/clustertest). Ctrl+C stops them all.
//
// With -haproxy-config it prints deploy/haproxy.cfg filled in for real
// nodes instead, e.g.
//
//	confabcluster -haproxy-config -bind :443 -cert /etc/haproxy/confab.pem \
//		-node n1=10.0.0.11:7878 -node n2=10.0.0.12:7878
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"confab/deploy"
	"confab/internal/clustertest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "confabcluster:", err)
		os.Exit(1)
	}
}

type nodeList []deploy.Node

func (l *nodeList) String() string { return fmt.Sprint(*l) }

func (l *nodeList) Set(v string) error {
	id, addr, ok := strings.Cut(v, "=")
	if !ok {
		return errors.New("want ID=HOST:PORT")
	}
	*l = append(*l, deploy.Node{ID: id, Addr: addr})
	return nil
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("confabcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	confabd := fs.String("confabd", "bin/confabd", "the confabd binary the nodes run")
	nodes := fs.Int("nodes", 3, "how many confabd nodes")
	addr := fs.String("addr", "127.0.0.1:7900", "where HAProxy listens for clients")
	printCfg := fs.Bool("haproxy-config", false, "print an HAProxy configuration for -node and -bind, and exit")
	bind := fs.String("bind", ":80", "with -haproxy-config: where HAProxy listens")
	cert := fs.String("cert", "", "with -haproxy-config: PEM file (certificate and key) for HAProxy to serve TLS with")
	var cfgNodes nodeList
	fs.Var(&cfgNodes, "node", "with -haproxy-config: a node, ID=HOST:PORT (its --node-id and address); repeat for each")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *printCfg {
		text, err := deploy.HAProxyConfig(deploy.HAProxy{Bind: *bind, Cert: *cert, Nodes: cfgNodes})
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, text)
		return err
	}
	// Ctrl+C at the terminal reaches this program, not the nodes and
	// HAProxy (process groups of their own), which are stopped in order
	// below. PostgreSQL (pgtest's) gets it too: its fast shutdown.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "starting PostgreSQL, %d confabd nodes and HAProxy...\n", *nodes)
	c, err := clustertest.New(clustertest.Options{Nodes: *nodes, Confabd: *confabd, LBAddr: *addr})
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(stdout, "stopping...")
		c.Close()
		fmt.Fprintln(stdout, "stopped: nothing is left running")
	}()
	for i := 0; i < c.Nodes(); i++ {
		fmt.Fprintf(stdout, "node %s: %s\n", c.NodeID(i), c.NodeURL(i))
	}
	fmt.Fprintf(stdout, "PostgreSQL: %s\n", c.DSN())
	fmt.Fprintf(stdout, "logs and data: %s\n", c.Dir())
	fmt.Fprintf(stdout, "join the chat at %s (the app, or a browser)\n", c.URL())
	fmt.Fprintln(stdout, "press Ctrl+C to stop everything")
	<-ctx.Done()
	return nil
}
