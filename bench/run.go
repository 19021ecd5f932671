package bench

import (
	"fmt"
	"io"
	"math"
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
	SatStartRate  float64
	SatStep       time.Duration
	SatMaxSteps   int
	SatP99Limit   float64 // ms
	RoomSockets   int
	RoomSize      int
	RoomRate      float64
	RoomDuration  time.Duration
	LoginRate     float64
	LoginDuration time.Duration
}

// Default is the plan of `make bench`.
var Default = Plan{
	StormSockets: 2000,
	FanSockets:   500, FanSenders: 4, FanRate: 20, FanDuration: 20 * time.Second,
	SatStartRate: 20, SatStep: 5 * time.Second, SatMaxSteps: 10, SatP99Limit: 100,
	RoomSockets: 1000, RoomSize: 10, RoomRate: 1, RoomDuration: 10 * time.Second,
	LoginRate: 200, LoginDuration: 5 * time.Second,
}

// Tiny is the plan `make test` runs.
var Tiny = Plan{
	StormSockets: 20,
	FanSockets:   10, FanSenders: 2, FanRate: 5, FanDuration: time.Second,
	SatStartRate: 5, SatStep: time.Second, SatMaxSteps: 2, SatP99Limit: 1000,
	RoomSockets: 20, RoomSize: 5, RoomRate: 2, RoomDuration: time.Second,
	LoginRate: 5, LoginDuration: time.Second,
}

// Row pairs one scenario's results on both servers.
type Row struct {
	Confab, Peer Result
}

type scenario func(Target) (Result, error)

func (p Plan) scenarios() []scenario {
	return []scenario{
		func(t Target) (Result, error) { return ConnectStorm(t, p.StormSockets) },
		func(t Target) (Result, error) { return FanOut(t, p.FanSockets, p.FanSenders, p.FanRate, p.FanDuration) },
		func(t Target) (Result, error) {
			return Saturation(t, p.FanSockets, p.FanSenders, p.SatStartRate, p.SatStep, p.SatMaxSteps, p.SatP99Limit)
		},
		func(t Target) (Result, error) {
			return SmallRooms(t, p.RoomSockets, p.RoomSize, p.RoomRate, p.RoomDuration)
		},
		func(t Target) (Result, error) { return LoginStorm(t, p.LoginRate, p.LoginDuration) },
	}
}

// Run runs every scenario on both servers, each on a fresh process,
// alternating which goes first. progress gets a line per run.
func Run(p Plan, confabd, node, peerScript string, progress io.Writer) ([]Row, error) {
	var rows []Row
	for i, sc := range p.scenarios() {
		var row Row
		order := []string{"confab", "peer"}
		if i%2 == 1 {
			order = []string{"peer", "confab"}
		}
		for _, which := range order {
			var srv *Server
			var err error
			if which == "confab" {
				srv, err = StartConfab(confabd)
			} else {
				srv, err = StartPeer(node, peerScript)
			}
			if err != nil {
				return rows, err
			}
			res, err := sc(srv.Target)
			srv.Stop()
			if err != nil {
				return rows, fmt.Errorf("%s on %s: %w", res.Scenario, srv.Name, err)
			}
			fmt.Fprintf(progress, "%-8s %s\n", which, res.Scenario)
			if which == "confab" {
				row.Confab = res
			} else {
				row.Peer = res
			}
		}
		rows = append(rows, row)
		if row.Peer.steps != nil {
			rows = append(rows, atPeerBest(row))
		}
	}
	return rows, nil
}

// atPeerBest compares the fan-out latency of both servers at the highest
// send rate the peer sustained in the saturation scenario: the issue's
// measure of latency under the peer's full load.
func atPeerBest(sat Row) Row {
	var best *satRun
	for i := range sat.Peer.steps {
		if sat.Peer.steps[i].passed {
			best = &sat.Peer.steps[i]
		}
	}
	r := Row{}
	if best == nil {
		r.Confab.Scenario = "fan-out at the peer's highest sustained rate: the peer sustained none"
		return r
	}
	r.Confab.Scenario = fmt.Sprintf("fan-out at the peer's highest sustained rate (%g msg/s per sender, from saturation)", best.rate)
	r.Peer.Scenario = r.Confab.Scenario
	confab := satRun{p50: math.NaN(), p99: math.NaN()} // Confab never ran that rate: it failed below it
	for _, s := range sat.Confab.steps {
		if s.rate == best.rate {
			confab = s
		}
	}
	r.Confab.add("fan-out p50", "ms", confab.p50, false)
	r.Confab.add("fan-out p99", "ms", confab.p99, false)
	r.Peer.add("fan-out p50", "ms", best.p50, false)
	r.Peer.add("fan-out p99", "ms", best.p99, false)
	return r
}

// Table renders rows as Markdown: each figure for Confab, the peer, and their ratio.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| scenario | figure | Confab | Node peer | Confab ÷ peer |\n|---|---|---:|---:|---:|\n")
	for _, r := range rows {
		for i, m := range r.Confab.Metrics {
			peer := math.NaN()
			if i < len(r.Peer.Metrics) {
				peer = r.Peer.Metrics[i].Value
			}
			ratio := "-"
			if peer != 0 && !math.IsNaN(peer) {
				ratio = fmt.Sprintf("%.2f", m.Value/peer)
			}
			scen := ""
			if i == 0 {
				scen = r.Confab.Scenario
			}
			unit := ""
			if m.Unit != "" && m.Unit != "1/s" {
				unit = " (" + m.Unit + ")"
			}
			better := "lower is better"
			if m.HigherBetter {
				better = "higher is better"
			}
			fmt.Fprintf(&b, "| %s | %s%s, %s | %s | %s | %s |\n", scen, m.Name, unit, better, num(m.Value), num(peer), ratio)
		}
	}
	return b.String()
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
