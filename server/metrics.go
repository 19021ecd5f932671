package server

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"confab/internal/sio"
)

// metrics are the server's Prometheus metrics, served by Metrics on an
// address of their own (--metrics-addr, off by default). Counters and
// gauges are read from the socket server at scrape time; only flush sizes
// and commit times are observed as they happen (one histogram update each).
type metrics struct {
	reg         *prometheus.Registry
	flushFrames prometheus.Histogram
	flushBytes  prometheus.Histogram
	commit      prometheus.Histogram
	commitSize  prometheus.Histogram
	pipes       pipeStats    // pipeline.go
	hashes      atomic.Int64 // passwords.go
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		flushFrames: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "confab_flush_frames", Help: "Websocket frames written together in one coalesced write.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		flushBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "confab_flush_bytes", Help: "Bytes of one coalesced write.",
			Buckets: prometheus.ExponentialBuckets(64, 4, 9),
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "confab_store_commit_seconds", Help: "Time to commit one group of messages, sync included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "confab_store_commit_messages", Help: "Messages committed together in one transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9),
		}),
	}
	m.reg.MustRegister(m.flushFrames, m.flushBytes, m.commit, m.commitSize,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "confab_messages_in_flight", Help: "Messages of sockets queued for their commit and not yet acknowledged.",
		}, func() float64 { return float64(m.pipes.inFlight.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "confab_in_flight_waits_total", Help: "Messages that waited for their socket's oldest at --max-in-flight.",
		}, func() float64 { return float64(m.pipes.waits.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "confab_password_hashes_total", Help: "Passwords hashed or checked (argon2id): sign-ins, sign-ups, password changes and resets.",
		}, func() float64 { return float64(m.hashes.Load()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) committed(took time.Duration, n int) {
	m.commit.Observe(took.Seconds())
	m.commitSize.Observe(float64(n))
}

func (m *metrics) flushed(frames int, bytes int64) {
	m.flushFrames.Observe(float64(frames))
	m.flushBytes.Observe(float64(bytes))
}

// socketCollector reads the socket server's counters at scrape time.
type socketCollector struct{ srv *sio.Server }

var (
	descSockets    = prometheus.NewDesc("confab_sockets", "Sockets connected now.", nil, nil)
	descEvents     = prometheus.NewDesc("confab_events_total", "Events received from clients and handled.", nil, nil)
	descDeliveries = prometheus.NewDesc("confab_deliveries_total", "Messages (events, acknowledgements) queued for sockets.", nil, nil)
	descQueued     = prometheus.NewDesc("confab_queued_bytes", "Bytes waiting to be sent, all sockets together.", nil, nil)
	descFlushes    = prometheus.NewDesc("confab_flushes_total", "Coalesced writes.", nil, nil)
	descDrops      = prometheus.NewDesc("confab_socket_drops_total", "Sockets dropped by the server, by reason.", []string{"reason"}, nil)
)

func (c socketCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSockets, descEvents, descDeliveries, descQueued, descFlushes, descDrops} {
		ch <- d
	}
}

func (c socketCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	ch <- prometheus.MustNewConstMetric(descSockets, prometheus.GaugeValue, float64(st.Sockets))
	ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(st.Events))
	ch <- prometheus.MustNewConstMetric(descDeliveries, prometheus.CounterValue, float64(st.Packets))
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(st.QueuedBytes))
	ch <- prometheus.MustNewConstMetric(descFlushes, prometheus.CounterValue, float64(st.Flushes))
	for reason, n := range st.Drops {
		ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(n), reason)
	}
}

// Metrics is the Prometheus endpoint. Serve it on an address of its own:
// it is not behind any sign-in.
func (s *Server) Metrics() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}
