package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/internal/redistest"
	"github.com/townhall/townhall/session"
)

// A replica that fell further behind than a Redis log keeps (the stream
// is trimmed below its latest snapshot) reloads the snapshot and reads on,
// and ends where a fresh replica does.
func TestReplicaBehindTrimmedLogReloadsSnapshot(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := redistest.Start(t, redistest.Options{})
	store, err := eventlog.OpenRedis(ctx, eventlog.RedisConfig{URL: srv.URL(), TrimKeep: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	m := NewManager(store, Config{SnapshotEvery: 1 << 30})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(sctx)
	}()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	appendCmd := func(actor string, c session.Command) {
		t.Helper()
		if _, err := store.Append(ctx, "s", session.Event{Actor: actor, Cmd: c}); err != nil {
			t.Fatal(err)
		}
	}
	appendCmd("", session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall", Rules: session.CurrentRules})
	appendCmd(session.Host, session.Command{ID: "h1", Op: "activity.create", Spec: &session.ActivitySpec{Kind: session.KindPoll, Title: "P", Options: []string{"a", "b"}}})
	h, release, err := m.Acquire(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// The replica as it was at offset 2, kept aside.
	h.mu.RLock()
	old, _ := json.Marshal(h.state)
	h.mu.RUnlock()

	appendCmd(session.Host, session.Command{ID: "h2", Op: "activity.present", Activity: "a2"})
	appendCmd(session.Host, session.Command{ID: "h3", Op: "activity.open", Activity: "a2"})
	for i := 0; i < 300; i++ {
		appendCmd("", session.Command{Op: session.OpJoin})
	}
	for i := 0; i < 300; i++ {
		appendCmd(fmt.Sprintf("p%d", 5+i), session.Command{ID: "v", Op: "vote", Activity: "a2", Choices: []int{i % 2}})
	}
	last, _ := store.LastOffset(ctx, "s")
	// A snapshot near the end trims the stream below it.
	fresh := &session.State{}
	evs, err := store.Read(ctx, "s", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Offset <= last-10 {
			fresh.Apply(e)
		}
	}
	snap, _ := json.Marshal(fresh)
	if err := store.SaveSnapshot(ctx, "s", fresh.Offset, snap); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Read(ctx, "s", 2, 10); err == nil {
		t.Fatal("the log was not trimmed")
	}
	// The hub's replica is sent back to offset 2, as an instance cut off
	// from Redis for a while would be.
	var back session.State
	json.Unmarshal(old, &back)
	back.Restore()
	h.mu.Lock()
	h.state = &back
	h.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.readFrom(rctx); err != nil {
		t.Fatalf("readFrom a trimmed log: %v", err)
	}
	x, err := h.Export(rctx)
	if err != nil {
		t.Fatal(err)
	}
	if x.Offset != last || x.Participants != 300 {
		t.Fatalf("after the reload: offset %d (want %d), %d participants", x.Offset, last, x.Participants)
	}
	b, _ := json.Marshal(x.Activities[0])
	var poll struct {
		Voters  int
		Options []struct{ Votes int }
	}
	json.Unmarshal(b, &poll)
	if poll.Voters != 300 || poll.Options[0].Votes != 150 || poll.Options[1].Votes != 150 {
		t.Fatalf("the poll after the reload: %s", b)
	}
}
