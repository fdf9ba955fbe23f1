package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/townhall/townhall/session"
)

// testStore is the contract of Store. Every implementation runs it.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	ev := func(op string) session.Event {
		return session.Event{Actor: "p1", Cmd: session.Command{ID: op, Op: op}}
	}
	create := func(t *testing.T, s Store) string {
		t.Helper()
		id := fmt.Sprintf("s%d", time.Now().UnixNano())
		if _, err := s.Create(ctx, id); err != nil {
			t.Fatalf("Create: %v", err)
		}
		return id
	}

	t.Run("offsets start at one and grow by one", func(t *testing.T) {
		s := newStore(t)
		id := create(t, s)
		for i := 1; i <= 5; i++ {
			off, err := s.Append(ctx, id, ev(fmt.Sprint("c", i)))
			if err != nil || off != uint64(i) {
				t.Fatalf("append %d: offset %d, err %v", i, off, err)
			}
		}
		last, err := s.LastOffset(ctx, id)
		if err != nil || last != 5 {
			t.Fatalf("LastOffset = %d, %v; want 5", last, err)
		}
		got, err := s.Read(ctx, id, 2, 2)
		if err != nil || len(got) != 2 || got[0].Offset != 3 || got[1].Offset != 4 || got[0].Cmd.ID != "c3" {
			t.Fatalf("Read(after 2, limit 2) = %+v, %v", got, err)
		}
		if got[0].Time.IsZero() || got[0].Actor != "p1" {
			t.Fatalf("event lost its time or actor: %+v", got[0])
		}
		all, err := s.Read(ctx, id, 0, 0)
		if err != nil || len(all) != 5 {
			t.Fatalf("Read all = %d events, %v", len(all), err)
		}
		for i := 1; i < len(all); i++ {
			if all[i].Time.Before(all[i-1].Time) {
				t.Fatalf("time went backwards at offset %d", all[i].Offset)
			}
		}
		none, err := s.Read(ctx, id, 5, 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("Read past the end = %v, %v", none, err)
		}
	})

	t.Run("concurrent appends get distinct contiguous offsets", func(t *testing.T) {
		s := newStore(t)
		id := create(t, s)
		const writers, each = 8, 50
		var mu sync.Mutex
		seen := map[uint64]string{}
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					cid := fmt.Sprintf("w%d-%d", w, i)
					off, err := s.Append(ctx, id, ev(cid))
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mu.Lock()
					seen[off] = cid
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		if len(seen) != writers*each {
			t.Fatalf("%d distinct offsets, want %d", len(seen), writers*each)
		}
		all, err := s.Read(ctx, id, 0, 0)
		if err != nil || len(all) != writers*each {
			t.Fatalf("Read = %d, %v", len(all), err)
		}
		for i, e := range all {
			if e.Offset != uint64(i+1) || seen[e.Offset] != e.Cmd.ID {
				t.Fatalf("offset %d holds %q, acked as %q", e.Offset, e.Cmd.ID, seen[e.Offset])
			}
		}
	})

	t.Run("subscribers get new events in order", func(t *testing.T) {
		s := newStore(t)
		id := create(t, s)
		other := create(t, s)
		ch, cancel, err := s.Subscribe(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		if _, err := s.Append(ctx, other, ev("elsewhere")); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 20; i++ {
			if _, err := s.Append(ctx, id, ev(fmt.Sprint("c", i))); err != nil {
				t.Fatal(err)
			}
		}
		var next uint64 = 1
		deadline := time.After(10 * time.Second)
		for next <= 20 {
			select {
			case e := <-ch:
				if e.Offset < next {
					continue
				}
				if e.Offset != next || e.Cmd.ID != fmt.Sprint("c", next) {
					t.Fatalf("got offset %d (%s), want %d", e.Offset, e.Cmd.ID, next)
				}
				next++
			case <-deadline:
				t.Fatalf("only got to offset %d", next-1)
			}
		}
		cancel()
		for range ch {
		}
	})

	t.Run("epoch is set at create and stays", func(t *testing.T) {
		s := newStore(t)
		id := fmt.Sprintf("e%d", time.Now().UnixNano())
		epoch, err := s.Create(ctx, id)
		if err != nil || len(epoch) < 16 {
			t.Fatalf("Create = %q, %v", epoch, err)
		}
		got, err := s.Epoch(ctx, id)
		if err != nil || got != epoch {
			t.Fatalf("Epoch = %q, %v; want %q", got, err, epoch)
		}
		if _, err := s.Create(ctx, id); !errors.Is(err, ErrExists) {
			t.Fatalf("second Create: %v, want ErrExists", err)
		}
		if _, err := s.Epoch(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Epoch(unknown): %v, want ErrNotFound", err)
		}
	})

	t.Run("unknown sessions", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Append(ctx, "nope", ev("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Append: %v, want ErrNotFound", err)
		}
		if _, err := s.LastOffset(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LastOffset: %v, want ErrNotFound", err)
		}
	})

	t.Run("snapshots keep the latest", func(t *testing.T) {
		s := newStore(t)
		id := create(t, s)
		if _, _, err := s.LoadSnapshot(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LoadSnapshot before any: %v", err)
		}
		if err := s.SaveSnapshot(ctx, id, 10, []byte(`{"a":10}`)); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSnapshot(ctx, id, 5, []byte(`{"a":5}`)); err != nil {
			t.Fatal(err)
		}
		off, data, err := s.LoadSnapshot(ctx, id)
		if err != nil || off != 10 || string(data) != `{"a":10}` {
			t.Fatalf("LoadSnapshot = %d %s %v", off, data, err)
		}
	})

	t.Run("directory", func(t *testing.T) {
		s := newStore(t)
		code := fmt.Sprintf("%08d", time.Now().UnixNano()%1e8)
		if err := s.ClaimCode(ctx, code, "s1"); err != nil {
			t.Fatal(err)
		}
		if err := s.ClaimCode(ctx, code, "s2"); !errors.Is(err, ErrExists) {
			t.Fatalf("second claim: %v, want ErrExists", err)
		}
		got, err := s.LookupCode(ctx, code)
		if err != nil || got != "s1" {
			t.Fatalf("LookupCode = %q, %v", got, err)
		}
		if _, err := s.LookupCode(ctx, "00000000x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LookupCode(unknown): %v", err)
		}
		a, err := s.Secret(ctx, []byte("first"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Secret(ctx, []byte("second"))
		if err != nil || string(a) != string(b) {
			t.Fatalf("Secret changed: %q then %q (%v)", a, b, err)
		}
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("Ready: %v", err)
		}
	})

	t.Run("delete", func(t *testing.T) { testDelete(t, newStore) })
}

