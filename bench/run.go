package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Plan sizes every scenario; Default is sized for a 2-core machine, Tiny
// only checks that each scenario runs.
type Plan struct {
	StormSockets  int
	FanSockets    int
	FanSenders    int
	FanRate       float64
	FanDuration   time.Duration
	HeavySenders  int // the fan-out again, at a rate near the ceiling's saturation
	HeavyRate     float64
	HeavyDuration time.Duration
	SatStartRate  float64 // per sender; below every server's limit (the peer's p99 passed 100 ms at 8 x 10)
	SatStep       time.Duration
	SatMaxSteps   int
	SatP99Limit   float64 // ms
	RoomSockets   int
	RoomSize      int
	RoomRate      float64
	RoomDuration  time.Duration
	LoginRate     float64
	LoginDuration time.Duration
	// Only names the scenarios to run (see ScenarioNames); empty runs them all.
	Only []string
	// ConfabArgs are extra confabd flags, e.g. --pprof to profile it.
	ConfabArgs []string
	// ConfabEnv is extra environment for confabd only, e.g. GOGC=200.
	ConfabEnv []string
	// Repeats runs each scenario this often on each server; figures are medians.
	Repeats int
	// Ceiling is the built reference server (bench/ceiling); empty leaves
	// its column out.
	Ceiling string
	// Base is another confabd build (e.g. main's) run in the same rotation,
	// to compare a change side by side; empty leaves its column out.
	Base string
}

// Default is the plan of `make bench`.
var Default = Plan{
	StormSockets: 4000,
	FanSockets:   500, FanSenders: 8, FanRate: 10, FanDuration: 10 * time.Second,
	HeavySenders: 32, HeavyRate: 20, HeavyDuration: 10 * time.Second,
	SatStartRate: 5, SatStep: 5 * time.Second, SatMaxSteps: 16, SatP99Limit: 100,
	RoomSockets: 1000, RoomSize: 10, RoomRate: 1, RoomDuration: 10 * time.Second,
	LoginRate: 200, LoginDuration: 5 * time.Second,
	Repeats: 3,
}

// Tiny is the plan `make test` runs.
var Tiny = Plan{
	StormSockets: 20,
	FanSockets:   10, FanSenders: 2, FanRate: 5, FanDuration: time.Second,
	HeavySenders: 4, HeavyRate: 10, HeavyDuration: time.Second,
	SatStartRate: 5, SatStep: time.Second, SatMaxSteps: 2, SatP99Limit: 1000,
	RoomSockets: 20, RoomSize: 5, RoomRate: 2, RoomDuration: time.Second,
	LoginRate: 5, LoginDuration: time.Second,
}

// Row holds one scenario's results on each server.
type Row struct {
	Confab, Ceiling, Peer Result
	Base                  Result // another confabd build, if Plan.Base is set
}

type scenario func(Target) (Result, error)

// ScenarioNames are the names Plan.Only takes, in the order they run.
var ScenarioNames = []string{"storm", "fanout", "heavy", "saturation", "rooms", "logins"}

func (p Plan) scenarios() []scenario {
	all := []scenario{
		func(t Target) (Result, error) { return ConnectStorm(t, p.StormSockets) },
		func(t Target) (Result, error) { return FanOut(t, p.FanSockets, p.FanSenders, p.FanRate, p.FanDuration) },
		func(t Target) (Result, error) {
			return FanOut(t, p.FanSockets, p.HeavySenders, p.HeavyRate, p.HeavyDuration)
		},
		func(t Target) (Result, error) {
			return Saturation(t, p.FanSockets, p.FanSenders, p.SatStartRate, p.SatStep, p.SatMaxSteps, p.SatP99Limit)
		},
		func(t Target) (Result, error) {
			return SmallRooms(t, p.RoomSockets, p.RoomSize, p.RoomRate, p.RoomDuration)
		},
		func(t Target) (Result, error) { return LoginStorm(t, p.LoginRate, p.LoginDuration) },
	}
	if len(p.Only) == 0 {
		return all
	}
	var out []scenario
	for i, name := range ScenarioNames {
		if slices.Contains(p.Only, name) {
			out = append(out, all[i])
		}
	}
	return out
}

// Run runs every scenario on each server (confabd, the ceiling if
// p.Ceiling is set, the Node peer), each on a fresh process, p.Repeats
// times, rotating which server goes first, and reports each figure's
// median. progress gets a line per run.
func Run(p Plan, confabd, node, peerScript string, progress io.Writer) ([]Row, error) {
	var rows []Row
	repeats := max(p.Repeats, 1)
	servers := []string{"confab", "peer"}
	if p.Ceiling != "" {
		servers = []string{"confab", "ceiling", "peer"}
	}
	if p.Base != "" {
		servers = append(servers, "base")
	}
	n := 0
	for _, sc := range p.scenarios() {
		got := map[string][]Result{}
		for range repeats {
			for i := range servers {
				which := servers[(n+i)%len(servers)]
				res, err := runOne(p, sc, which, confabd, node, peerScript)
				if err != nil {
					return rows, err
				}
				fmt.Fprintf(progress, "%-8s %s\n", which, res.Scenario)
				got[which] = append(got[which], res)
			}
			n++
		}
		row := Row{Confab: median(got["confab"]), Peer: median(got["peer"])}
		if p.Ceiling != "" {
			row.Ceiling = median(got["ceiling"])
		}
		if p.Base != "" {
			row.Base = median(got["base"])
		}
		rows = append(rows, row)
		if row.Peer.steps != nil {
			rows = append(rows, atPeerBest(row))
		}
	}
	return rows, nil
}

