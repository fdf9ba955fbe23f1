package hub

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// The limits of Config reach every replica the hub makes, with or without
// a snapshot to start from: the reducer judges by them.
func TestReplicasHaveTheConfiguredLimits(t *testing.T) {
	ctx := t.Context()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := NewManager(store, Config{Limits: session.Limits{Activities: 2}})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(sctx)
	}()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	events := []session.Event{
		{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall", Rules: session.CurrentRules}},
		{Actor: session.Host, Cmd: session.Command{ID: "c1", Op: "activity.create", Spec: &session.ActivitySpec{Kind: session.KindQA, Title: "One"}}},
	}
	for _, e := range events {
		if _, err := store.Append(ctx, "s", e); err != nil {
			t.Fatal(err)
		}
	}
	// The second replica starts from a snapshot of the first.
	snap := replay(t, store, "s", 2)
	data, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	for _, withSnapshot := range []bool{false, true} {
		if withSnapshot {
			if err := store.SaveSnapshot(ctx, "s", 2, data); err != nil {
				t.Fatal(err)
			}
		}
		st, err := loadSnapshot(ctx, store, "s", m.cfg.Limits)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range mustRead(t, store, st.Offset) {
			st.Apply(e)
		}
		two := session.Command{ID: "c2", Op: "activity.create", Spec: &session.ActivitySpec{Kind: session.KindQA, Title: "Two"}}
		if err := st.Check(session.Host, two); err != nil {
			t.Fatalf("snapshot %v: the second activity: %v", withSnapshot, err)
		}
		st.Apply(session.Event{Offset: st.Offset + 1, Actor: session.Host, Cmd: two})
		three := session.Command{ID: "c3", Op: "activity.create", Spec: &session.ActivitySpec{Kind: session.KindQA, Title: "Three"}}
		if err := st.Check(session.Host, three); err == nil || err.Code != session.CodeLimitReached {
			t.Fatalf("snapshot %v: the third activity: %v, want limit_reached", withSnapshot, err)
		}
	}

	// The hub's own replica.
	h, release, err := m.Acquire(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	h.mu.RLock()
	lim := h.state.Limits
	h.mu.RUnlock()
	if lim != m.cfg.Limits {
		t.Fatalf("the hub's replica has limits %+v, want %+v", lim, m.cfg.Limits)
	}
}

func mustRead(t *testing.T, store eventlog.Store, after uint64) []session.Event {
	t.Helper()
	evs, err := store.Read(t.Context(), "s", after, 100)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}
