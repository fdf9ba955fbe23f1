package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/protocol"
	"github.com/townhall/townhall/session"
)

// This file is the replica side of a hub: loading the session, following
// its log, and applying events in offset order.

// run loads the replica, then follows the log and pushes on every tick
// until the hub closes.
func (h *Hub) run() {
	log := h.m.cfg.Logger.With("session", h.id)
	events, unsubscribe, err := h.load()
	if err == nil {
		// Before the first welcome, so that a display welcomed here sees
		// every reaction tapped on other instances after it.
		h.subscribeTallies()
	}
	h.loadErr = err
	close(h.loaded)
	if err != nil {
		if errors.Is(err, eventlog.ErrNotFound) {
			log.Debug("no such session")
		} else {
			log.Error("loading session", "err", err)
		}
		return
	}
	defer unsubscribe()
	h.m.goroutine(h.pushLoop)
	h.m.goroutine(h.reactionLoop)
	h.m.goroutine(h.presenceLoop)

	h.m.goroutine(h.deadlineLoop)
	h.m.goroutine(func() { h.snaps.run(h.ctx) })

	poll := time.NewTicker(h.m.cfg.PollInterval)
	defer poll.Stop()
	polls := 0
	for {
		select {
		case <-h.ctx.Done():
			return
		case e, ok := <-events:
			if !ok {
				// The log closed the subscription: resubscribe, and
				// catch up by offset meanwhile.
				events, unsubscribe = h.resubscribe(unsubscribe)
				continue
			}
			batch := []session.Event{e}
		drain:
			for len(batch) < 1024 {
				select {
				case e, ok := <-events:
					if !ok {
						break drain
					}
					batch = append(batch, e)
				default:
					break drain
				}
			}
			h.applyBatch(batch)
			h.m.cfg.Metrics.lag(batch, time.Now())
		case <-h.wakeup:
			h.catchUp()
		case <-poll.C:
			h.catchUp()
			if polls++; polls%5 == 0 {
				h.checkEpoch()
			}
		}
	}
}

func (h *Hub) resubscribe(old func()) (<-chan session.Event, func()) {
	old()
	for {
		ch, cancel, err := h.m.store.Subscribe(h.ctx, h.id)
		if err == nil {
			h.catchUp()
			return ch, cancel
		}
		select {
		case <-h.ctx.Done():
			c := make(chan session.Event)
			return c, func() {}
		case <-time.After(h.m.cfg.PollInterval):
		}
	}
}

// load subscribes first, so nothing appended meanwhile is missed, then
// reads the snapshot and the tail of the log.
func (h *Hub) load() (<-chan session.Event, func(), error) {
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	defer cancel()
	epoch, err := h.m.store.Epoch(ctx, h.id)
	if err != nil {
		return nil, nil, fmt.Errorf("session %s: %w", h.id, err)
	}
	events, unsubscribe, err := h.m.store.Subscribe(h.ctx, h.id)
	if err != nil {
		return nil, nil, err
	}
	st, err := loadSnapshot(ctx, h.m.store, h.id, h.m.cfg.Limits)
	if errors.Is(err, errDamagedSnapshot) {
		h.m.cfg.Logger.Error("ignoring a damaged snapshot", "session", h.id, "err", err)
	} else if err != nil {
		unsubscribe()
		return nil, nil, err
	}
	h.state = st
	h.epoch = epoch
	if err := h.readFrom(ctx); err != nil {
		unsubscribe()
		return nil, nil, err
	}
	return events, unsubscribe, nil
}

