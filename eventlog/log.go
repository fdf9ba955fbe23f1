// Package eventlog keeps the ordered log of each session's events, its
// snapshots, and the session directory, behind one contract with two
// implementations: Embedded (bbolt, one file, one process) and Redis (many
// instances). One conformance suite runs against both.
package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/townhall/townhall/session"
)

// Errors of every implementation.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrClosed   = errors.New("log closed")
	// ErrUnavailable wraps a failure to reach the store; the command can be
	// retried with the same id.
	ErrUnavailable = errors.New("store unavailable")
	// ErrDeleted answers every call on a deleted session. It is an
	// ErrNotFound too: the session is gone, and the store did not lose it.
	ErrDeleted = fmt.Errorf("session deleted: %w", ErrNotFound)
	// ErrTrimmed answers a Read of events that a later snapshot covers and
	// the log no longer keeps: load the snapshot, and read on from it.
	ErrTrimmed = errors.New("events trimmed below a snapshot")
)

// Log is an ordered, durable log of events per session.
//
// Offsets start at 1 and grow by one per event, with no gaps, in the order
// appends were accepted; every instance reading a session's log sees the
// same events at the same offsets. When Append returns without error the
// event is durable (on disk for Embedded; in Redis, as durable as its AOF
// setting makes it) and will be delivered by Read forever after.
type Log interface {
	// Create starts the log of a new session with a new random epoch.
	// It fails with ErrExists if the session has a log.
	Create(ctx context.Context, session string) (epoch string, err error)
	// Append adds e and returns its offset. The log sets e.Offset, and
	// e.Time when it is zero. The session must exist (ErrNotFound).
	Append(ctx context.Context, session string, e session.Event) (uint64, error)
	// Read returns up to limit events with offsets after the given one, in
	// order. A log may drop events well below its latest snapshot (Redis,
	// RedisConfig.TrimKeep): a Read that starts among them answers
	// ErrTrimmed, and the caller loads the snapshot.
	Read(ctx context.Context, session string, after uint64, limit int) ([]session.Event, error)
	// Subscribe delivers events appended from now on, in offset order. It
	// is at most once: a subscriber that falls behind, or a connection
	// fault, may skip events. The subscriber notices the gap by offset
	// (or, when the session is quiet, by polling LastOffset) and fills it
	// with Read. The channel is closed when cancel is called or the log
	// closes.
	Subscribe(ctx context.Context, session string) (events <-chan session.Event, cancel func(), err error)
	// LastOffset is the offset of the session's last event, 0 if none.
	LastOffset(ctx context.Context, session string) (uint64, error)
	// Epoch is the random id made when the session's log was created. A
	// store that lost its data answers ErrNotFound or another epoch, and
	// callers must not merge the two histories.
	Epoch(ctx context.Context, session string) (string, error)
}

// Snapshots keeps the latest state of a session so that a new replica
// replays only the tail of the log.
type Snapshots interface {
	// SaveSnapshot keeps state as of offset, unless a later one is kept.
	SaveSnapshot(ctx context.Context, session string, offset uint64, state []byte) error
	// LoadSnapshot returns the latest snapshot, or ErrNotFound.
	LoadSnapshot(ctx context.Context, session string) (offset uint64, state []byte, err error)
}

// Directory maps join codes to sessions and keeps the token secret that
// every instance of a deployment shares.
type Directory interface {
	// ClaimCode binds code to session, or fails with ErrExists.
	ClaimCode(ctx context.Context, code, session string) error
	// LookupCode returns the session of a code, or ErrNotFound.
	LookupCode(ctx context.Context, code string) (string, error)
	// Secret returns the stored secret, storing proposed first if there
	// is none, so that all instances end up with the same one.
	Secret(ctx context.Context, proposed []byte) ([]byte, error)
}

// Lifecycle ends sessions' lives.
type Lifecycle interface {
	// Delete removes the session's log, snapshots and join code, and
	// leaves a tombstone: every later call on the session, on every
	// instance, answers ErrDeleted. Deleting an unknown session answers
	// ErrNotFound; a deleted one, ErrDeleted.
	Delete(ctx context.Context, session string) error
	// Sessions calls fn with every session and the time of its last
	// event (zero if it has none). fn may Delete the session.
	Sessions(ctx context.Context, fn func(session string, last time.Time) error) error
}

// Store is everything a Townhall instance keeps.
type Store interface {
	Log
	Snapshots
	Directory
	Lifecycle
	// Ready reports whether the store can serve now.
	Ready(ctx context.Context) error
	Close() error
}
