package session

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// A kind of activity is one Kind value, registered from the kind's own file:
// its spec check, its ops with their roles, and (through its Body) its view
// per role, export, "you", CSV rows and restore. The op dispatch, KnownOp,
// views, export and the CSV all go through this table, so adding a kind is
// one file here.

// Kind is one kind of activity.
type Kind struct {
	Name string
	// Field is the key the activity's body is stored under in snapshots
	// ("poll", "cloud", …), so that snapshots read back as they were.
	Field string
	// Revealed is who sees a new activity's results.
	Revealed Revealed
	// New checks a spec and makes the body of a new activity. The
	// common fields (kind, title) are checked before.
	New func(spec *ActivitySpec) (Body, *Error)
	// Empty makes a body for a snapshot to be decoded into.
	Empty func() Body
	// Ops are the kind's own ops, by name.
	Ops map[string]Op
}

// Op is one of a kind's ops.
type Op struct {
	Role Role
	// Args says the op reads fields of its own from the command (with
	// Command.Decode), so that ParseCommand keeps the message for it.
	Args bool
	// Fn checks the command and, unless dry, applies it. It returns the
	// participants whose own data ("you") changed. It must not change
	// anything before it has decided to accept.
	Fn func(a *Activity, e *Event, dry bool) (Result, []string, *Error)
}

// Body is an activity's kind-specific state. Its JSON is what a snapshot
// stores.
type Body interface {
	// View is the activity as role sees it; what role may not see is
	// absent.
	// lang is the connection's language ("" for the default): texts
	// are given in it, and, for facilitators and displays, per language
	// beside it.
	View(a *Activity, role Role, lang string) any
	// Export is the activity with every count and entry, hidden ones
	// marked.
	Export(a *Activity) any
	// You is a participant's own data, or nil when there is none.
	You(a *Activity, participant string) map[string]any
	// CSV is the activity's rows of the CSV export.
	CSV(a *Activity) []CSVRow
}

// restorer is a Body that rebuilds unexported indexes after a snapshot
// was decoded.
type restorer interface{ restore() }

// ender is a Body with something to close when the session ends (the turn
// in progress of a queue).
type ender interface {
	end(a *Activity, at time.Time)
}

// opener is a Body that takes part in its activity's opening and closing
// by activity.open and activity.close: a quiz's clock starts at its open
// event's time, and its results reach every phone at its close. It may
// refuse, before anything changed; unless dry it records the change and
// returns the participants whose own data ("you") changed.
type opener interface {
	opening(a *Activity, e *Event, open, dry bool) ([]string, *Error)
}

// deadliner is a Body whose open activity closes by itself at a time (a
// quiz, seconds after it was opened). The reducer refuses what comes
// later by the events' times; the hub appends the activity.close.
type deadliner interface {
	Deadline(a *Activity) (time.Time, bool)
}

// Deadline is when the open activity closes by itself, if its kind has
// such a time. The hub appends its activity.close once it has passed.
func (a *Activity) Deadline() (time.Time, bool) {
	d, ok := a.Body.(deadliner)
	if !ok || a.State != Open || a.Deleted {
		return time.Time{}, false
	}
	return d.Deadline(a)
}

// CSVRow is one line of the CSV export after the activity's id, kind and
// title; empty fields stay empty. Constituency is a speaker's, an entry
// author's, or a segment's (SegmentNone for those who gave none);
// Language is an entry's, once entries carry one.
type CSVRow struct {
	Item, Count, Status, Voters, Name, Constituency, Created, Started, Ended, Seconds, Language string
	// ItemTexts is the item per language when the facilitator gave it so
	// (an option, a statement), for the columns of the session's other
	// languages; nil for what attendees wrote, which has one language.
	ItemTexts Text
}

// CSVHeader names the columns of the CSV export of a session in at most
// one language. CSVHeaderFor adds the others'.
var CSVHeader = []string{"activity", "kind", "title", "item", "count", "status", "voters", "name", "constituency", "created_at", "started_at", "ended_at", "seconds", "language"}

// CSVHeaderFor is the CSV header of a session in langs: for each language
// after the default, the title, item and constituency in it, so that a
// spreadsheet in French reads the options a French phone saw.
func CSVHeaderFor(langs []string) []string {
	h := slices.Clone(CSVHeader)
	for _, l := range extraLangs(langs) {
		h = append(h, "title_"+l, "item_"+l, "constituency_"+l)
	}
	return h
}

// extraLangs are the session's languages after its default.
func extraLangs(langs []string) []string {
	if len(langs) < 2 {
		return nil
	}
	return langs[1:]
}

// Cells are the row's columns after the activity's own.
func (r CSVRow) Cells() []string {
	return []string{r.Item, r.Count, r.Status, r.Voters, r.Name, r.Constituency, r.Created, r.Started, r.Ended, r.Seconds, r.Language}
}

var (
	kinds   = map[string]*Kind{}
	kindOps = map[string]*Kind{} // op name → its kind
)

// register adds a kind. It panics on a clash: that is a programming error
// found by any test.
func register(k Kind) {
	if _, dup := kinds[k.Name]; dup {
		panic("session: kind " + k.Name + " registered twice")
	}
	kinds[k.Name] = &k
	for name := range k.Ops {
		if _, dup := kindOps[name]; dup || coreOps[name] {
			panic("session: op " + name + " registered twice")
		}
		kindOps[name] = &k
	}
}

// Kinds names the registered kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for n := range kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// kindOp finds an op of a kind.
func kindOp(name string) (*Kind, Op, bool) {
	k := kindOps[name]
	if k == nil {
		return nil, Op{}, false
	}
	return k, k.Ops[name], true
}

// activityFields are an Activity's own fields as a snapshot stores them;
// the body goes beside them under its kind's Field.
type activityFields struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"`
	Title     string        `json:"title"`
	State     string        `json:"state"`
	Revealed  Revealed      `json:"revealed"`
	CreatedAt time.Time     `json:"createdAt"`
	Spec      *ActivitySpec `json:"spec,omitempty"`
	Deleted   bool          `json:"deleted,omitempty"`
	Titles    Text          `json:"titles,omitempty"`
}

// MarshalJSON stores the activity with its body under the kind's field.
func (a *Activity) MarshalJSON() ([]byte, error) {
	f := activityFields{a.ID, a.Kind, a.Title, a.State, a.Revealed, a.CreatedAt, a.Spec, a.Deleted, a.Titles}
	head, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	k := kinds[a.Kind]
	if k == nil || a.Body == nil {
		return head, nil
	}
	body, err := json.Marshal(a.Body)
	if err != nil {
		return nil, err
	}
	out := append(head[:len(head)-1:len(head)-1], ',', '"')
	out = append(out, k.Field...)
	out = append(out, '"', ':')
	out = append(out, body...)
	return append(out, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON stored.
func (a *Activity) UnmarshalJSON(data []byte) error {
	var f activityFields
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	*a = Activity{ID: f.ID, Kind: f.Kind, Title: f.Title, State: f.State, Revealed: f.Revealed, CreatedAt: f.CreatedAt, Spec: f.Spec, Deleted: f.Deleted, Titles: f.Titles}
	k := kinds[f.Kind]
	if k == nil {
		return fmt.Errorf("activity %s: unknown kind %q", f.ID, f.Kind)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	a.Body = k.Empty()
	if raw, ok := fields[k.Field]; ok {
		if err := json.Unmarshal(raw, a.Body); err != nil {
			return fmt.Errorf("activity %s: %w", f.ID, err)
		}
	}
	return nil
}
