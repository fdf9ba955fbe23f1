package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// snapshotBytesPerEvent is about the size of one event's share of a
// snapshot in a poll where each participant voted once (BenchmarkSnapshotEncode:
// 795 KB for 10,000 participants).
const snapshotBytesPerEvent = 64

// maxSnapshotEvery bounds the spacing, and so what a restart replays
// (50,000 events: well under a second), however large the state grows.
const maxSnapshotEvery = 50_000

// snapshotter keeps a second replica of the session, fed the events the hub
// applies, and encodes and saves it on its own goroutine. Encoding a large
// state takes long (36 ms for 10,000 participants who voted once, seconds
// for a long session's memory of command ids), and done on the hub's
// replica it would hold up every event, and so every ack, meanwhile. The
// second replica costs a second Apply per event (2-3 µs) and the state's
// memory once more.
type snapshotter struct {
	h    *Hub
	feed chan []session.Event // batches the hub applied, in order
	due  chan struct{}        // the hub's count of events says: snapshot now
	// every is how many events should pass between snapshots, from the
	// size of the last one; the hub's run goroutine reads it.
	every atomic.Int64

	st *session.State // the snapshotter's goroutine only; nil until loaded
}

func newSnapshotter(h *Hub) *snapshotter {
	return &snapshotter{h: h, feed: make(chan []session.Event, 256), due: make(chan struct{}, 1)}
}

// applied hands the snapshotter a batch the hub applied. It never blocks
// the hub: a batch that does not fit is read back from the log later.
func (s *snapshotter) applied(evs []session.Event) {
	select {
	case s.feed <- evs:
	default:
	}
}

// snapshot asks for a snapshot; one asked for meanwhile is merged.
func (s *snapshotter) snapshot() {
	select {
	case s.due <- struct{}{}:
	default:
	}
}

func (s *snapshotter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case evs := <-s.feed:
			if err := s.apply(ctx, evs); err != nil && ctx.Err() == nil {
				s.h.m.cfg.Logger.Warn("snapshot replica", "session", s.h.id, "err", err)
			}
		case <-s.due:
			if err := s.save(ctx); err != nil && ctx.Err() == nil {
				s.h.m.cfg.Logger.Warn("saving a snapshot", "session", s.h.id, "err", err)
			}
		}
	}
}

// apply folds a batch into the second replica; events it missed (a batch
// dropped, or the replica just loaded) are read from the log first.
func (s *snapshotter) apply(ctx context.Context, evs []session.Event) error {
	if s.st == nil {
		st, err := loadSnapshot(ctx, s.h.m.store, s.h.id, s.h.m.cfg.Limits)
		if err != nil && !errors.Is(err, errDamagedSnapshot) {
			return err
		}
		s.st = st
	}
	for _, e := range evs {
		if e.Offset <= s.st.Offset {
			continue
		}
		if e.Offset > s.st.Offset+1 {
			if err := s.catchUp(ctx, e.Offset-1); err != nil {
				return err
			}
		}
		s.st.Apply(e)
	}
	return nil
}

// catchUp reads and applies the log up to offset upTo.
func (s *snapshotter) catchUp(ctx context.Context, upTo uint64) error {
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for s.st.Offset < upTo {
		evs, err := s.h.m.store.Read(rctx, s.h.id, s.st.Offset, int(min(upTo-s.st.Offset, 1000)))
		if errors.Is(err, eventlog.ErrTrimmed) {
			st, err := loadSnapshot(rctx, s.h.m.store, s.h.id, s.h.m.cfg.Limits)
			if err != nil {
				return err
			}
			if st.Offset <= s.st.Offset {
				return fmt.Errorf("the log was trimmed after %d but the snapshot is at %d", s.st.Offset, st.Offset)
			}
			s.st = st
			continue
		}
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return errors.New("the log ends before an event the hub applied")
		}
		for _, e := range evs {
			if e.Offset == s.st.Offset+1 && e.Offset <= upTo {
				s.st.Apply(e)
			}
		}
	}
	return nil
}

func (s *snapshotter) save(ctx context.Context) error {
	if s.h.brokenErr() != nil {
		// The log was replaced under this instance: a snapshot of the old
		// history must not land beside the new one.
		return nil
	}
	// Everything the hub handed over so far goes in.
	for drained := false; !drained; {
		select {
		case evs := <-s.feed:
			if err := s.apply(ctx, evs); err != nil {
				return err
			}
		default:
			drained = true
		}
	}
	if err := s.apply(ctx, nil); err != nil || s.st.Offset == 0 {
		return err
	}
	snap, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	// Encoding takes time in proportion to the bytes (every participant
	// and their recent command ids): spacing snapshots by one event per
	// snapshotBytesPerEvent of the last one keeps their cost per event the
	// same in a room of 10,000 as in a room of 100, and a restart replays
	// no more events than it takes to encode one snapshot.
	s.every.Store(int64(min(len(snap)/snapshotBytesPerEvent, maxSnapshotEvery)))
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.h.m.store.SaveSnapshot(sctx, s.h.id, s.st.Offset, snap)
}

// errDamagedSnapshot comes with an empty state: the log replays from the
// start instead.
var errDamagedSnapshot = errors.New("damaged snapshot")

// loadSnapshot is the session's latest snapshot, or an empty state when it
// has none: the log's events follow from its offset. Every replica is made
// here, with the deployment's limits, which snapshots do not hold.
func loadSnapshot(ctx context.Context, store eventlog.Store, id string, limits session.Limits) (*session.State, error) {
	off, data, err := store.LoadSnapshot(ctx, id)
	if errors.Is(err, eventlog.ErrNotFound) {
		return &session.State{Limits: limits}, nil
	}
	if err != nil {
		return nil, err
	}
	var st session.State
	if err := json.Unmarshal(data, &st); err != nil {
		return &session.State{Limits: limits}, fmt.Errorf("%w: %v", errDamagedSnapshot, err)
	}
	st.Limits = limits
	st.Restore()
	st.Offset = off
	return &st, nil
}
