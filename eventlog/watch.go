package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/townhall/townhall/session"
)

// WriteProber is a store that can check that it still takes writes, with a
// write that changes nothing a session sees.
type WriteProber interface {
	ProbeWrite(ctx context.Context) error
}

// Watched is a Store whose readiness also says whether appends succeed. A
// store can answer every ping and still fail every write (a full disk,
// Redis out of memory): such an instance must not be sent clients, and
// its joins must be answered "try again", not "internal".
type Watched struct {
	Store

	mu      sync.Mutex
	failing error // the last append's failure, nil once one succeeds
}

var _ Store = (*Watched)(nil)

// Watch wraps s.
func Watch(s Store) *Watched { return &Watched{Store: s} }

// Append implements Log, and records whether the store took the write.
func (w *Watched) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	off, err := w.Store.Append(ctx, id, e)
	switch {
	case err == nil:
		w.set(nil)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrClosed), ctx.Err() != nil && !errors.Is(err, context.DeadlineExceeded):
		// The caller's doing (a deleted session, a cancelled request), or
		// shutdown: says nothing about the store.
	default:
		w.set(err)
	}
	return off, err
}

func (w *Watched) set(err error) {
	w.mu.Lock()
	w.failing = err
	w.mu.Unlock()
}

// Failing is the last append's failure, or nil.
func (w *Watched) Failing() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failing
}

// Ready implements Store: the store is ready, and its last append
// succeeded or a probe write succeeds now. Without the probe an instance
// taken out of a load balancer would never be sent the append that
// proves it well again.
func (w *Watched) Ready(ctx context.Context) error {
	if err := w.Store.Ready(ctx); err != nil {
		return err
	}
	failing := w.Failing()
	if failing == nil {
		return nil
	}
	if p, ok := w.Store.(WriteProber); ok {
		if err := p.ProbeWrite(ctx); err == nil {
			w.mu.Lock()
			if w.failing == failing {
				w.failing = nil
			}
			w.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("appends fail: %w", failing)
}

// Resync passes on the wrapped store's signal that live events were lost
// (see Redis.Resync); a store without one never sends it.
func (w *Watched) Resync() <-chan struct{} {
	if r, ok := w.Store.(interface{ Resync() <-chan struct{} }); ok {
		return r.Resync()
	}
	return nil
}
