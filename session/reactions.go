package session

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Reactions (PROTOCOL.md 1.2) are not an activity, and a tap is never an
// event: a hall of 10,000 phones at two taps a second would be 20,000
// appends a second. The hub counts taps per tick, and every instance
// appends its own counts as one "reactions.tally" event at most every
// 10 s; this file checks a tap and folds tallies into reactions per
// minute for the export.

// OpReact is the attendee's tap. It is judged by CheckReact and never
// appended.
const OpReact = "react"

// OpTally is the server's own event that carries one instance's reaction
// counts, per minute, since its last tally.
const OpTally = "reactions.tally"

// Emojis are the reactions attendees may send, in the order of Counts.
var Emojis = [...]string{"applause", "heart", "thumbsup", "laugh", "think"}

// ReasonReactionsOff refuses a tap while the facilitator has reactions
// off (Error.Reason), so that a page can say it in its own language.
const ReasonReactionsOff = "reactions_off"

// Bounds of a tally event.
const (
	// MaxTallyMinutes bounds the minutes of one tally: an instance
	// appends one at most every 10 s, which spans two minutes at most;
	// counts kept through failed appends go in several.
	MaxTallyMinutes = 10
	// maxTallySeen is how many instances' last tally the state remembers
	// to drop a repeated append (a retry after an ambiguous failure).
	maxTallySeen = 64
)

// EmojiIndex is the index of name in Emojis, or -1.
func EmojiIndex(name string) int {
	for i, e := range Emojis {
		if e == name {
			return i
		}
	}
	return -1
}

// Counts are reaction counts, one per Emojis entry. Its JSON is an object
// with every emoji by name: {"applause": 12, "heart": 0, …}.
type Counts [len(Emojis)]int64

// Zero says whether nothing is counted.
func (c Counts) Zero() bool { return c == Counts{} }

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// MarshalJSON writes every emoji's count by name, in the order of Emojis.
func (c Counts) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 80)
	b = append(b, '{')
	for i, e := range Emojis {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, e)
		b = append(b, ':')
		b = strconv.AppendInt(b, c[i], 10)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads counts by name; an unknown emoji or a negative
// count is an error, a missing one is zero.
func (c *Counts) UnmarshalJSON(data []byte) error {
	var m map[string]int64
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	var out Counts
	for name, n := range m {
		i := EmojiIndex(name)
		if i < 0 {
			return fmt.Errorf("unknown reaction %q", name)
		}
		if n < 0 {
			return fmt.Errorf("a negative count of %q", name)
		}
		out[i] = n
	}
	*c = out
	return nil
}

// CheckReact judges an attendee's tap of emoji now, without changing
// anything: an unknown emoji is bad_request; a tap by anyone but an
// attendee, or while the facilitator has reactions off, is forbidden (the
// tap is well formed, only not allowed now, as an answer to an activity
// that is not on screen); after the end, session_ended.
func (s *State) CheckReact(actor, emoji string) *Error {
	if actor == "" || RoleOf(actor) != Attendee {
		return errorf(CodeForbidden, "Only attendees react.")
	}
	if EmojiIndex(emoji) < 0 {
		return errorf(CodeBadRequest, "\"emoji\" must be one of applause, heart, thumbsup, laugh and think.")
	}
	if s.Ended {
		return errorf(CodeSessionEnded, "The session has ended.")
	}
	if !s.Reactions {
		return errorf(CodeForbidden, "Reactions are off in this session.").with(ReasonReactionsOff, 0, "")
	}
	return nil
}

// ReactionMinute is the reactions counted in one minute (UTC, on the
// minute), as the export lists them.
type ReactionMinute struct {
	Minute time.Time `json:"minute"`
	Counts Counts    `json:"counts"`
}

// Tally is what a reactions.tally event carries: one instance's counts
// per minute since its last tally. Instance is random per hub and Seq
// grows by one per tally of that instance, so that an append retried
// after an ambiguous failure is counted once.
type Tally struct {
	Instance string           `json:"instance"`
	Seq      uint64           `json:"seq"`
	Minutes  []ReactionMinute `json:"minutes"`
}

// Command is the tally as the command of the server's own event.
func (t Tally) Command() Command {
	args, err := json.Marshal(struct {
		Op string `json:"op"`
		Tally
	}{OpTally, t})
	if err != nil {
		panic("session: encoding a tally: " + err.Error()) // our own type always encodes
	}
	return Command{Op: OpTally, Args: args}
}

