package hub

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/townhall/townhall/protocol"
)

// Metrics are the hub's Prometheus collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	Connections *prometheus.GaugeVec
	Sessions    prometheus.Gauge
	Commands    *prometheus.CounterVec
	PushLatency prometheus.Histogram
	CommandTime prometheus.Histogram
	Frames      prometheus.Counter
	SlowClosed  prometheus.Counter
	Closed      *prometheus.CounterVec
}

// NewMetrics makes the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "townhall_connections", Help: "Open websocket connections by role.",
		}, []string{"role"}),
		Sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "townhall_sessions", Help: "Sessions hosted by this instance (hubs open).",
		}),
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "townhall_commands_total", Help: "Commands by op and result (ok or an error code).",
		}, []string{"op", "result"}),
		PushLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "townhall_push_latency_seconds",
			Help:    "From the first change of a tick's state to its frames being queued on every connection.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 12),
		}),
		CommandTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "townhall_command_seconds",
			Help: "From a command read off the socket to its answer queued: check, append, apply.",
			// 0.25 ms to 8 s: an append waits for an fsync or a Redis round trip.
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 16),
		}),
		Frames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "townhall_frames_written_total", Help: "Websocket frames written.",
		}),
		SlowClosed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "townhall_slow_clients_closed_total", Help: "Connections closed because they could not keep up.",
		}),
		Closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "townhall_connections_closed_total",
			Help: "Connections the server closed, by reason (no pong, flooding, too many per token, not UTF-8).",
		}, []string{"reason"}),
	}
	for _, r := range []protocol.CloseReason{protocol.CloseReasonNoPong, protocol.CloseReasonFlooding,
		protocol.CloseReasonTooMany, protocol.CloseReasonInvalidUTF8} {
		m.Closed.WithLabelValues(r.Reason) // every series from the start
	}
	reg.MustRegister(m.Connections, m.Sessions, m.Commands, m.PushLatency, m.CommandTime, m.Frames, m.SlowClosed, m.Closed)
	return m
}

func (m *Metrics) closed(r protocol.CloseReason) {
	if m != nil {
		m.Closed.WithLabelValues(r.Reason).Inc()
	}
}

func (m *Metrics) command(op, result string) {
	if m != nil {
		m.Commands.WithLabelValues(op, result).Inc()
	}
}
