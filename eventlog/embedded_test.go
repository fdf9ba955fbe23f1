package eventlog

import (
	"bytes"
	"context"
	"errors"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/townhall/townhall/session"
)

func TestEmbedded(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestEmbeddedKeepsAckedEventsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenEmbedded(EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	epoch, _ := s.Create(ctx, "s")
	for i := 0; i < 3; i++ {
		if _, err := s.Append(ctx, "s", session.Event{Cmd: session.Command{Op: "vote"}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if _, err := s.Append(ctx, "s", session.Event{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v, want ErrClosed", err)
	}
	s, err = OpenEmbedded(EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	last, _ := s.LastOffset(ctx, "s")
	got, _ := s.Epoch(ctx, "s")
	if last != 3 || got != epoch {
		t.Fatalf("after reopen: last %d epoch %q; want 3 %q", last, got, epoch)
	}
	off, err := s.Append(ctx, "s", session.Event{})
	if err != nil || off != 4 {
		t.Fatalf("append after reopen: %d %v", off, err)
	}
}

// An append must not rewrite the session's snapshot: that was a large
// write and fsync per commit in a large room.
func TestEmbeddedAppendLeavesTheSnapshotAlone(t *testing.T) {
	ctx := context.Background()
	s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Create(ctx, "s")
	if _, err := s.Append(ctx, "s", session.Event{Cmd: session.Command{Op: "vote"}}); err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("x"), 512<<10)
	if err := s.SaveSnapshot(ctx, "s", 1, big); err != nil {
		t.Fatal(err)
	}
	st := s.db.Stats()
	before := st.TxStats.GetPageAlloc()
	if _, err := s.Append(ctx, "s", session.Event{Cmd: session.Command{Op: "vote"}}); err != nil {
		t.Fatal(err)
	}
	st = s.db.Stats()
	if alloc := st.TxStats.GetPageAlloc() - before; alloc > 64<<10 {
		t.Fatalf("one append wrote %d bytes of pages; the snapshot is %d", alloc, len(big))
	}
	off, got, err := s.LoadSnapshot(ctx, "s")
	if err != nil || off != 1 || !bytes.Equal(got, big) {
		t.Fatalf("LoadSnapshot: %d, %d bytes, %v", off, len(got), err)
	}
}

// Stores written before snapshots had a bucket of their own kept them
// beside the last offset: they still load, and the next save moves them.
func TestEmbeddedReadsSnapshotsOfOlderStores(t *testing.T) {
	ctx := context.Background()
	s, err := OpenEmbedded(EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Create(ctx, "s")
	// putOldLayout writes a snapshot where an older binary would.
	putOldLayout := func(off uint64, state string) {
		t.Helper()
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bSessions).Bucket([]byte("s"))
			if err := b.Put(kSnap, []byte(state)); err != nil {
				return err
			}
			return b.Put(kSnapOff, u64(off))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := func(what string, off uint64, state string) {
		t.Helper()
		if gotOff, got, err := s.LoadSnapshot(ctx, "s"); err != nil || gotOff != off || string(got) != state {
			t.Fatalf("%s: %d %q %v; want %d %q", what, gotOff, got, err, off, state)
		}
	}
	save := func(off uint64, state string) {
		t.Helper()
		if err := s.SaveSnapshot(ctx, "s", off, []byte(state)); err != nil {
			t.Fatal(err)
		}
	}

	putOldLayout(5, "old")
	want("old layout", 5, "old")
	save(4, "older")
	want("an older snapshot saved after it", 5, "old")
	save(9, "new")
	want("after save", 9, "new")
	s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bSessions).Bucket([]byte("s")); b.Get(kSnap) != nil || b.Get(kSnapOff) != nil {
			t.Error("the old snapshot keys are still beside the last offset")
		}
		return nil
	})
	// An older binary run on the store since writes beside the last offset
	// again: the newer of the two is the snapshot.
	putOldLayout(12, "downgraded")
	want("after a downgrade", 12, "downgraded")
	save(11, "stale")
	want("an older snapshot saved after a downgrade", 12, "downgraded")
}
