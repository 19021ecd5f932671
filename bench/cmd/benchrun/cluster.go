package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"confab/bench"
)

// runCluster runs the cluster benchmark and appends its table to out, with
// the machine's load before and after (other work on a shared machine
// moves the figures).
func runCluster(confabd, out string, tiny bool, nodes, repeats int) {
	plan := bench.ClusterDefault
	if tiny {
		plan = bench.ClusterTiny
	}
	plan.Nodes = nodes
	plan.Repeats = repeats
	plan.Log = func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	loadBefore := loadAverage()
	start := time.Now()
	rows, err := bench.RunCluster(plan, confabd, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	report := fmt.Sprintf("\n## Cluster: SQLite, PostgreSQL, %d nodes behind HAProxy (issue 17)\n\n"+
		"Measured %s on %d cores, %s, in one run (%s; load average %s before, %s at the end): every setup on fresh "+
		"processes on this one machine (PostgreSQL, HAProxy, the nodes and the load generator share its cores), each scenario "+
		"%d time(s) per setup, figures the median. PostgreSQL syncs its commits (fsync on), as SQLite does (synchronous=FULL). "+
		"Sockets reach the PostgreSQL setups through HAProxy (deploy/haproxy.cfg), which spreads them over the nodes; "+
		"server CPU counts the nodes and HAProxy, not PostgreSQL. Targets: fan-out p99 on %d nodes at most 1.5x one node's.\n\n%s",
		nodes, time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(),
		time.Since(start).Round(time.Second), loadBefore, loadAverage(), max(repeats, 1), nodes, bench.ClusterTable(rows, nodes))
	fmt.Println(report)
	f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(report)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
