package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"time"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// This file is presence: how many attendee connections a session has open
// now, on every instance ("connected" in facilitators' and displays'
// SessionView, PROTOCOL.md 1.2 "The team"). It is not in the log: phones
// come and go by the thousand, belong to no replica's state, and a count
// written as events would make the log grow with every flaky network.

// Presence is a store that shares a count per session among the instances
// of a deployment, without the session's log.
//
// Presence records count as this instance's (instance is unique per
// Manager) for the session, holding for ttl unless renewed, and returns
// the sum over every instance whose count still holds, this one's
// included. A count of 0 removes this instance's at once. An instance that
// stops renewing (a crash) drops out of the sum after ttl.
//
// A store without it (Embedded: one process) has only local connections,
// and the hub counts them itself.
type Presence interface {
	Presence(ctx context.Context, session, instance string, count int, ttl time.Duration) (int, error)
}

var _ Presence = (*eventlog.Redis)(nil)

// presence is a hub's side of it.
type presence struct {
	// connected is the session's count as last known, for views; written
	// by the presence loop only.
	connected atomic.Int64
	// wake asks the loop to count again: an attendee connection came or
	// went here.
	wake chan struct{}
}

// presenceTTL is how long one instance's count holds in the shared sum
// without renewal: three missed renewals, so that one slow Redis call does
// not make a hall vanish from the display.
func (c *Config) presenceTTL() time.Duration { return 3 * c.PresenceInterval }

// presenceGap is the shortest time between two shared counts of one
// session on one instance: a hall joining at once costs Redis at most ten
// calls a second per session and instance, not one per phone.
const presenceGap = 100 * time.Millisecond

func newInstanceID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// pokePresence says an attendee connection came or went.
func (h *Hub) pokePresence() {
	select {
	case h.pres.wake <- struct{}{}:
	default:
	}
}

// Connected is the session's attendee connections open now, on every
// instance, as last counted.
func (h *Hub) Connected() int { return int(h.pres.connected.Load()) }

// connectedFor is what a role's SessionView says in "connected": only
// attendees go without it.
func (h *Hub) connectedFor(r session.Role) *int {
	if r == session.Attendee {
		return nil
	}
	n := h.Connected()
	return &n
}

// sessionView is a SessionView with what the log does not know: the
// connections open now, for every role but attendees.
type sessionView struct {
	session.SessionView
	Connected *int `json:"connected,omitempty"`
}

func (h *Hub) sessionView(sv session.SessionView, r session.Role) sessionView {
	return sessionView{sv, h.connectedFor(r)}
}

// presenceLoop counts the session's attendee connections whenever one
// comes or goes here and, with a shared store, every PresenceInterval,
// renewing this instance's count and reading the others'. A changed count
// is pushed to facilitators and displays with the next tick.
func (h *Hub) presenceLoop() {
	cfg := &h.m.cfg
	shared, _ := h.m.store.(Presence)
	var renew <-chan time.Time
	if shared != nil {
		t := time.NewTicker(cfg.PresenceInterval)
		defer t.Stop()
		renew = t.C
	}
	// others is the rest of the deployment's count at the last shared
	// count that succeeded (at othersAt), kept for a Redis that does not
	// answer for a moment; reported is this instance's count there.
	var others, reported int
	var othersAt time.Time
	defer func() {
		if shared != nil && reported > 0 {
			// A clean close takes this instance out of the sum now, not a
			// TTL later.
			ctx, cancel := context.WithTimeout(context.Background(), cfg.PresenceInterval)
			shared.Presence(ctx, h.id, h.m.instance, 0, cfg.presenceTTL())
			cancel()
		}
	}()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-renew:
		case <-h.pres.wake:
		}
		if h.ctx.Err() != nil {
			return
		}
		h.mu.RLock()
		local := len(h.conns[attendeeAudience])
		h.mu.RUnlock()
		total := local
		if shared != nil {
			ctx, cancel := context.WithTimeout(h.ctx, cfg.PresenceInterval)
			n, err := shared.Presence(ctx, h.id, h.m.instance, local, cfg.presenceTTL())
			cancel()
			switch {
			case err == nil:
				others, othersAt, reported, total = max(n-local, 0), time.Now(), local, n
			case time.Since(othersAt) < cfg.presenceTTL():
				total = local + others
			default:
				h.m.cfg.Logger.Debug("counting connections across instances", "session", h.id, "err", err)
			}
		}
		if int(h.pres.connected.Swap(int64(total))) != total {
			h.dirtyMu.Lock()
			h.live.mark(session.Change{Header: true}, false, time.Now())
			h.dirtyMu.Unlock()
		}
		if shared != nil {
			select {
			case <-h.ctx.Done():
			case <-time.After(presenceGap):
			}
		}
	}
}
