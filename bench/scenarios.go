package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Target is a running server under test.
type Target struct {
	Name string
	URL  string
	PID  int
	// Others are more processes of the server (a cluster's other nodes and
	// its load balancer): CPU and memory count theirs too.
	Others []int
}

// cpu is the CPU time of the target's processes (-1 if unknown).
func (t Target) cpu() time.Duration {
	total := cpuTime(t.PID)
	for _, pid := range t.Others {
		if c := cpuTime(pid); c >= 0 && total >= 0 {
			total += c
		}
	}
	return total
}

// peakRSSKB is the sum of the target's processes' peak resident memory.
func (t Target) peakRSSKB() int64 {
	total := peakRSSKB(t.PID)
	for _, pid := range t.Others {
		total += peakRSSKB(pid)
	}
	return total
}

// Metric is one measured figure.
type Metric struct {
	Name         string
	Unit         string
	Value        float64
	HigherBetter bool
}

// Result is what one scenario measured on one target.
type Result struct {
	Scenario string
	Metrics  []Metric
	steps    []satRun // saturation's steps, the failing one included
}

// satRateMetric names the saturation figure atPeerBest reads.
const satRateMetric = "at send rate per sender"

// satRun is one send rate of the saturation scenario.
type satRun struct {
	rate     float64 // per sender, msg/s
	p50, p99 float64 // fan-out, ms
	passed   bool
}

// value is the named figure, NaN if absent.
func (r Result) value(name string) float64 {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	return math.NaN()
}

func (r *Result) add(name, unit string, v float64, higherBetter bool) {
	r.Metrics = append(r.Metrics, Metric{Name: name, Unit: unit, Value: v, HigherBetter: higherBetter})
}

const (
	ackTimeout  = 10 * time.Second
	settleTime  = 3 * time.Second // for deliveries still in flight after the senders stop
	usersPerRun = 20              // accounts the sockets of a scenario share
	dialWorkers = 128             // handshakes in flight at once
	satStep     = 1.25            // each saturation step sends this much faster
	stormWarmup = 2               // the connect storm first opens and closes n/stormWarmup sockets
)

// latencies collects durations.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// pct returns the p-th percentile in milliseconds (p in 0..100).
func (l *latencies) pct(p float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	sort.Slice(l.d, func(i, j int) bool { return l.d[i] < l.d[j] })
	i := int(float64(len(l.d)-1) * p / 100)
	return float64(l.d[i]) / float64(time.Millisecond)
}

// tokens signs in usersPerRun accounts on t.
func tokens(t Target, prefix string) ([]string, error) {
	out := make([]string, usersPerRun)
	for i := range out {
		tok, err := account(t.URL, fmt.Sprintf("%s%d", prefix, i))
		if err != nil {
			return nil, err
		}
		out[i] = tok
	}
	return out, nil
}

// dialAttempts: a handshake is tried this often before it counts as failed
// (Confab's library now and then drops a CONNECT: docs/pitfalls.md, 18).
const dialAttempts = 3

