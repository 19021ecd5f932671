package bench

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"confab/client"
	"confab/internal/clustertest"
)

// The cluster benchmark (issue 17): one confabd on SQLite, one node on
// PostgreSQL and several nodes on PostgreSQL behind HAProxy, all on this
// machine, through the same scenarios in one run. PostgreSQL syncs its
// commits (fsync on), as SQLite does with synchronous=FULL.

// ClusterPlan sizes the cluster benchmark.
type ClusterPlan struct {
	Nodes int // nodes of the cluster measured against one (default 3)

	FanSockets  int // sockets in one room, spread over the nodes by HAProxy
	FanSenders  int
	FanRate     float64 // messages per second per sender
	FanDuration time.Duration

	AckSenders  int // sockets sending as fast as their acks come back, each in a room of its own
	AckDuration time.Duration

	KillSockets int // sockets over the nodes when one is killed with SIGKILL

	Repeats int // runs of each scenario on each setup; figures are medians
	Log     func(format string, args ...any)
}

// ClusterDefault is the plan of `make bench-cluster`.
var ClusterDefault = ClusterPlan{
	Nodes:      3,
	FanSockets: 300, FanSenders: 8, FanRate: 10, FanDuration: 10 * time.Second,
	AckSenders: 32, AckDuration: 10 * time.Second,
	KillSockets: 300,
	Repeats:     1,
}

// ClusterTiny only checks that every scenario runs.
var ClusterTiny = ClusterPlan{
	Nodes:      3,
	FanSockets: 12, FanSenders: 2, FanRate: 5, FanDuration: time.Second,
	AckSenders: 4, AckDuration: time.Second,
	KillSockets: 12,
	Repeats:     1,
}

// setups are what the cluster benchmark compares, in its table's order.
const (
	setupSQLite  = "SQLite, 1 node"
	setupPG1     = "PostgreSQL, 1 node"
	setupCluster = "PostgreSQL, N nodes" // N filled in by ClusterTable
)

// ClusterRow is one scenario on each setup.
type ClusterRow struct {
	Scenario string
	Results  map[string]Result // by setup
	Setups   []string          // the setups it ran on, in order
}

// clusterTarget is a running setup.
type clusterTarget struct {
	Target
	c   *clustertest.Cluster // nil for SQLite
	srv *Server              // the SQLite server
}

func (ct *clusterTarget) stop() {
	if ct.c != nil {
		ct.c.Close()
	}
	if ct.srv != nil {
		ct.srv.Stop()
	}
}

// startSetup starts one setup on fresh processes and databases.
func startSetup(p ClusterPlan, setup, confabd string) (*clusterTarget, error) {
	if setup == setupSQLite {
		srv, err := StartConfab(confabd, nil)
		if err != nil {
			return nil, err
		}
		return &clusterTarget{Target: srv.Target, srv: srv}, nil
	}
	nodes := 1
	if setup == setupCluster {
		nodes = p.Nodes
	}
	c, err := clustertest.New(clustertest.Options{Nodes: nodes, Confabd: confabd, Args: limitFlags(), DurablePG: true, Log: p.Log})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", setup, err)
	}
	pids := c.Pids() // the nodes, then HAProxy
	return &clusterTarget{Target: Target{Name: setup, URL: c.URL(), PID: pids[0], Others: pids[1:]}, c: c}, nil
}

