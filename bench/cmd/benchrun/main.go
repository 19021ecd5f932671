// Command benchrun runs Confab's server and the Node peer through every
// benchmark scenario in one run and writes the table (make bench); with
// -cluster, it compares SQLite, PostgreSQL and a cluster behind HAProxy
// (cluster.go, make bench-cluster).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"confab/bench"
)

func main() {
	confabd := flag.String("confabd", "bin/confabd", "the confabd binary")
	node := flag.String("node", "node", "the Node.js binary")
	peer := flag.String("peer", "bench/peer-node/server.js", "the peer server's script")
	base := flag.String("base-confabd", "", "another confabd build (e.g. main's) run in the same rotation, with its own column, to compare a change side by side")
	ceiling := flag.String("ceiling", "", "the built reference server (default: go build ./bench/ceiling into a temporary directory)")
	out := flag.String("out", "bench/results.md", "where to write the results")
	tiny := flag.Bool("tiny", false, "tiny sizes: only check that every scenario runs")
	only := flag.String("only", "", "comma-separated scenarios to run ("+strings.Join(bench.ScenarioNames, ", ")+"); default all")
	storm := flag.Int("storm-sockets", bench.Default.StormSockets, "sockets of the connect storm")
	repeats := flag.Int("repeats", bench.Default.Repeats, "runs of each scenario on each server; figures are medians (odd counts keep the saturation rows exact)")
	fanRate := flag.Float64("fan-rate", bench.Default.FanRate, "messages per second of each fan-out sender")
	confabArgs := flag.String("confabd-args", "", "extra confabd flags, space-separated (e.g. --pprof 127.0.0.1:6060)")
	confabEnv := flag.String("confabd-env", "", "extra environment for confabd only, space-separated (e.g. GOGC=200)")
	cluster := flag.Bool("cluster", false, "run the cluster benchmark instead (SQLite vs PostgreSQL, one node vs several behind HAProxy) and append its table to -out")
	clusterNodes := flag.Int("cluster-nodes", bench.ClusterDefault.Nodes, "nodes of the cluster measured against one")
	flag.Parse()
	if *cluster {
		reps := bench.ClusterDefault.Repeats // each run starts PostgreSQL and the nodes: one unless asked
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "repeats" {
				reps = *repeats
			}
		})
		runCluster(*confabd, *out, *tiny, *clusterNodes, reps)
		return
	}

	plan := bench.Default
	plan.StormSockets, plan.FanRate = *storm, *fanRate
	plan.Repeats = *repeats
	if *tiny {
		plan = bench.Tiny
	}
	if *only != "" {
		plan.Only = strings.Split(*only, ",")
		for _, name := range plan.Only {
			if !slices.Contains(bench.ScenarioNames, name) {
				fmt.Fprintf(os.Stderr, "bench: unknown scenario %q\n", name)
				os.Exit(2)
			}
		}
	}
	plan.ConfabArgs = strings.Fields(*confabArgs)
	plan.ConfabEnv = strings.Fields(*confabEnv)
	plan.Ceiling = *ceiling
	plan.Base = *base
	if plan.Ceiling == "" {
		dir, err := os.MkdirTemp("", "confab-ceiling-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(dir)
		plan.Ceiling = filepath.Join(dir, "ceiling")
		if out, err := exec.Command("go", "build", "-o", plan.Ceiling, "./bench/ceiling").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: build the ceiling server: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	start := time.Now()
	rows, err := bench.Run(plan, *confabd, *node, *peer, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	nodeVersion, _ := exec.Command(*node, "--version").Output()
	report := fmt.Sprintf("# Confab server vs the seeds' Node.js stack\n\nMeasured %s on %d cores, %s, Node.js %s, in one run "+
		"(%s, load average %s at the end): each scenario ran %d times on each server, every time on fresh processes, rotating which goes first, "+
		"and each figure is the median of its runs. Both servers get the same "+
		"rate limits (%d events/s per socket). The peer is `bench/peer-node` (express, socket.io 4.8, jsonwebtoken 9 with a "+
		"KeyObject secret, scrypt passwords, in memory); Confab stores every message in SQLite with full sync before "+
		"acknowledging it. The ceiling is `bench/ceiling`: the least a server can do for this load (Engine.IO/Socket.IO "+
		"written directly, one encode per broadcast, one writev per socket per burst, no storage, no sign-in). "+
		"The targets, and what remains where Confab misses one, are in bench/README.md.\n\n%s",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), strings.TrimSpace(string(nodeVersion)),
		time.Since(start).Round(time.Second), loadAverage(), max(plan.Repeats, 1), bench.BenchEventRate, bench.Table(rows))
	fmt.Println(report)
	outSet := false
	flag.Visit(func(f *flag.Flag) { outSet = outSet || f.Name == "out" })
	if *only != "" && !outSet {
		return // a partial run does not replace the full results
	}
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// loadAverage is the machine's 1-minute load average (from /proc/loadavg).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}
