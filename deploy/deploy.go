// Package deploy holds the configuration of what runs around confabd in
// production: haproxy.cfg, the load balancer in front of a cluster's nodes
// (docs/loadbalancer.md), rendered by HAProxyConfig.
package deploy

import (
	_ "embed"
	"fmt"
	"strings"
	"text/template"

	"confab/internal/sio"
)

//go:embed haproxy.cfg
var haproxyCfg string

var haproxyTemplate = template.Must(template.New("haproxy.cfg").Parse(haproxyCfg))

// Node is one confabd behind the load balancer.
type Node struct {
	ID   string // its --node-id: the prefix of its Socket.IO session ids
	Addr string // host:port where it serves plain HTTP
}

// HAProxy is what the configuration needs.
type HAProxy struct {
	Bind        string // address:port clients connect to
	Cert        string // PEM file (certificate and key) to serve TLS with; "" for plain HTTP
	StatsSocket string // Unix socket for `show stat`; "" for none
	Nodes       []Node
}

// HAProxyConfig renders haproxy.cfg for h.
func HAProxyConfig(h HAProxy) (string, error) {
	if len(h.Nodes) == 0 {
		return "", fmt.Errorf("no nodes")
	}
	for _, n := range h.Nodes {
		// HAProxy matches the sid byte for byte: the id must be what the
		// node puts in front of its session ids.
		if n.ID == "" || sio.SessionPrefixOf(n.ID) != n.ID {
			return "", fmt.Errorf("node id %q: use letters, digits, - and _ only", n.ID)
		}
		if n.Addr == "" || strings.ContainsAny(n.Addr, " \t\n") {
			return "", fmt.Errorf("node %s: bad address %q", n.ID, n.Addr)
		}
	}
	var b strings.Builder
	if err := haproxyTemplate.Execute(&b, h); err != nil {
		return "", err
	}
	return b.String(), nil
}