// dialMany opens n sockets, dialWorkers at a time. It returns the sockets,
// how many could not be opened, and how many handshakes had to be retried.
func dialMany(t Target, toks []string, n int, onMessage func(i int) func(string, time.Time)) ([]*vclient, int, int) {
	socks := make([]*vclient, n)
	var failures, retries atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < dialWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var cb func(string, time.Time)
				if onMessage != nil {
					cb = onMessage(i)
				}
				for a := 0; a < dialAttempts; a++ {
					if a > 0 {
						retries.Add(1)
					}
					if v, err := dial(t.URL, toks[i%len(toks)], cb); err == nil {
						socks[i] = v
						break
					}
				}
				if socks[i] == nil {
					failures.Add(1)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return socks, int(failures.Load()), int(retries.Load())
}

func closeAll(socks []*vclient) {
	for _, v := range socks {
		if v != nil {
			v.close()
		}
	}
}

// ConnectStorm opens n authenticated sockets as fast as the server takes
// them, then measures the server's memory per idle socket.
func ConnectStorm(t Target, n int) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("connect storm, %d sockets", n)}
	toks, err := tokens(t, "storm")
	if err != nil {
		return r, err
	}
	time.Sleep(500 * time.Millisecond)
	rssBefore := rssKB(t.PID) // of the idle server: what the sockets cost, whatever the warm-up left
	// Warm up first: Node compiles its hot paths as it runs (a cold peer
	// handshakes at half its speed), and the comparison is with its best.
	warm, _, _ := dialMany(t, toks, n/stormWarmup, nil)
	closeAll(warm)
	time.Sleep(500 * time.Millisecond)
	cpuBefore, loadBefore := cpuTime(t.PID), ownCPU()
	start := time.Now()
	socks, failures, retries := dialMany(t, toks, n, nil)
	el := time.Since(start)
	cpuUsed, loadUsed := cpuTime(t.PID)-cpuBefore, ownCPU()-loadBefore
	defer closeAll(socks)
	r.add("sockets/s", "1/s", float64(n-failures)/el.Seconds(), true)
	r.add("failures", "", float64(failures), false)
	r.add("handshakes retried", "", float64(retries), false)
	if cpuBefore >= 0 && n > failures {
		r.add("server CPU per handshake", "µs", float64(cpuUsed)/float64(time.Microsecond)/float64(n-failures), false)
		r.add("load generator CPU per handshake", "µs", float64(loadUsed)/float64(time.Microsecond)/float64(n-failures), false)
	}
	time.Sleep(2 * time.Second) // let allocations settle
	if rssBefore > 0 {
		r.add("RSS per idle socket", "KiB", float64(rssKB(t.PID)-rssBefore)/float64(n-failures), false)
	}
	return r, nil
}

// fanOutRun is one fan-out measurement.
type fanOutRun struct {
	sent, acked, delivered, lost, unacked int // lost: deliveries of acknowledged messages that never came
	refused                               int // of unacked: answered, but not ok (refused with a reason)
	fan, ack                              *latencies
	kept                                  *latencies // fan-out of the sockets that got every acknowledged message
	keptUp                                int        // how many sockets those are
	elapsed                               time.Duration
	serverCPU                             time.Duration // from the first send until the deliveries settled; -1 if unknown
}

// fanOut: sockets in rooms of roomSize (0: all in general); the first
// senders sockets (or every socket, with allSend) send rate msg/s for dur.
func fanOut(t Target, sockets, roomSize, senders int, allSend bool, rate float64, dur time.Duration) (*fanOutRun, error) {
	toks, err := tokens(t, "fan")
	if err != nil {
		return nil, err
	}
	run := &fanOutRun{fan: &latencies{}, ack: &latencies{}, kept: &latencies{}}
	var delivered atomic.Int64
	var countsMu sync.Mutex
	counts := map[string]int{}
	// Each socket's own fan-out and deliveries: the sockets that keep up
	// are told apart from those that fall behind (or are dropped).
	bySocket := make([]latencies, sockets)
	onMessage := func(i int) func(string, time.Time) {
		return func(text string, at time.Time) {
			parts := strings.SplitN(text, ":", 3)
			if len(parts) != 3 || parts[0] != "b" {
				return
			}
			if ns, err := strconv.ParseInt(parts[1], 10, 64); err == nil {
				run.fan.add(at.Sub(time.Unix(0, ns)))
				bySocket[i].add(at.Sub(time.Unix(0, ns)))
			}
			delivered.Add(1)
			countsMu.Lock()
			counts[parts[2]]++
			countsMu.Unlock()
		}
	}
	socks, failures, _ := dialMany(t, toks, sockets, onMessage)
	defer closeAll(socks)
	if failures > 0 {
		return nil, fmt.Errorf("%d sockets failed to connect", failures)
	}
	room := func(i int) string {
		if roomSize <= 0 {
			return "general"
		}
		return fmt.Sprintf("r%d", i/roomSize)
	}
	if roomSize > 0 {
		var wg sync.WaitGroup
		for i, v := range socks {
			wg.Add(1)
			go func(i int, v *vclient) {
				defer wg.Done()
				v.call("join", map[string]any{"room": room(i)}, ackTimeout) //nolint:errcheck
			}(i, v)
		}
		wg.Wait()
	}
	if allSend {
		senders = sockets
	}
	// receivers of a message from socket i: everyone else in its room
	receivers := func(i int) int {
		if roomSize <= 0 {
			return sockets - 1
		}
		first := (i / roomSize) * roomSize
		return min(first+roomSize, sockets) - first - 1
	}
	var ackedMu sync.Mutex
	acked := map[string]int{} // seq -> sender
	var sent, refused atomic.Int64
	var wg sync.WaitGroup
	cpu0 := t.cpu()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			interval := time.Duration(float64(time.Second) / rate)
			tick := time.NewTicker(interval)
			defer tick.Stop()
			var inflight sync.WaitGroup
			defer inflight.Wait()
			for n := 0; time.Since(start) < dur; n++ {
				<-tick.C
				seq := fmt.Sprintf("%d-%d", s, n)
				inflight.Add(1)
				sent.Add(1)
				go func() {
					defer inflight.Done()
					t0 := time.Now()
					res, err := socks[s].call("message", map[string]any{"room": room(s), "text": fmt.Sprintf("b:%d:%s", t0.UnixNano(), seq)}, ackTimeout)
					if err == nil && res["ok"] == true {
						run.ack.add(time.Since(t0))
						ackedMu.Lock()
						acked[seq] = s
						ackedMu.Unlock()
					} else if err == nil {
						refused.Add(1)
					}
				}()
			}
		}(s)
	}
	wg.Wait()
	run.elapsed = time.Since(start)
	deadline := time.Now().Add(settleTime)
	expected := 0
	for _, s := range acked {
		expected += receivers(s)
	}
	for time.Now().Before(deadline) && int(delivered.Load()) < expected {
		time.Sleep(50 * time.Millisecond)
	}
	run.sent, run.acked, run.delivered = int(sent.Load()), len(acked), int(delivered.Load())
	run.serverCPU = -1
	if cpu0 >= 0 {
		run.serverCPU = t.cpu() - cpu0
	}
	countsMu.Lock()
	for seq, s := range acked {
		if missing := receivers(s) - counts[seq]; missing > 0 {
			run.lost += missing
		}
	}
	countsMu.Unlock()
	run.unacked = run.sent - run.acked
	run.refused = int(refused.Load())
	keptUp(run, bySocket, acked, room)
	return run, nil
}

