package hub

import (
	"context"

	"github.com/townhall/townhall/session"
)

// Limits are the session caps the manager's replicas judge by: a create
// from a plan is judged under them before anything is stored.
func (m *Manager) Limits() session.Limits { return m.cfg.Limits }

// Plan is the session's plan (session.State.Plan) at the latest offset
// this replica knows after catching up with the log, as Export is.
func (h *Hub) Plan(ctx context.Context) (session.Plan, error) {
	last, err := h.m.store.LastOffset(ctx, h.id)
	if err != nil {
		return session.Plan{}, err
	}
	h.poke()
	if err := h.waitApplied(ctx, last); err != nil {
		return session.Plan{}, err
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	// Specs and settings are replaced, never changed in place, by the
	// reducer: the plan may be encoded after the lock is let go.
	return h.state.Plan(), nil
}
