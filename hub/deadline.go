package hub

import (
	"context"
	"strconv"
	"time"

	"github.com/townhall/townhall/session"
)

// This file closes activities whose kind gives them a time to close by (a
// quiz, seconds after its open event): when it has passed by this
// instance's clock, the hub appends the activity.close itself.
//
// The reducer never needs the close to judge: an answer stamped after the
// deadline is refused by every replica alike. The close is what makes the
// results appear (and the phones' "you" with them), so it must come
// without a facilitator's click, from any instance hosting the session.
//
// It is the facilitator's command, with an id made of the activity and its
// deadline ("deadline:a12:1764633600123"). Every instance hosting the
// session appends the same command when its timer fires; the log takes it
// once: a repeated id is answered as the first time and changes nothing,
// and a close after the facilitator's own is a conflict, refused and
// harmless. Before appending, an instance checks its replica, so one that
// has applied another's close appends nothing.

// deadlineRetry is how long the loop waits after a failed append before
// it tries again.
const deadlineRetry = time.Second

// deadlineLoop runs until the hub closes: it sleeps until the earliest
// deadline of the session's open activities or until events are applied
// (which may open, close or delete one), and closes what is due.
func (h *Hub) deadlineLoop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// settled holds the closes this replica will not take (refused, or
	// answered before): never tried again, so that a kind that refuses
	// its own close cannot make this loop spin.
	settled := map[string]bool{}
	for {
		due, next, applied := h.deadlines(time.Now())
		again, retry := false, false
		for _, d := range due {
			id := deadlineID(d.activity, d.at)
			if settled[id] {
				continue
			}
			switch h.closeDue(id, d.activity) {
			case closeApplied:
				again = true
			case closeSettled:
				settled[id] = true
			case closeRetry:
				retry = true
			}
		}
		if again && !retry {
			continue // the replica has the closes: look again
		}
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), 0)
		}
		if retry {
			wait = min(wait, deadlineRetry)
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-h.ctx.Done():
			return
		case <-applied:
		case <-timer.C:
		}
	}
}

// What closeDue did.
const (
	closeApplied = iota // appended and applied
	closeSettled        // nothing to do: closed already, or refused
	closeRetry          // not now: try again later
)

// dueClose is an activity whose deadline has passed.
type dueClose struct {
	activity string
	at       time.Time
}

// deadlines lists the open activities whose deadline has passed at now,
// and the earliest one still to come (zero if none), with the channel
// closed when the replica next applies events. It reads the replica
// under the read lock: once per batch of events, which costs a look at
// each activity.
func (h *Hub) deadlines(now time.Time) (due []dueClose, next time.Time, applied <-chan struct{}) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	applied = h.appliedCh
	if h.broken != nil || h.state.Ended {
		return nil, time.Time{}, applied
	}
	for _, a := range h.state.Activities {
		at, ok := a.Deadline()
		if !ok {
			continue
		}
		if !at.After(now) {
			due = append(due, dueClose{a.ID, at})
		} else if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return due, next, applied
}

// deadlineID is the id of the close of an activity at its deadline: the
// same on every instance, so that the log takes it once.
func deadlineID(activity string, at time.Time) string {
	return "deadline:" + activity + ":" + strconv.FormatInt(at.UnixMilli(), 10)
}

// closeDue appends the activity's close, unless the replica says it is
// closed already or would refuse it, and waits until the replica has
// applied it.
func (h *Hub) closeDue(id, activity string) int {
	cmd := session.Command{ID: id, Op: "activity.close", Activity: activity}
	h.mu.RLock()
	_, seen := h.state.Seen(session.Host, cmd.ID)
	cerr := h.state.Check(session.Host, cmd)
	h.mu.RUnlock()
	if seen || cerr != nil {
		return closeSettled
	}
	if !h.m.begin() {
		return closeRetry // shutting down: another instance, or the next load, closes it
	}
	defer h.m.end()
	ctx, cancel := context.WithTimeout(h.ctx, h.m.cfg.AppendTimeout)
	defer cancel()
	off, err := h.m.store.Append(ctx, h.id, session.Event{Actor: session.Host, Cmd: cmd})
	if err != nil {
		if h.ctx.Err() == nil {
			h.m.cfg.Logger.Warn("appending a deadline's close", "session", h.id, "activity", activity, "err", err)
		}
		return closeRetry
	}
	if err := h.waitApplied(ctx, off); err != nil {
		return closeRetry
	}
	return closeApplied
}
