package hub

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
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
	// Lag is how long after its time stamp an event reached this
	// instance's replica: between instances, the bus's delay.
	Lag prometheus.Histogram
	// Gaps counts the times a replica found events its subscription had
	// skipped, and read them from the log.
	Gaps prometheus.Counter
	// Joins counts POST /api/join by result: ok or an error code.
	Joins *prometheus.CounterVec
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
		Lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "townhall_event_lag_seconds",
			Help: "From an event's time stamp (set where it was appended) to this instance applying it from its subscription.",
			// 0.5 ms to 16 s; clocks of different hosts add their skew.
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		Gaps: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "townhall_event_gaps_filled_total", Help: "Times a session's subscription skipped events and they were read from the log.",
		}),
		Joins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "townhall_joins_total", Help: "POST /api/join by result (ok or an error code).",
		}, []string{"result"}),
	}
	for _, r := range []session.Role{session.Facilitator, session.Display, session.Attendee} {
		m.Connections.WithLabelValues(string(r))
	}
	for _, r := range []string{"ok", protocol.CodeNotFound, protocol.CodeRateLimited, protocol.CodeBadRequest,
		protocol.CodeUnsupportedMediaType, protocol.CodeSessionEnded, protocol.CodeLimitReached,
		protocol.CodeInternal, protocol.CodeUnavailable} {
		m.Joins.WithLabelValues(r)
	}
	for _, r := range []protocol.CloseReason{protocol.CloseReasonNoPong, protocol.CloseReasonFlooding,
		protocol.CloseReasonTooMany, protocol.CloseReasonInvalidUTF8} {
		m.Closed.WithLabelValues(r.Reason) // every series from the start
	}
	reg.MustRegister(m.Connections, m.Sessions, m.Commands, m.PushLatency, m.CommandTime, m.Frames, m.SlowClosed, m.Closed,
		m.Lag, m.Gaps, m.Joins)
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

// lag records how late the events of a batch from the subscription were
// applied.
func (m *Metrics) lag(evs []session.Event, now time.Time) {
	if m == nil {
		return
	}
	for _, e := range evs {
		if !e.Time.IsZero() {
			m.Lag.Observe(max(now.Sub(e.Time), 0).Seconds())
		}
	}
}

func (m *Metrics) gap() {
	if m != nil {
		m.Gaps.Inc()
	}
}

// Join counts a join attempt's result. A nil *Metrics counts nothing.
func (m *Metrics) Join(result string) {
	if m != nil {
		m.Joins.WithLabelValues(result).Inc()
	}
}

// Metrics returns the manager's metrics, nil if it has none.
func (m *Manager) Metrics() *Metrics { return m.cfg.Metrics }
