package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"confab/internal/testserver"
	"confab/server"
	"confab/wire"
)

// scrape reads the metrics endpoint as Prometheus would.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func value(f *dto.MetricFamily, labels ...string) float64 {
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// The metrics endpoint counts sockets, events, deliveries, writes, drops by
// reason and commits, as a scrape sees them.
func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	env := testserver.Start(t, server.Config{})
	ms := httptest.NewServer(env.Srv.Metrics())
	t.Cleanup(ms.Close)
	alice := env.Register("alice", "password-a")
	bob := env.Register("bob", "password-b")
	sa, sb := dial(t, env, alice.Token), dial(t, env, bob.Token)
	wantOK(t, call(t, sa, wire.EventMessage, map[string]any{"text": "hello"}))
	if _, err := sb.WaitEvents(wire.EventMessage, 1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	f := scrape(t, ms.URL)
	for name, atLeast := range map[string]float64{
		"confab_sockets":               2,
		"confab_events_total":          1,
		"confab_deliveries_total":      2, // the ack and bob's copy
		"confab_flushes_total":         1,
		"confab_flush_frames":          1,
		"confab_flush_bytes":           1,
		"confab_store_commit_seconds":  1,
		"confab_store_commit_messages": 1,
		"confab_queued_bytes":          0,
	} {
		if v := value(f[name]); v < atLeast {
			t.Errorf("%s = %v, want at least %v", name, v, atLeast)
		}
	}
	for _, reason := range []string{"slow_reader", "write_stalled"} {
		if v := value(f["confab_socket_drops_total"], "reason", reason); v != 0 {
			t.Errorf("drops for %s = %v, want 0", reason, v)
		}
	}
	sb.Close()
	for value(scrape(t, ms.URL)["confab_sockets"]) != 1 {
		time.Sleep(10 * time.Millisecond) // until the server has seen bob go
	}
}
