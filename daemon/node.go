package daemon

import (
	"net"
	"os"
	"strconv"
)

// nodeID is the name of this node in a cluster (docs/cluster.md): the flag,
// else the host name and the port, which tell apart the nodes of one
// machine and of several. Without --database there is no cluster: "".
func nodeID(flag, database, addr string) string {
	if flag != "" || database == "" {
		return flag
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return host + "-" + strconv.Itoa(os.Getpid())
	}
	return host + ":" + port
}
