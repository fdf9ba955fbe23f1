package session

import "strconv"

// Limits are the caps of a session that the reducer judges (PROTOCOL.md
// 1.1, "Limits"). The zero value of each field, or a negative one, means its
// default.
//
// Limits are configuration, not state: they are not in the snapshot, and
// the hub sets them on every replica it makes. A command is judged again by
// every replica that applies it, so every instance of one deployment must
// run with the same limits (they come from the same flags); a replica that
// replays the log with other limits may judge an old event otherwise. Raise
// or lower them for a whole deployment at once.
type Limits struct {
	// QAEntries caps the entries of one Q&A board, hidden ones included.
	// Zero means 5,000.
	QAEntries int
	// QAEntriesPerParticipant caps one participant's entries on one board.
	// Zero means 20.
	QAEntriesPerParticipant int
	// Activities caps the activities of one session. Zero means 500.
	Activities int
	// QueueShown is how many waiting hands of a queue attendees are sent,
	// from the front; facilitators and displays get them all. Zero means 50.
	QueueShown int
}

// Rules versions (State.Rules).
const (
	// RulesV1 is a session created before version 1.1 of the protocol: no
	// caps, no attendee scope, no stale-click conflicts, no hand without
	// a constituency.
	RulesV1 = 0
	// RulesV11 adds the checks of version 1.1.
	RulesV11 = 1
	// CurrentRules is what a new session is created under.
	CurrentRules = RulesV11
)

func (s *State) v11() bool { return s.Rules >= RulesV11 }

// v11 says whether the activity's session runs version 1.1 rules; an
// activity of no state (a test's own) does.
func (a *Activity) v11() bool { return a.s == nil || a.s.v11() }

// The defaults of Limits.
const (
	DefaultQAEntries               = 5000
	DefaultQAEntriesPerParticipant = 20
	DefaultActivities              = 500
	DefaultQueueShown              = 50
)

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func (l Limits) qaEntries() int { return orDefault(l.QAEntries, DefaultQAEntries) }

func (l Limits) qaEntriesPerParticipant() int {
	return orDefault(l.QAEntriesPerParticipant, DefaultQAEntriesPerParticipant)
}

func (l Limits) activities() int { return orDefault(l.Activities, DefaultActivities) }

func (l Limits) queueShown() int { return orDefault(l.QueueShown, DefaultQueueShown) }

// limits are the limits of the state the activity belongs to; an activity
// of no state (a test's own) has the defaults.
func (a *Activity) limits() Limits {
	if a.s == nil {
		return Limits{}
	}
	return a.s.Limits
}

// count writes a count for a person: 5,000 rather than 5000.
func count(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// plural is "1 question" or "20 questions".
func plural(n int, one, many string) string {
	if n == 1 {
		return count(n) + " " + one
	}
	return count(n) + " " + many
}