// Tallies is what a session keeps of its reactions: the counts per
// minute, in time order, and each instance's last tally.
type Tallies struct {
	Minutes []ReactionMinute `json:"minutes,omitempty"`
	Seen    []tallySeen      `json:"seen,omitempty"` // oldest first
}

type tallySeen struct {
	Instance string `json:"instance"`
	Seq      uint64 `json:"seq"`
}

// tally folds a reactions.tally event. Only the server writes them; a
// tally after the end is still counted, since it carries taps accepted
// before it. A repeated one (same instance, a seq already folded)
// changes nothing.
func (s *State) tally(e *Event, dry bool) (Result, Change, *Error) {
	if e.Actor != "" {
		return Result{}, Change{}, errorf(CodeForbidden, "Reaction tallies are the server's own.")
	}
	var t Tally
	if err := e.Cmd.Decode(&t); err != nil {
		return Result{}, Change{}, errorf(CodeBadRequest, "A reactions.tally is not valid: "+err.Error())
	}
	if t.Instance == "" || len(t.Instance) > 64 || t.Seq == 0 {
		return Result{}, Change{}, errorf(CodeBadRequest, "A reactions.tally names its instance and a seq from 1.")
	}
	if len(t.Minutes) == 0 || len(t.Minutes) > MaxTallyMinutes {
		return Result{}, Change{}, errorf(CodeBadRequest, "A reactions.tally has 1 to "+strconv.Itoa(MaxTallyMinutes)+" minutes.")
	}
	for _, m := range t.Minutes {
		if m.Minute.IsZero() || !m.Minute.Equal(m.Minute.Truncate(time.Minute)) {
			return Result{}, Change{}, errorf(CodeBadRequest, "A reactions.tally's minutes are on the minute.")
		}
	}
	tl := s.Tallies
	if tl == nil {
		tl = &Tallies{}
	}
	seen := -1
	for i, x := range tl.Seen {
		if x.Instance == t.Instance {
			seen = i
			if t.Seq <= x.Seq {
				return Result{}, Change{}, nil // folded already
			}
		}
	}
	if dry {
		return Result{}, Change{}, nil
	}
	s.Tallies = tl
	if seen >= 0 {
		tl.Seen = append(tl.Seen[:seen], tl.Seen[seen+1:]...)
	} else if len(tl.Seen) >= maxTallySeen {
		tl.Seen = tl.Seen[1:]
	}
	tl.Seen = append(tl.Seen, tallySeen{t.Instance, t.Seq})
	for _, m := range t.Minutes {
		tl.add(m.Minute.UTC(), m.Counts)
	}
	return Result{}, Change{}, nil
}

// add counts c in minute, keeping the minutes in time order: instances'
// tallies interleave, so a minute may come after a later one.
func (tl *Tallies) add(minute time.Time, c Counts) {
	i := len(tl.Minutes)
	for i > 0 && tl.Minutes[i-1].Minute.After(minute) {
		i--
	}
	if i > 0 && tl.Minutes[i-1].Minute.Equal(minute) {
		tl.Minutes[i-1].Counts.Add(c)
		return
	}
	tl.Minutes = append(tl.Minutes, ReactionMinute{})
	copy(tl.Minutes[i+1:], tl.Minutes[i:])
	tl.Minutes[i] = ReactionMinute{Minute: minute, Counts: c}
}

// ReactionMinutes is the session's reactions per minute, for the export.
func (s *State) ReactionMinutes() []ReactionMinute {
	if s.Tallies == nil {
		return nil
	}
	return append([]ReactionMinute(nil), s.Tallies.Minutes...)
}

// ReactionCSV is the CSV export's rows of reactions: one per minute and
// emoji counted, under kind "reactions", the minute in created_at.
func (s *State) ReactionCSV() [][]string {
	var rows [][]string
	for _, m := range s.ReactionMinutes() {
		for i, n := range m.Counts {
			if n == 0 {
				continue
			}
			r := CSVRow{Item: Emojis[i], Count: strconv.FormatInt(n, 10), Created: m.Minute.UTC().Format(time.RFC3339)}
			row := append([]string{"", "reactions", ""}, r.Cells()...)
			// The other languages' columns, empty: an emoji is every language's.
			rows = append(rows, append(row, make([]string, 3*len(extraLangs(s.Languages)))...))
		}
	}
	return rows
}
