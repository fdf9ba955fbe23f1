// Package session is the domain of a Townhall session: the events of its log,
// the checks on commands, the reducer that folds events into state, and the
// views each role may see. It is pure: no I/O, no goroutines, no clock. Time
// comes from the events, stamped when they were appended.
package session

import (
	"encoding/json"
	"fmt"
	"time"
)

// Host is the actor of commands sent by the facilitator.
const Host = "host"

// Internal ops are written by the server itself, never accepted from a client.
const (
	OpCreate = "session.create"
	OpJoin   = "join"
)

// OpEnd is the facilitator's op that ends a session.
const OpEnd = "session.end"

// Event is one entry of a session's log. Offset and Time are set by the log
// when the event is appended; everything else is decided before.
type Event struct {
	Offset uint64    `json:"o"`
	Time   time.Time `json:"t"`
	// Actor is the participant that sent the command, Host for the
	// facilitator, or empty for the server's own events.
	Actor string  `json:"a,omitempty"`
	Cmd   Command `json:"c"`
}

// Command is an op with its arguments. On the wire its fields are flat in the
// "cmd" message; in the log it is stored as this struct.
type Command struct {
	ID string `json:"id,omitempty"`
	Op string `json:"op"`

	Activity string        `json:"activity,omitempty"`
	Spec     *ActivitySpec `json:"spec,omitempty"` // activity.create

	// session.create and join
	Session      string `json:"session,omitempty"`
	Rules        int    `json:"rules,omitempty"` // session.create: State.Rules
	Code         string `json:"code,omitempty"`
	Title        string `json:"title,omitempty"`
	Name         string `json:"name,omitempty"`
	Constituency string `json:"constituency,omitempty"`

	Choices   []int  `json:"choices,omitempty"`
	Text      string `json:"text,omitempty"`
	Entry     string `json:"entry,omitempty"`
	Action    string `json:"action,omitempty"`
	Hand      string `json:"hand,omitempty"`
	Kind      string `json:"kind,omitempty"`
	To        *int   `json:"to,omitempty"`
	Seconds   *int   `json:"seconds,omitempty"`
	Policy    string `json:"policy,omitempty"`
	Attendees *bool  `json:"attendees,omitempty"`
	Display   *bool  `json:"display,omitempty"`
	// Current is a precondition: the hand on the floor (queue.next) or
	// the activity on screen (activity.present) when the facilitator
	// clicked, "" for none. Nil means no precondition; a pointer keeps
	// "" apart from absent, in the log too.
	Current *string `json:"current,omitempty"`
}

// ActivitySpec is what activity.create asks for.
type ActivitySpec struct {
	Kind  string `json:"kind"`
	Title string `json:"title"`

	Options    []string `json:"options,omitempty"`
	Multi      bool     `json:"multi,omitempty"`
	MaxChoices int      `json:"maxChoices,omitempty"`

	MaxEntries int    `json:"maxEntries,omitempty"`
	MaxLength  int    `json:"maxLength,omitempty"`
	Moderation string `json:"moderation,omitempty"`

	Moderated bool   `json:"moderated,omitempty"`
	Sort      string `json:"sort,omitempty"`

	SpeakingSeconds int      `json:"speakingSeconds,omitempty"`
	Constituencies  []string `json:"constituencies,omitempty"`
	Policy          string   `json:"policy,omitempty"`
}

// ParseCommand reads a websocket "cmd" message. The wire puts an activity id
// in "activity" for most ops and the whole spec there for activity.create.
// What it returns is stored in the log as is, and reads back the same.
func ParseCommand(data []byte) (Command, error) {
	var w struct {
		Command
		Activity json.RawMessage `json:"activity"`
		Spec     json.RawMessage `json:"spec"` // the wire has no spec field
		// Choices are read one by one: encoding/json leaves an int
		// untouched for a null, so [null] would be a vote for option 0.
		Choices []json.RawMessage `json:"choices"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := w.Command
	c.Spec = nil
	c.Activity = ""
	c.Choices = nil
	for _, raw := range w.Choices {
		var n int
		if string(raw) == "null" || json.Unmarshal(raw, &n) != nil {
			return Command{}, fmt.Errorf("%w: choices must be option numbers, written as integers", ErrMalformed)
		}
		c.Choices = append(c.Choices, n)
	}
	if len(w.Activity) > 0 && string(w.Activity) != "null" {
		if c.Op == "activity.create" {
			var spec ActivitySpec
			if err := json.Unmarshal(w.Activity, &spec); err != nil {
				return Command{}, fmt.Errorf("%w: activity: %v", ErrMalformed, err)
			}
			// Empty lists read back from the log as absent ones.
			if len(spec.Options) == 0 {
				spec.Options = nil
			}
			if len(spec.Constituencies) == 0 {
				spec.Constituencies = nil
			}
			c.Spec = &spec
		} else if err := json.Unmarshal(w.Activity, &c.Activity); err != nil {
			return Command{}, fmt.Errorf("%w: activity must be an id", ErrMalformed)
		}
	}
	return c, nil
}