// testDelete: a deleted session is gone for every call, told apart from
// one that never was; others are untouched.
func testDelete(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	var ids []string
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("d%d-%d", time.Now().UnixNano(), i)
		if _, err := s.Create(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Append(ctx, id, session.Event{Cmd: session.Command{ID: "x", Op: "x"}}); err != nil {
			t.Fatal(err)
		}
		code := fmt.Sprintf("%08d", (time.Now().UnixNano()+int64(i))%1e8)
		if err := s.ClaimCode(ctx, code, id); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSnapshot(ctx, id, 1, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id, code)
	}
	gone, goneCode, kept, keptCode := ids[0], ids[1], ids[2], ids[3]
	events, cancel, err := s.Subscribe(ctx, gone)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	listed := map[string]bool{}
	if err := s.Sessions(ctx, func(id string, last time.Time) error {
		if (id == gone || id == kept) && last.IsZero() {
			t.Errorf("Sessions: %s without the time of its last event", id)
		}
		listed[id] = true
		return nil
	}); err != nil || !listed[gone] || !listed[kept] {
		t.Fatalf("Sessions listed %v, %v", listed, err)
	}
	if err := s.Delete(ctx, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Epoch(ctx, gone); !errors.Is(err, ErrDeleted) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Epoch after Delete: %v, want ErrDeleted (an ErrNotFound)", err)
	}
	if _, err := s.LastOffset(ctx, gone); !errors.Is(err, ErrDeleted) {
		t.Fatalf("LastOffset after Delete: %v", err)
	}
	if _, err := s.Read(ctx, gone, 0, 10); !errors.Is(err, ErrDeleted) {
		t.Fatalf("Read after Delete: %v", err)
	}
	if _, err := s.Append(ctx, gone, session.Event{Cmd: session.Command{ID: "y", Op: "y"}}); !errors.Is(err, ErrDeleted) {
		t.Fatalf("Append after Delete: %v", err)
	}
	if _, _, err := s.LoadSnapshot(ctx, gone); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadSnapshot after Delete: %v", err)
	}
	if _, err := s.LookupCode(ctx, goneCode); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the deleted session's code: %v", err)
	}
	if err := s.Delete(ctx, gone); !errors.Is(err, ErrDeleted) {
		t.Fatalf("Delete twice: %v", err)
	}
	if err := s.Delete(ctx, "never-was"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDeleted) {
		t.Fatalf("Delete of an unknown session: %v", err)
	}
	if _, err := s.Epoch(ctx, "never-was"); errors.Is(err, ErrDeleted) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Epoch of an unknown session: %v", err)
	}
	// The other session is untouched.
	if got, err := s.LookupCode(ctx, keptCode); err != nil || got != kept {
		t.Fatalf("the other code: %q %v", got, err)
	}
	if last, err := s.LastOffset(ctx, kept); err != nil || last != 1 {
		t.Fatalf("the other session: %d %v", last, err)
	}
	if off, _, err := s.LoadSnapshot(ctx, kept); err != nil || off != 1 {
		t.Fatalf("the other snapshot: %d %v", off, err)
	}
	listed = map[string]bool{}
	s.Sessions(ctx, func(id string, _ time.Time) error { listed[id] = true; return nil })
	if listed[gone] || !listed[kept] {
		t.Fatalf("Sessions after Delete: %v", listed)
	}
	_ = events // the subscription may close or stay quiet; later calls say ErrDeleted
}
