package eventlog

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/townhall/townhall/session"
)

// Error kinds of StoreMetrics.Errors. Every kind has a series from the
// start, so that an alert on a rate sees a zero, not an absent series.
const (
	KindNotFound    = "not_found"   // the session does not exist (deleted, or a wrong id)
	KindClosed      = "closed"      // the store is closing: shutdown
	KindCanceled    = "canceled"    // the caller gave up (a client went away)
	KindTimeout     = "timeout"     // the store did not answer in time
	KindUnavailable = "unavailable" // the store cannot be reached
	KindOther       = "other"       // anything else: a full disk, Redis out of memory
)

var errorKinds = []string{KindNotFound, KindClosed, KindCanceled, KindTimeout, KindUnavailable, KindOther}

// Operations of StoreMetrics.Errors.
var storeOps = []string{"append", "read", "snapshot"}

// StoreMetrics are the store's Prometheus collectors. A nil *StoreMetrics
// records nothing.
type StoreMetrics struct {
	AppendTime   prometheus.Histogram
	ReadTime     prometheus.Histogram
	SnapshotTime prometheus.Histogram
	SnapshotSize prometheus.Histogram
	Errors       *prometheus.CounterVec
	Resyncs      prometheus.Counter
}

// NewStoreMetrics makes the collectors and registers them with reg.
func NewStoreMetrics(reg prometheus.Registerer) *StoreMetrics {
	m := &StoreMetrics{
		AppendTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "townhall_store_append_seconds",
			Help: "Time an append takes until it is durable (an fsync batch, or a Redis round trip), failed ones included.",
			// 0.1 ms to 3 s: an embedded fsync is a few ms, a Redis call
			// under a second unless it times out.
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 15),
		}),
		ReadTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "townhall_store_read_seconds",
			Help:    "Time a read of a session's log takes (loading a session, catching up, filling a gap).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 15),
		}),
		SnapshotTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "townhall_store_snapshot_save_seconds",
			Help:    "Time saving a session's snapshot takes.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 15),
		}),
		SnapshotSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "townhall_store_snapshot_bytes",
			Help: "Size of the snapshots saved.",
			// 1 KiB to 16 MiB: an empty session's is a few hundred bytes,
			// 500 participants' about 1 MB.
			Buckets: prometheus.ExponentialBuckets(1024, 4, 8),
		}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "townhall_store_errors_total",
			Help: "Failed store calls by operation (append, read, snapshot) and kind.",
		}, []string{"op", "kind"}),
		Resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "townhall_redis_resyncs_total",
			Help: "Times the Redis pub/sub connection came back from a fault and every session re-read its log (0 on the embedded store).",
		}),
	}
	for _, op := range storeOps {
		for _, k := range errorKinds {
			m.Errors.WithLabelValues(op, k)
		}
	}
	reg.MustRegister(m.AppendTime, m.ReadTime, m.SnapshotTime, m.SnapshotSize, m.Errors, m.Resyncs)
	return m
}

// ErrorKind names the kind of a store error for a metric label.
func ErrorKind(err error) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return KindNotFound
	case errors.Is(err, ErrClosed):
		return KindClosed
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, ErrUnavailable):
		return KindUnavailable
	}
	return KindOther
}

func (m *StoreMetrics) failed(op string, err error) {
	if m != nil && err != nil {
		m.Errors.WithLabelValues(op, ErrorKind(err)).Inc()
	}
}

// Measured is a Store that records its calls in StoreMetrics. It passes on
// the optional abilities of the store it wraps (WriteProber, Resyncer), so
// that Watch can wrap it.
type Measured struct {
	Store
	m *StoreMetrics

	// Resync signals are counted on their way through, by a goroutine
	// that Close stops and waits for.
	resync chan struct{}
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

var (
	_ Store       = (*Measured)(nil)
	_ WriteProber = (*Measured)(nil)
	_ Resyncer    = (*Measured)(nil)
)

// Measure wraps s. Close the result, not s, so that its goroutine ends.
func Measure(s Store, m *StoreMetrics) *Measured {
	ms := &Measured{Store: s, m: m, stop: make(chan struct{}), done: make(chan struct{})}
	r, ok := s.(Resyncer)
	if !ok {
		close(ms.done)
		return ms
	}
	ms.resync = make(chan struct{}, 1)
	go func() {
		defer close(ms.done)
		in := r.Resync()
		for {
			select {
			case <-ms.stop:
				return
			case <-in:
				if m != nil {
					m.Resyncs.Inc()
				}
				// Signals coalesce, as the wrapped store's do: one
				// pending resync re-reads everything already.
				select {
				case ms.resync <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ms
}

// Append implements Log.
func (s *Measured) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	start := time.Now()
	off, err := s.Store.Append(ctx, id, e)
	if s.m != nil {
		s.m.AppendTime.Observe(time.Since(start).Seconds())
		s.m.failed("append", err)
	}
	return off, err
}

// Read implements Log.
func (s *Measured) Read(ctx context.Context, id string, after uint64, limit int) ([]session.Event, error) {
	start := time.Now()
	evs, err := s.Store.Read(ctx, id, after, limit)
	if s.m != nil {
		s.m.ReadTime.Observe(time.Since(start).Seconds())
		s.m.failed("read", err)
	}
	return evs, err
}

// SaveSnapshot implements Snapshots.
func (s *Measured) SaveSnapshot(ctx context.Context, id string, offset uint64, state []byte) error {
	start := time.Now()
	err := s.Store.SaveSnapshot(ctx, id, offset, state)
	if s.m != nil {
		s.m.SnapshotTime.Observe(time.Since(start).Seconds())
		if err == nil {
			s.m.SnapshotSize.Observe(float64(len(state)))
		}
		s.m.failed("snapshot", err)
	}
	return err
}

// ProbeWrite implements WriteProber when the wrapped store does; a store
// that cannot probe fails the probe, as if Watch saw no prober.
func (s *Measured) ProbeWrite(ctx context.Context) error {
	if p, ok := s.Store.(WriteProber); ok {
		return p.ProbeWrite(ctx)
	}
	return errors.New("eventlog: the store cannot probe writes")
}

// Resync implements Resyncer: the wrapped store's signals, counted. A
// store without them never sends one.
func (s *Measured) Resync() <-chan struct{} { return s.resync }

// Close stops counting resyncs and closes the wrapped store.
func (s *Measured) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	return s.Store.Close()
}
