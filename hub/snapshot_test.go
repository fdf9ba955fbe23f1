package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// countingStore is the real embedded store, counting snapshot saves.
type countingStore struct {
	eventlog.Store
	saves atomic.Int64
}

func (s *countingStore) SaveSnapshot(ctx context.Context, id string, off uint64, state []byte) error {
	s.saves.Add(1)
	return s.Store.SaveSnapshot(ctx, id, off, state)
}

// Snapshots grow with the room and encoding one holds up the events
// behind it, so a growing room is snapshotted less and less often: the
// snapshot's cost per event stays the same, not its cost per snapshot.
func TestSnapshotsSpaceOutAsTheRoomGrows(t *testing.T) {
	ctx := t.Context()
	emb, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	store := &countingStore{Store: emb}
	m := NewManager(store, Config{SnapshotEvery: 10})
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(sctx)
	}()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall", Rules: session.CurrentRules}}); err != nil {
		t.Fatal(err)
	}
	h, release, err := m.Acquire(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	const joins = 1000
	var last uint64
	for i := 0; i < joins; i++ {
		// One at a time, so that the hub sees each event on its own and
		// could snapshot after any of them.
		last, err = store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpJoin, Name: "Participant with a name"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.waitApplied(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		off, data, err := store.LoadSnapshot(ctx, "s")
		if err == nil && off > joins/2 && len(data) > joins*20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot of the grown room: offset %d, %d bytes, %v", off, len(data), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	off, data, _ := store.LoadSnapshot(ctx, "s")
	if want, _ := json.Marshal(replay(t, store, "s", off)); !bytes.Equal(data, want) {
		t.Fatalf("the snapshot at %d differs from the log folded afresh", off)
	}
	// Every 10 events would be 100 saves.
	if n := store.saves.Load(); n > 20 {
		t.Fatalf("%d snapshots for %d events: their spacing did not grow with their size", n, joins)
	}
}

// replay is the state after the log's first upTo events, folded afresh.
func replay(t *testing.T, store eventlog.Store, id string, upTo uint64) *session.State {
	t.Helper()
	st := &session.State{}
	for st.Offset < upTo {
		evs, err := store.Read(t.Context(), id, st.Offset, 1000)
		if err != nil || len(evs) == 0 {
			t.Fatalf("reading the log after %d: %d events, %v", st.Offset, len(evs), err)
		}
		for _, e := range evs {
			if e.Offset <= upTo {
				st.Apply(e)
			}
		}
	}
	return st
}

// The snapshotter's replica is fed batches with holes (batches the hub
// could not hand over); it reads what it missed from the log, and its
// snapshot is byte for byte the state folded afresh from the log.
func TestSnapshotterFillsWhatItMissedFromTheLog(t *testing.T) {
	ctx := t.Context()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.Create(ctx, "s")
	appendCmd := func(actor string, c session.Command) {
		t.Helper()
		if _, err := store.Append(ctx, "s", session.Event{Actor: actor, Cmd: c}); err != nil {
			t.Fatal(err)
		}
	}
	appendCmd("", session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall", Rules: session.CurrentRules})
	appendCmd(session.Host, session.Command{ID: "h1", Op: "activity.create",
		Spec: &session.ActivitySpec{Kind: session.KindPoll, Title: "Q", Options: []string{"a", "b", "c"}}})
	appendCmd(session.Host, session.Command{ID: "h2", Op: "activity.open", Activity: "a2"})
	for i := 0; i < 100; i++ {
		appendCmd("", session.Command{Op: session.OpJoin, Name: "p"})
	}
	// Participants are "p" and the offset of their join: p4 to p103.
	for i := 0; i < 100; i++ {
		appendCmd("p"+strconv.Itoa(4+i), session.Command{ID: "v", Op: "vote", Activity: "a2", Choices: []int{i % 3}})
	}
	all, err := store.Read(ctx, "s", 0, 1000)
	if err != nil || len(all) != 203 {
		t.Fatalf("read %d events: %v", len(all), err)
	}

	s := newHub(NewManager(store, Config{}), "s").snaps
	for _, batch := range [][]session.Event{all[:10], all[40:41], all[120:150], all[199:203]} {
		if err := s.apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.save(ctx); err != nil {
		t.Fatal(err)
	}
	off, got, err := store.LoadSnapshot(ctx, "s")
	if err != nil || off != 203 {
		t.Fatalf("snapshot at %d: %v", off, err)
	}
	want, _ := json.Marshal(replay(t, store, "s", off))
	if !bytes.Equal(got, want) {
		t.Fatalf("the snapshot differs from the log folded afresh:\n got %.300s\nwant %.300s", got, want)
	}
	if s.every.Load() != int64(len(got)/snapshotBytesPerEvent) {
		t.Fatalf("spacing %d for a snapshot of %d bytes", s.every.Load(), len(got))
	}
}
