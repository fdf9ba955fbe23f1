package eventlog

import (
	"context"

	"github.com/townhall/townhall/session"
)

// Tally is one instance's reaction counts of one tick, for the other
// instances serving the session.
type Tally struct {
	// From names the hub that counted them (random per hub), so that it
	// can leave its own out: it adds them itself, a tick earlier.
	From   string
	Counts session.Counts
}

// Tallies carries reaction tallies between the instances serving a
// session, beside the log and never in it (PROTOCOL.md 1.2, "Reactions").
//
// Delivery is at most once and only to subscribers that are subscribed
// when a tally is published: a tally lost in a fault is lost, which costs
// a moment of a display's floating emoji and nothing else, since each
// instance appends its own counts to the log as reactions.tally events.
// One store without other instances (Embedded) needs none.
type Tallies interface {
	// PublishTally sends t to every instance subscribed to the session,
	// this one included.
	PublishTally(ctx context.Context, session string, t Tally) error
	// SubscribeTallies calls fn with every tally published for the
	// session from now on, until cancel. fn is called from one goroutine
	// for all sessions and must not block.
	SubscribeTallies(ctx context.Context, session string, fn func(Tally)) (cancel func(), err error)
}