// readFrom reads and applies every event after the replica's offset.
func (h *Hub) readFrom(ctx context.Context) error {
	for {
		h.mu.RLock()
		after := h.state.Offset
		h.mu.RUnlock()
		evs, err := h.m.store.Read(ctx, h.id, after, 1000)
		if errors.Is(err, eventlog.ErrTrimmed) {
			// This replica fell further behind than the log keeps: the
			// snapshot that covers the trimmed events takes its place.
			if err := h.reload(ctx, after); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		h.applyBatch(evs)
	}
}

// reload replaces a replica at offset after with the session's snapshot,
// which must be newer, and marks every view changed, so that every
// connection is pushed the state it now shows.
func (h *Hub) reload(ctx context.Context, after uint64) error {
	st, err := loadSnapshot(ctx, h.m.store, h.id, h.m.cfg.Limits)
	if err != nil {
		return err
	}
	if st.Offset <= after {
		return fmt.Errorf("the log was trimmed after %d but the snapshot is at %d", after, st.Offset)
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state.Offset != after {
		return nil // another reload or apply got there first
	}
	h.state = st
	var parts []string
	for p := range h.byPart {
		parts = append(parts, p)
	}
	h.dirtyMu.Lock()
	for _, aud := range []*dirty{&h.live, &h.attendees} {
		attendees := aud == &h.attendees
		aud.mark(session.Change{Header: true}, attendees, now)
		for _, a := range st.Activities {
			aud.mark(session.Change{Activity: a.ID, You: parts}, attendees, now)
		}
	}
	h.dirtyMu.Unlock()
	close(h.appliedCh)
	h.appliedCh = make(chan struct{})
	h.m.cfg.Logger.Info("replica reloaded from a snapshot: the log was trimmed below it", "session", h.id, "from", after, "to", st.Offset)
	return nil
}

func (h *Hub) catchUp() {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	last, err := h.m.store.LastOffset(ctx, h.id)
	if errors.Is(err, eventlog.ErrDeleted) {
		h.gone()
		return
	}
	if err != nil {
		return
	}
	h.mu.RLock()
	cur := h.state.Offset
	h.mu.RUnlock()
	if last < cur {
		h.setBroken(fmt.Errorf("the log is behind this replica (%d < %d): the store lost data", last, cur))
		return
	}
	if last > cur {
		if err := h.readFrom(ctx); err != nil {
			h.m.cfg.Logger.Warn("catching up", "session", h.id, "err", err)
		}
	}
}

func (h *Hub) checkEpoch() {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	epoch, err := h.m.store.Epoch(ctx, h.id)
	if errors.Is(err, eventlog.ErrDeleted) {
		h.gone()
		return
	}
	if errors.Is(err, eventlog.ErrNotFound) || (err == nil && epoch != h.epoch) {
		h.setBroken(errors.New("the session's log was replaced (the store lost its data)"))
	}
}

// gone ends the hub of a deleted session: its clients are told not_found
// and closed with 1008 (they stop), the manager forgets the hub, and the
// instance stays ready: a deletion is not a store that lost its data.
func (h *Hub) gone() {
	h.m.forget(h)
	f := errFrame("", session.CodeNotFound, "This session was deleted.")
	h.mu.RLock()
	for _, set := range h.conns {
		for c := range set {
			c.closeWith(protocol.CloseReasonNotFound, f)
		}
	}
	h.mu.RUnlock()
	h.close()
}

func (h *Hub) setBroken(err error) {
	h.mu.Lock()
	first := h.broken == nil
	h.broken = err
	h.mu.Unlock()
	if first {
		h.m.cfg.Logger.Error("session log changed under this instance", "session", h.id, "err", err)
	}
}

// applyBatch folds events into the replica in offset order, filling any gap
// from the log first.
func (h *Hub) applyBatch(evs []session.Event) {
	h.mu.RLock()
	cur := h.state.Offset
	h.mu.RUnlock()
	if len(evs) > 0 && evs[0].Offset > cur+1 {
		// A gap: the subscription skipped events. Read them first.
		h.m.cfg.Metrics.gap()
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		err := h.readFrom(ctx)
		cancel()
		if err != nil {
			h.m.cfg.Logger.Warn("filling a gap", "session", h.id, "err", err)
			return
		}
	}
	now := time.Now()
	h.mu.Lock()
	applied, gap := false, false
	for _, e := range evs {
		if e.Offset <= h.state.Offset {
			continue
		}
		if e.Offset != h.state.Offset+1 {
			// A gap inside the batch (a busy replica drains many events
			// at once): read the rest from the log below, rather than
			// wait for the next event or poll, which may be the last.
			gap = true
			break
		}
		out := h.state.Apply(e)
		if out.Result.Err != nil && e.Cmd.Op == "invalid" {
			h.m.cfg.Logger.Error("skipping a malformed event", "session", h.id, "offset", e.Offset)
		}
		applied = true
		h.sinceSnap++
		h.dirtyMu.Lock()
		h.live.mark(out.Change, false, now)
		h.attendees.mark(out.Change, true, now)
		h.dirtyMu.Unlock()
	}
	if applied {
		close(h.appliedCh)
		h.appliedCh = make(chan struct{})
	}
	due := h.sinceSnap >= max(h.m.cfg.SnapshotEvery, int(h.snaps.every.Load()))
	if due {
		h.sinceSnap = 0
	}
	h.mu.Unlock()
	if applied {
		h.snaps.applied(evs)
	}
	if due {
		h.snaps.snapshot()
	}
	if gap {
		h.m.cfg.Metrics.gap()
		ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
		defer cancel()
		if err := h.readFrom(ctx); err != nil {
			h.m.cfg.Logger.Warn("filling a gap", "session", h.id, "err", err)
		}
	}
}

// waitApplied waits until the replica includes offset.
func (h *Hub) waitApplied(ctx context.Context, offset uint64) error {
	for {
		h.mu.RLock()
		cur, ch := h.state.Offset, h.appliedCh
		h.mu.RUnlock()
		if cur >= offset {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-h.ctx.Done():
			return ErrShutdown
		}
	}
}

// Export is the whole session with every count, at the latest offset this
// replica knows after catching up with the log.
func (h *Hub) Export(ctx context.Context) (Export, error) {
	last, err := h.m.store.LastOffset(ctx, h.id)
	if err != nil {
		return Export{}, err
	}
	h.poke()
	if err := h.waitApplied(ctx, last); err != nil {
		return Export{}, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	s := h.state
	x := Export{ID: s.ID, Code: s.Code, Title: s.Title, State: "live", CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339),
		Offset: s.Offset, Participants: len(s.Participants), Activities: []any{},
		Languages: s.Languages, Constituencies: s.Constituencies, ConstituencyNames: s.ConstituencyNames()}
	if s.Ended {
		x.State = "ended"
	}
	for _, a := range s.Activities {
		if a.Deleted {
			continue
		}
		x.Activities = append(x.Activities, a.Export())
		x.CSV = append(x.CSV, a.CSV()...)
	}
	x.Reactions = s.ReactionMinutes()
	x.CSV = append(x.CSV, s.ReactionCSV()...)
	x.CSVHeader = session.CSVHeaderFor(s.Languages)
	return x, nil
}

// Export is the export's JSON shape (PROTOCOL.md).
type Export struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	State        string `json:"state"`
	CreatedAt    string `json:"createdAt"`
	Offset       uint64 `json:"offset"`
	Participants int    `json:"participants"`
	// The session's settings, as its views carry them.
	Languages      []string `json:"languages,omitempty"`
	Constituencies []string `json:"constituencies,omitempty"`
	// ConstituencyNames translate Constituencies, the identities every
	// "constituency" of the export holds.
	ConstituencyNames []map[string]string `json:"constituencyNames,omitempty"`
	Activities        []any               `json:"activities"`
	// Reactions are the session's reactions per minute (PROTOCOL.md 1.2).
	Reactions []session.ReactionMinute `json:"reactions,omitempty"`
	// CSV is every activity's rows of the CSV export, from the same state,
	// under CSVHeader.
	CSV       [][]string `json:"-"`
	CSVHeader []string   `json:"-"`
}

// Title returns the session's title and code.
func (h *Hub) Title() (title, code string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.state.Title, h.state.Code
}
