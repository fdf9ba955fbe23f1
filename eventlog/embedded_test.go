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
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions).Bucket([]byte("s"))
		if err := b.Put(kSnap, []byte("old")); err != nil {
			return err
		}
		return b.Put(kSnapOff, u64(5))
	})
	if err != nil {
		t.Fatal(err)
	}
	if off, got, err := s.LoadSnapshot(ctx, "s"); err != nil || off != 5 || string(got) != "old" {
		t.Fatalf("old layout: %d %q %v", off, got, err)
	}
	if err := s.SaveSnapshot(ctx, "s", 4, []byte("older")); err != nil {
		t.Fatal(err)
	}
	if off, got, _ := s.LoadSnapshot(ctx, "s"); off != 5 || string(got) != "old" {
		t.Fatalf("an older snapshot replaced a newer one: %d %q", off, got)
	}
	if err := s.SaveSnapshot(ctx, "s", 9, []byte("new")); err != nil {
		t.Fatal(err)
	}
	if off, got, _ := s.LoadSnapshot(ctx, "s"); off != 9 || string(got) != "new" {
		t.Fatalf("after save: %d %q", off, got)
	}
	s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bSessions).Bucket([]byte("s")); b.Get(kSnap) != nil || b.Get(kSnapOff) != nil {
			t.Error("the old snapshot keys are still beside the last offset")
		}
		return nil
	})
	// An older binary run on the store since writes beside the last offset
	// again: the newer of the two is the snapshot.
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions).Bucket([]byte("s"))
		if err := b.Put(kSnap, []byte("downgraded")); err != nil {
			return err
		}
		return b.Put(kSnapOff, u64(12))
	})
	if err != nil {
		t.Fatal(err)
	}
	if off, got, _ := s.LoadSnapshot(ctx, "s"); off != 12 || string(got) != "downgraded" {
		t.Fatalf("after a downgrade: %d %q", off, got)
	}
	if err := s.SaveSnapshot(ctx, "s", 11, []byte("stale")); err != nil {
		t.Fatal(err)
	}
	if off, got, _ := s.LoadSnapshot(ctx, "s"); off != 12 || string(got) != "downgraded" {
		t.Fatalf("an older snapshot replaced the downgraded one: %d %q", off, got)
	}
}