// keptUp finds the sockets that got at least every acknowledged message
// sent to their room by another socket, and pools their fan-out.
func keptUp(run *fanOutRun, bySocket []latencies, acked map[string]int, room func(int) string) {
	perRoom, perSender := map[string]int{}, map[int]int{}
	for _, s := range acked {
		perRoom[room(s)]++
		perSender[s]++
	}
	for i := range bySocket {
		l := &bySocket[i]
		l.mu.Lock() // late deliveries may still come in
		if len(l.d) >= perRoom[room(i)]-perSender[i] {
			run.keptUp++
			run.kept.d = append(run.kept.d, l.d...)
		}
		l.mu.Unlock()
	}
}

// FanOut measures one room with many listeners and a few senders.
func FanOut(t Target, sockets, senders int, rate float64, dur time.Duration) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("room fan-out, %d sockets, %d senders x %g msg/s, %s", sockets, senders, rate, dur)}
	run, err := fanOut(t, sockets, 0, senders, false, rate, dur)
	if err != nil {
		return r, err
	}
	r.add("delivered/s", "1/s", float64(run.delivered)/run.elapsed.Seconds(), true)
	r.add("lost", "", float64(run.lost), false)
	r.add("unacknowledged", "", float64(run.unacked), false)
	r.add("of them refused with a reason", "", float64(run.refused), false)
	r.add("fan-out p50", "ms", run.fan.pct(50), false)
	r.add("fan-out p99", "ms", run.fan.pct(99), false)
	r.add("fan-out max", "ms", run.fan.pct(100), false)
	r.add("sockets that got every acknowledged message", "", float64(run.keptUp), true)
	r.add("fan-out p99 of those sockets", "ms", run.kept.pct(99), false)
	r.add("ack p50", "ms", run.ack.pct(50), false)
	r.add("ack p99", "ms", run.ack.pct(99), false)
	perDelivery := math.NaN()
	if run.serverCPU >= 0 && run.delivered > 0 {
		perDelivery = float64(run.serverCPU) / float64(time.Microsecond) / float64(run.delivered)
	}
	r.add("server CPU per delivery", "µs", perDelivery, false)
	r.add("peak RSS", "MB", float64(t.peakRSSKB())/1024, false)
	return r, nil
}

