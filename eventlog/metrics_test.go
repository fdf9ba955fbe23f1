package eventlog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/townhall/townhall/internal/redistest"
)

// The measured store, under Watch as cmd/townhall stacks them, still keeps
// the whole contract of Store, on both implementations.
func TestMeasuredEmbedded(t *testing.T) {
	t.Parallel()
	testStore(t, func(t *testing.T) Store {
		s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		m := Measure(s, NewStoreMetrics(prometheus.NewRegistry()))
		t.Cleanup(func() { m.Close() })
		return Watch(m)
	})
}

func TestMeasuredRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	testStore(t, func(t *testing.T) Store {
		r, err := OpenRedis(context.Background(), RedisConfig{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		m := Measure(r, NewStoreMetrics(prometheus.NewRegistry()))
		t.Cleanup(func() { m.Close() })
		return Watch(m)
	})
}

func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	for _, f := range gather(t, reg) {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func histogramSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	for _, f := range gather(t, reg) {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram().GetSampleSum()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func gather(t *testing.T, reg *prometheus.Registry) []*dto.MetricFamily {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func TestStoreMetricsEverySeriesFromStart(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	NewStoreMetrics(reg)
	want := map[string]int{
		"townhall_store_append_seconds":        1,
		"townhall_store_read_seconds":          1,
		"townhall_store_snapshot_save_seconds": 1,
		"townhall_store_snapshot_bytes":        1,
		"townhall_store_errors_total":          len(storeOps) * len(errorKinds),
		"townhall_redis_resyncs_total":         1,
	}
	for _, f := range gather(t, reg) {
		if n, ok := want[f.GetName()]; ok && len(f.GetMetric()) == n {
			delete(want, f.GetName())
		}
	}
	if len(want) > 0 {
		t.Fatalf("missing or short before any call: %v", want)
	}
}

func TestMeasuredRecordsCallsAndErrorsByKind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	met := NewStoreMetrics(reg)
	m := Measure(s, met)
	defer m.Close()
	id := newSession(t, m)
	for _, c := range []string{"a", "b", "c"} {
		if _, err := m.Append(ctx, id, vote(c)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Append(ctx, "nosuch", vote("d")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("append to a missing session: %v", err)
	}
	if evs, err := m.Read(ctx, id, 0, 10); err != nil || len(evs) != 3 {
		t.Fatalf("read %d events, %v", len(evs), err)
	}
	state := make([]byte, 5000)
	if err := m.SaveSnapshot(ctx, id, 3, state); err != nil {
		t.Fatal(err)
	}
	if err := m.SaveSnapshot(ctx, "nosuch", 1, state); err == nil {
		t.Fatal("a snapshot of a missing session was saved")
	}

	if n := histogramCount(t, reg, "townhall_store_append_seconds"); n != 4 {
		t.Errorf("append latency has %d samples, want 4 (failures count too)", n)
	}
	if n := histogramCount(t, reg, "townhall_store_read_seconds"); n != 1 {
		t.Errorf("read latency has %d samples, want 1", n)
	}
	if n := histogramCount(t, reg, "townhall_store_snapshot_save_seconds"); n != 2 {
		t.Errorf("snapshot time has %d samples, want 2", n)
	}
	if n, sum := histogramCount(t, reg, "townhall_store_snapshot_bytes"), histogramSum(t, reg, "townhall_store_snapshot_bytes"); n != 1 || sum != 5000 {
		t.Errorf("snapshot size: %d samples of %v bytes, want the one saved, 5000", n, sum)
	}
	if got := testutil.ToFloat64(met.Errors.WithLabelValues("append", KindNotFound)); got != 1 {
		t.Errorf("append not_found errors = %v, want 1", got)
	}
	if got := testutil.ToFloat64(met.Errors.WithLabelValues("append", KindOther)); got != 0 {
		t.Errorf("append other errors = %v, want 0", got)
	}
	if got := testutil.ToFloat64(met.Errors.WithLabelValues("snapshot", KindNotFound)) +
		testutil.ToFloat64(met.Errors.WithLabelValues("snapshot", KindOther)); got != 1 {
		t.Errorf("snapshot errors = %v, want 1", got)
	}

	// Closed, the store says so by kind, and Close returns once the
	// goroutine (none on the embedded store) is gone.
	m.Close()
	if _, err := m.Append(ctx, id, vote("e")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if got := testutil.ToFloat64(met.Errors.WithLabelValues("append", KindClosed)); got != 1 {
		t.Errorf("append closed errors = %v, want 1", got)
	}
}

func TestErrorKind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{ErrNotFound, KindNotFound},
		{ErrClosed, KindClosed},
		{context.Canceled, KindCanceled},
		{context.DeadlineExceeded, KindTimeout},
		{errors.Join(ErrUnavailable, errors.New("dial tcp: refused")), KindUnavailable},
		{errors.New("no space left on device"), KindOther},
	} {
		if got := ErrorKind(c.err); got != c.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// Redis frozen: appends fail as timeouts or unavailable, Watch over the
// measured store takes the instance out (its probe reaches the real
// store through the wrapper) and back once Redis answers; the reconnect's
// resync is counted and still reaches the hubs.
func TestMeasuredRedisFaultsCountedAndWatched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t, redistest.Options{})
	r, err := OpenRedis(ctx, RedisConfig{URL: srv.URL(), Timeout: 200 * time.Millisecond,
		HealthInterval: 250 * time.Millisecond, DownAfter: time.Second, ReconnectAfter: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	met := NewStoreMetrics(reg)
	m := Measure(r, met)
	defer m.Close()
	w := Watch(m)
	id := newSession(t, w)
	if _, err := w.Append(ctx, id, vote("before")); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	stopped := true
	defer func() {
		if stopped {
			srv.Continue()
		}
	}()
	if _, err := w.Append(ctx, id, vote("frozen")); err == nil {
		t.Fatal("an append to a frozen Redis succeeded")
	}
	failed := testutil.ToFloat64(met.Errors.WithLabelValues("append", KindTimeout)) +
		testutil.ToFloat64(met.Errors.WithLabelValues("append", KindUnavailable))
	if failed != 1 {
		t.Fatalf("append timeout+unavailable errors = %v, want 1", failed)
	}
	if w.Failing() == nil {
		t.Fatal("Watch did not see the failed append through the measured store")
	}
	waitFor(t, 5*time.Second, "subscription still up while Redis is stopped", func() bool { return !r.SubscriptionUp() })
	// Past ReconnectAfter, so that the pub/sub connection is replaced and
	// a resync signalled when Redis answers again.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if err := w.Ready(ctx); err == nil {
			t.Fatal("ready while Redis is frozen")
		}
		time.Sleep(250 * time.Millisecond)
	}
	srv.Continue()
	stopped = false

	select {
	case <-w.Resync():
	case <-time.After(10 * time.Second):
		t.Fatal("no resync reached the caller through Watch and Measure")
	}
	if got := testutil.ToFloat64(met.Resyncs); got < 1 {
		t.Fatalf("resyncs = %v, want at least 1", got)
	}
	waitFor(t, 10*time.Second, "not ready again after Redis came back", func() bool { return w.Ready(ctx) == nil })
	if w.Failing() != nil {
		t.Fatalf("still failing after a probe write succeeded: %v", w.Failing())
	}
}
