// Command benchrun runs Confab's server and the Node peer through every
// benchmark scenario in one run and writes the table (make bench).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"confab/bench"
)

func main() {
	confabd := flag.String("confabd", "bin/confabd", "the confabd binary")
	node := flag.String("node", "node", "the Node.js binary")
	peer := flag.String("peer", "bench/peer-node/server.js", "the peer server's script")
	out := flag.String("out", "bench/results.md", "where to write the results")
	tiny := flag.Bool("tiny", false, "tiny sizes: only check that every scenario runs")
	flag.Parse()

	plan := bench.Default
	if *tiny {
		plan = bench.Tiny
	}
	start := time.Now()
	rows, err := bench.Run(plan, *confabd, *node, *peer, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	nodeVersion, _ := exec.Command(*node, "--version").Output()
	report := fmt.Sprintf("# Confab server vs the seeds' Node.js stack\n\nMeasured %s on %d cores, %s, Node.js %s, in one run "+
		"(%s), each scenario on fresh processes of both servers, alternating which goes first. Both servers get the same "+
		"rate limits (%d events/s per socket). The peer is `bench/peer-node` (express, socket.io 4.8, jsonwebtoken 9 with a "+
		"KeyObject secret, scrypt passwords, in memory); Confab stores every message in SQLite with full sync before "+
		"acknowledging it.\n\n%s",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), strings.TrimSpace(string(nodeVersion)),
		time.Since(start).Round(time.Second), bench.BenchEventRate, bench.Table(rows))
	fmt.Println(report)
	if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