// RunCluster runs the cluster scenarios: fan-out and acknowledged
// messages per second on every setup, and the recovery from a killed node
// on the cluster. Each run is on fresh processes.
func RunCluster(p ClusterPlan, confabd string, progress io.Writer) ([]ClusterRow, error) {
	if p.Log == nil {
		p.Log = func(string, ...any) {}
	}
	all := []string{setupSQLite, setupPG1, setupCluster}
	type scen struct {
		name   string
		setups []string
		run    func(*clusterTarget) (Result, error)
	}
	scens := []scen{
		{fmt.Sprintf("room fan-out, %d sockets, %d senders x %g msg/s, %s", p.FanSockets, p.FanSenders, p.FanRate, p.FanDuration), all,
			func(ct *clusterTarget) (Result, error) {
				return FanOut(ct.Target, p.FanSockets, p.FanSenders, p.FanRate, p.FanDuration)
			}},
		{fmt.Sprintf("acknowledged messages, %d senders each in a room of its own, as fast as acks come, %s", p.AckSenders, p.AckDuration), all,
			func(ct *clusterTarget) (Result, error) { return AckRate(ct.Target, p.AckSenders, p.AckDuration) }},
		{fmt.Sprintf("kill -9 of the node holding the most of %d sockets", p.KillSockets), []string{setupCluster},
			func(ct *clusterTarget) (Result, error) { return KillRecovery(ct, p.KillSockets) }},
	}
	var rows []ClusterRow
	for _, sc := range scens {
		row := ClusterRow{Scenario: sc.name, Results: map[string]Result{}, Setups: sc.setups}
		got := map[string][]Result{}
		for rep := range max(p.Repeats, 1) {
			for i := range sc.setups {
				setup := sc.setups[(rep+i)%len(sc.setups)] // rotate which goes first
				ct, err := startSetup(p, setup, confabd)
				if err != nil {
					return rows, err
				}
				res, err := sc.run(ct)
				ct.stop()
				if err != nil {
					return rows, fmt.Errorf("%s on %s: %w", sc.name, setup, err)
				}
				fmt.Fprintf(progress, "%-20s %s\n", setup, sc.name)
				got[setup] = append(got[setup], res)
			}
		}
		for _, s := range sc.setups {
			row.Results[s] = median(got[s])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// AckRate has senders, each in a room of its own, send one message after
// another as fast as the acknowledgements come back: what the store
// commits per second, with little fan-out.
func AckRate(t Target, senders int, dur time.Duration) (Result, error) {
	r := Result{Scenario: "acknowledged messages"}
	toks, err := tokens(t, "ack")
	if err != nil {
		return r, err
	}
	socks, failures, _ := dialMany(t, toks, senders, nil)
	defer closeAll(socks)
	if failures > 0 {
		return r, fmt.Errorf("%d sockets failed to connect", failures)
	}
	for i, v := range socks {
		if res, err := v.call("join", map[string]any{"room": fmt.Sprintf("ack%d", i)}, ackTimeout); err != nil || res["ok"] != true {
			return r, fmt.Errorf("join: %v %v", res, err)
		}
	}
	lat := &latencies{}
	var acked, failed atomic.Int64
	var wg sync.WaitGroup
	cpu0 := t.cpu()
	start := time.Now()
	for i, v := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Since(start) < dur; n++ {
				t0 := time.Now()
				res, err := v.call("message", map[string]any{"room": fmt.Sprintf("ack%d", i), "text": fmt.Sprintf("ack %d-%d", i, n)}, ackTimeout)
				if err != nil || res["ok"] != true {
					failed.Add(1)
					continue
				}
				lat.add(time.Since(t0))
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	r.add("acknowledged/s", "1/s", float64(acked.Load())/el.Seconds(), true)
	r.add("not acknowledged", "", float64(failed.Load()), false)
	r.add("ack p50", "ms", lat.pct(50), false)
	r.add("ack p99", "ms", lat.pct(99), false)
	perAck := math.NaN()
	if cpu := t.cpu(); cpu0 >= 0 && cpu >= 0 && acked.Load() > 0 {
		perAck = float64(cpu-cpu0) / float64(time.Microsecond) / float64(acked.Load())
	}
	r.add("server CPU per acknowledged message", "µs", perAck, false)
	return r, nil
}

// nodeOf is the node id a socket's session id begins with.
func nodeOf(v *vclient) string {
	node, _, _ := strings.Cut(v.sid, ".")
	return node
}

// KillRecovery spreads sockets over the cluster's nodes through HAProxy,
// kills the node holding the most with SIGKILL, and measures how long its
// sockets take to be connected again through HAProxy. Each reconnects as
// the client library does: after 400 ms, then waits growing by 1.5x, ±20%.
func KillRecovery(ct *clusterTarget, sockets int) (Result, error) {
	r := Result{Scenario: "kill -9"}
	t := ct.Target
	toks, err := tokens(t, "kill")
	if err != nil {
		return r, err
	}
	socks, failures, _ := dialMany(t, toks, sockets, nil)
	defer func() { closeAll(socks) }()
	if failures > 0 {
		return r, fmt.Errorf("%d sockets failed to connect", failures)
	}
	per := map[string]int{}
	for _, v := range socks {
		per[nodeOf(v)]++
	}
	victim, most := "", 0
	for n, k := range per {
		if k > most || k == most && n < victim {
			victim, most = n, k
		}
	}
	idx := -1
	for i := 0; i < ct.c.Nodes(); i++ {
		if ct.c.NodeID(i) == victim {
			idx = i
		}
	}
	if idx < 0 {
		return r, fmt.Errorf("no node %q (session ids %v)", victim, per)
	}
	var mu sync.Mutex
	back := &latencies{}
	lost := 0
	var wg sync.WaitGroup
	start := time.Now()
	ct.c.Kill(idx)
	for i, v := range socks {
		if nodeOf(v) != victim {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-v.done // HAProxy closes the websocket when its node dies
			nv := reconnect(t.URL, toks[i%len(toks)], start.Add(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			if nv == nil {
				lost++
				return
			}
			back.add(time.Since(start))
			socks[i] = nv
		}()
	}
	wg.Wait()
	others := 0
	for _, v := range socks {
		select {
		case <-v.done:
		default:
			others++
		}
	}
	r.add("sockets on the killed node", "", float64(most), false)
	r.add("time until all of them are back", "s", back.pct(100)/1000, false)
	r.add("time until half of them are back", "s", back.pct(50)/1000, false)
	r.add("not back within a minute", "", float64(lost), false)
	r.add("sockets connected at the end", "", float64(others), true)
	return r, nil
}

// reconnect dials through the load balancer until it works or deadline
// passes, waiting between attempts as the client library does.
func reconnect(url, token string, deadline time.Time) *vclient {
	wait := client.DefaultMinBackoff
	for time.Now().Before(deadline) {
		time.Sleep(time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64())))
		if v, err := dial(url, token, nil); err == nil {
			return v
		}
		wait = min(time.Duration(float64(wait)*1.5), client.DefaultMaxBackoff)
	}
	return nil
}

// ClusterTable renders the rows as Markdown: each figure on each setup, and
// the ratios the issue asks for: N nodes ÷ 1 node (PostgreSQL) and
// PostgreSQL ÷ SQLite (1 node).
func ClusterTable(rows []ClusterRow, nodes int) string {
	cluster := fmt.Sprintf("PostgreSQL, %d nodes", nodes)
	var b strings.Builder
	fmt.Fprintf(&b, "| scenario | figure | %s | %s | %s | %d nodes ÷ 1 node | PostgreSQL ÷ SQLite |\n|---|---|---:|---:|---:|---:|---:|\n",
		setupSQLite, setupPG1, cluster, nodes)
	for _, row := range rows {
		first := row.Results[row.Setups[0]]
		for i, m := range first.Metrics {
			val := func(setup string) float64 {
				if res, ok := row.Results[setup]; ok {
					return res.value(m.Name)
				}
				return math.NaN()
			}
			sq, pg1, pgN := val(setupSQLite), val(setupPG1), val(setupCluster)
			ratio := func(a, b float64) string {
				if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
					return "-"
				}
				return fmt.Sprintf("%.2f", a/b)
			}
			scen := ""
			if i == 0 {
				scen = row.Scenario
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", scen, m.label(),
				num(sq), num(pg1), num(pgN), ratio(pgN, pg1), ratio(pg1, sq))
		}
	}
	return b.String()
}