func runOne(p Plan, sc scenario, which, confabd, node, peerScript string) (Result, error) {
	var srv *Server
	var err error
	switch which {
	case "confab":
		srv, err = StartConfab(confabd, p.ConfabEnv, p.ConfabArgs...)
	case "ceiling":
		srv, err = StartCeiling(p.Ceiling)
	case "base":
		if srv, err = StartConfab(p.Base, p.ConfabEnv, p.ConfabArgs...); err == nil {
			srv.Name = "base confab"
		}
	default:
		srv, err = StartPeer(node, peerScript)
	}
	if err != nil {
		return Result{}, err
	}
	res, err := sc(srv.Target)
	srv.Stop()
	if err != nil {
		return res, fmt.Errorf("%s on %s: %w", res.Scenario, srv.Name, err)
	}
	return res, nil
}

// median merges the runs of one scenario on one server: each figure is the
// median of its runs, and the saturation steps of every run are kept.
func median(runs []Result) Result {
	out := Result{Scenario: runs[0].Scenario}
	for i, m := range runs[0].Metrics {
		var vs []float64
		for _, r := range runs {
			if i < len(r.Metrics) {
				vs = append(vs, r.Metrics[i].Value)
			}
		}
		m.Value = medianOf(vs)
		out.Metrics = append(out.Metrics, m)
	}
	for _, r := range runs {
		if r.steps != nil {
			out.steps = append(out.steps, r.steps...)
		}
	}
	return out
}

// medianOf ignores NaN; the median of nothing is NaN.
func medianOf(vs []float64) float64 {
	vs = slices.DeleteFunc(slices.Clone(vs), math.IsNaN)
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// atPeerBest compares the fan-out latency of both servers at the highest
// send rate the peer sustained in the saturation scenario (the median of
// its runs): the measure of latency under the peer's full load.
// Each latency is the median over the runs that sent at that rate.
func atPeerBest(sat Row) Row {
	rate := sat.Peer.value(satRateMetric)
	r := Row{}
	if rate == 0 || math.IsNaN(rate) {
		r.Confab.Scenario = "fan-out at the peer's highest sustained rate: the peer sustained none"
		return r
	}
	r.Confab.Scenario = fmt.Sprintf("fan-out at the peer's highest sustained rate (%.1f msg/s per sender, from saturation)", rate)
	r.Peer.Scenario, r.Ceiling.Scenario = r.Confab.Scenario, r.Confab.Scenario
	at := func(steps []satRun) (p50, p99 float64) {
		var a, b []float64
		for _, s := range steps {
			if math.Abs(s.rate-rate) < 1e-9 {
				a, b = append(a, s.p50), append(b, s.p99)
			}
		}
		return medianOf(a), medianOf(b) // NaN: never sent at that rate (failed below it)
	}
	c50, c99 := at(sat.Confab.steps)
	p50, p99 := at(sat.Peer.steps)
	r.Confab.add("fan-out p50", "ms", c50, false)
	r.Confab.add("fan-out p99", "ms", c99, false)
	r.Peer.add("fan-out p50", "ms", p50, false)
	r.Peer.add("fan-out p99", "ms", p99, false)
	if sat.Ceiling.steps != nil {
		c50, c99 := at(sat.Ceiling.steps)
		r.Ceiling.add("fan-out p50", "ms", c50, false)
		r.Ceiling.add("fan-out p99", "ms", c99, false)
	}
	return r
}

// Table renders rows as Markdown: each figure for Confab, the ceiling and
// the peer, and Confab's ratio to each; with a base build (Plan.Base), its
// figure and Confab's ratio to it too.
func Table(rows []Row) string {
	withBase := slices.ContainsFunc(rows, func(r Row) bool { return len(r.Base.Metrics) > 0 })
	var b strings.Builder
	b.WriteString("| scenario | figure | Confab | ceiling | Node peer | Confab ÷ ceiling | Confab ÷ peer |")
	if withBase {
		b.WriteString(" base | Confab ÷ base | base ÷ peer |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	} else {
		b.WriteString("\n|---|---|---:|---:|---:|---:|---:|\n")
	}
	for _, r := range rows {
		if len(r.Confab.Metrics) == 0 {
			fmt.Fprintf(&b, "| %s | - | - | - | - | - | - |\n", r.Confab.Scenario)
		}
		for i, m := range r.Confab.Metrics {
			ceil, peer := r.Ceiling.value(m.Name), r.Peer.value(m.Name)
			scen := ""
			if i == 0 {
				scen = r.Confab.Scenario
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |", scen, m.label(),
				num(m.Value), num(ceil), num(peer), ratio(m.Value, ceil), ratio(m.Value, peer))
			if withBase {
				base := r.Base.value(m.Name)
				fmt.Fprintf(&b, " %s | %s | %s |", num(base), ratio(m.Value, base), ratio(base, peer))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// ratio is a ÷ b, "-" when either is unknown or b is 0.
func ratio(a, b float64) string {
	if b == 0 || math.IsNaN(b) || math.IsNaN(a) {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// label is a metric's row title: its name, unit and which way is better.
func (m Metric) label() string {
	unit := ""
	if m.Unit != "" && m.Unit != "1/s" {
		unit = " (" + m.Unit + ")"
	}
	better := "lower is better"
	if m.HigherBetter {
		better = "higher is better"
	}
	return m.Name + unit + ", " + better
}