// Saturation raises the send rate step by step until fan-out p99 passes
// limitP99 or anything is lost, and reports the best rate that passed.
func Saturation(t Target, sockets, senders int, startRate float64, step time.Duration, maxSteps int, limitP99 float64) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("saturation, %d sockets, %d senders, p99 under %g ms, no loss", sockets, senders, limitP99)}
	best, bestRate := 0.0, 0.0
	for i, rate := 0, startRate; i < maxSteps; i, rate = i+1, rate*satStep {
		run, err := fanOut(t, sockets, 0, senders, false, rate, step)
		if err != nil {
			return r, err
		}
		passed := run.lost+run.unacked == 0 && run.fan.pct(99) <= limitP99
		r.steps = append(r.steps, satRun{rate: rate, p50: run.fan.pct(50), p99: run.fan.pct(99), passed: passed})
		if !passed {
			break
		}
		best, bestRate = float64(run.delivered)/run.elapsed.Seconds(), rate
	}
	r.add("sustained delivered/s", "1/s", best, true)
	r.add(satRateMetric, "msg/s", bestRate, true)
	return r, nil
}

// SmallRooms: many rooms of a few sockets, everyone posting.
func SmallRooms(t Target, sockets, roomSize int, rate float64, dur time.Duration) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("small rooms, %d sockets in rooms of %d, all posting %g msg/s, %s", sockets, roomSize, rate, dur)}
	run, err := fanOut(t, sockets, roomSize, 0, true, rate, dur)
	if err != nil {
		return r, err
	}
	r.add("delivered/s", "1/s", float64(run.delivered)/run.elapsed.Seconds(), true)
	r.add("lost", "", float64(run.lost), false)
	r.add("unacknowledged", "", float64(run.unacked), false)
	r.add("fan-out p99", "ms", run.fan.pct(99), false)
	return r, nil
}

// loginAccounts is how many accounts, each signing in from its own
// loopback address, share a login storm. Confab lets one username have 5
// logins in flight and one address 20 (issue 11's limits; a success gives
// its place back): one account from one address measured those limits, not
// the login path (993 of 1,000 refused with 429).
const loginAccounts = 50

// LoginStorm signs loginAccounts accounts in, rate times a second in all,
// for dur.
func LoginStorm(t Target, rate float64, dur time.Duration) (Result, error) {
	r := Result{Scenario: fmt.Sprintf("login storm, %g logins/s for %s (%d accounts and addresses)", rate, dur, loginAccounts)}
	bodies := make([][]byte, loginAccounts)
	clients := make([]*http.Client, loginAccounts)
	for i := range bodies {
		name := fmt.Sprintf("loginstorm%d", i)
		if _, err := account(t.URL, name); err != nil {
			return r, err
		}
		bodies[i], _ = json.Marshal(map[string]string{"username": name, "password": "bench-password"})
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(i+1))}}
		clients[i] = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 100}}
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()
	lat := &latencies{}
	var ok, failed atomic.Int64
	cpu0 := cpuTime(t.PID)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; time.Since(start) < dur; i++ {
		<-tick.C
		wg.Add(1)
		go func(c *http.Client, body []byte) {
			defer wg.Done()
			t0 := time.Now()
			resp, err := c.Post(t.URL+"/login", "application/json", bytes.NewReader(body))
			if err != nil {
				failed.Add(1)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
				return
			}
			lat.add(time.Since(t0))
			ok.Add(1)
		}(clients[i%loginAccounts], bodies[i%loginAccounts])
	}
	wg.Wait()
	r.add("logins/s", "1/s", float64(ok.Load())/time.Since(start).Seconds(), true)
	r.add("failed", "", float64(failed.Load()), false)
	r.add("login p99", "ms", lat.pct(99), false)
	if ok.Load() > 0 && cpu0 >= 0 {
		r.add("server CPU per login", "ms", float64(cpuTime(t.PID)-cpu0)/float64(time.Millisecond)/float64(ok.Load()), false)
	}
	return r, nil
}

// rssKB is a process's resident memory (0 if unknown).
func rssKB(pid int) int64 { return statusKB(pid, "VmRSS:") }

// statusKB reads one kB figure of /proc/PID/status.
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// peakRSSKB is a process's peak resident memory so far (0 if unknown).
func peakRSSKB(pid int) int64 { return statusKB(pid, "VmHWM:") }

// ownCPU is the CPU time this process (the load generator) has used.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuTime is a process's user+system CPU time (-1 if unknown).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
}
