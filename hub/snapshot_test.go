package hub

import (
	"context"
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
	if _, err := store.Append(ctx, "s", session.Event{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall"}}); err != nil {
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
	// Every 10 events would be 100 saves.
	if n := store.saves.Load(); n > 20 {
		t.Fatalf("%d snapshots for %d events: their spacing did not grow with their size", n, joins)
	}
}
