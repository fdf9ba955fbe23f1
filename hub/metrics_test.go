package hub

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// skippingStore is the real embedded store whose subscriptions lose every
// third event, as a Redis subscription does after a fault.
type skippingStore struct{ eventlog.Store }

func (s skippingStore) Subscribe(ctx context.Context, id string) (<-chan session.Event, func(), error) {
	in, cancel, err := s.Store.Subscribe(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	out := make(chan session.Event, 64)
	go func() {
		// Ends when cancel closes in.
		defer close(out)
		for e := range in {
			if e.Offset%3 != 0 {
				out <- e
			}
		}
	}()
	return out, cancel, nil
}

func TestMetricsSeriesFromStart(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	if n := testutil.CollectAndCount(m.Connections); n != 3 {
		t.Fatalf("%d connection series before any connection, want one per role", n)
	}
	for _, role := range []session.Role{session.Facilitator, session.Display, session.Attendee} {
		if v := testutil.ToFloat64(m.Connections.WithLabelValues(string(role))); v != 0 {
			t.Fatalf("%s connections = %v", role, v)
		}
	}
	if n := testutil.CollectAndCount(m.Joins); n != 9 {
		t.Fatalf("%d join series before any join, want 9", n)
	}
	if n := testutil.CollectAndCount(m.Lag) + testutil.CollectAndCount(m.Gaps); n != 2 {
		t.Fatalf("lag and gaps: %d series, want 2", n)
	}
}

// A replica whose subscription skips events fills the gaps from the log,
// counts each, and times the events it got from the subscription.
func TestMetricsGapsAndLag(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall"}}); err != nil {
		t.Fatal(err)
	}
	met := NewMetrics(prometheus.NewRegistry())
	m := NewManager(skippingStore{store}, Config{Metrics: met, PollInterval: time.Hour})
	defer m.Shutdown(context.Background())
	h, release, err := m.Acquire(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var last uint64
	for i := 0; i < 30; i++ {
		if last, err = store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpJoin, Name: "p"}}); err != nil {
			t.Fatal(err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The poll is an hour away: only the gap detection can catch up.
	if err := h.waitApplied(wctx, last); err != nil {
		t.Fatalf("replica did not reach offset %d: %v", last, err)
	}
	if g := testutil.ToFloat64(met.Gaps); g < 1 {
		t.Fatalf("gaps filled = %v, want at least 1", g)
	}
	deadline := time.Now().Add(10 * time.Second)
	for lagCount(t, met) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no lag observed for the events the subscription delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func lagCount(t *testing.T, m *Metrics) uint64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m.Lag)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return fams[0].GetMetric()[0].GetHistogram().GetSampleCount()
}

// silentStore is the real embedded store whose subscriptions deliver
// nothing: the replica learns of events only when it reads them.
type silentStore struct{ eventlog.Store }

func (s silentStore) Subscribe(ctx context.Context, id string) (<-chan session.Event, func(), error) {
	ch := make(chan session.Event)
	var once sync.Once
	return ch, func() { once.Do(func() { close(ch) }) }, nil
}

// A batch from the subscription with a hole in its middle, and nothing
// after it: the replica reads the rest from the log at once rather than
// waiting for an event or a poll that may never come (found under load:
// a busy replica drains many events into one batch).
func TestGapInsideABatchIsFilled(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall"}}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(silentStore{store}, Config{Metrics: NewMetrics(prometheus.NewRegistry()), PollInterval: time.Hour})
	defer m.Shutdown(context.Background())
	h, release, err := m.Acquire(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	var last uint64
	for range 10 {
		if last, err = store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpJoin, Name: "p"}}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := store.Read(ctx, "s", 1, 100)
	if err != nil || len(evs) != 10 {
		t.Fatalf("read %d events: %v", len(evs), err)
	}
	// Offsets 2, 3, then 5 to 11: 4 is missing.
	h.applyBatch(append(evs[:2:2], evs[3:]...))
	h.mu.RLock()
	got := h.state.Offset
	h.mu.RUnlock()
	if got != last {
		t.Fatalf("the replica is at offset %d after the batch, want %d", got, last)
	}
}
