// Package session is the domain of a Townhall session: the events of its log,
// the checks on commands, the reducer that folds events into state, and the
// views each role may see. It is pure: no I/O, no goroutines, no clock. Time
// comes from the events, stamped when they were appended.
package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
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
	// session.create and session.update
	Languages []string `json:"languages,omitempty"`
	// Constituencies are names, each a string or a map per language.
	Constituencies []Text `json:"constituencies,omitempty"`
	// NoConstituencies is session.update's "constituencies": [] (it
	// clears the list), which the log would otherwise not tell from an
	// absent list. ParseCommand sets it; a client's own is ignored.
	NoConstituencies bool  `json:"noConstituencies,omitempty"`
	Reactions        *bool `json:"reactions,omitempty"`
	// Lang is the language of the connection that sent the command,
	// stamped by the server (never read from the client's command).
	Lang string `json:"lang,omitempty"`
	// Titles is a title given per language (the wire's "title" as a
	// map); Title is then empty.
	Titles Text `json:"titles,omitempty"`

	// Args is the whole message of an op that reads fields of its own
	// (Op.Args), kept as sent so that the op decodes them from the log
	// the same way on every replica.
	Args json.RawMessage `json:"args,omitempty"`

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

	// Extra holds the fields of kinds that read their own spec (with
	// Decode): a kind's fields stay in its own file. Named text fields
	// given as translations (maps, not strings) are kept here too.
	Extra map[string]json.RawMessage `json:"-"`

	langs []string // the session's, set before the kind checks the spec
}

// specFields is ActivitySpec without its methods, for encoding/json.
type specFields ActivitySpec

// UnmarshalJSON keeps the fields the struct does not name in Extra, in
// the form MarshalJSON writes them, so that a spec read back from the log
// is the spec that was written.
func (s *ActivitySpec) UnmarshalJSON(data []byte) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	// encoding/json matches a struct's fields whatever their case, so
	// "Title" is the title; two spellings of one field are refused
	// rather than one chosen by their order on the wire.
	canon := map[string]string{}
	seen := map[string]string{}
	for k := range all {
		name := specName(k)
		if name == "" {
			continue
		}
		if other, ok := seen[name]; ok {
			return fmt.Errorf("the field %q is given twice (as %q and %q)", name, other, k)
		}
		seen[name], canon[k] = k, name
	}
	// A translated title or list of texts does not fit the named
	// field's strings: it stays in Extra, and the named field empty.
	named := data
	translated := map[string]json.RawMessage{}
	for k, name := range canon {
		if raw := all[k]; slices.Contains(textFields, name) && hasObject(raw) {
			translated[name] = raw
			delete(all, k)
		}
	}
	if len(translated) > 0 {
		var err error
		if named, err = json.Marshal(all); err != nil {
			return err
		}
	}
	var f specFields
	if err := json.Unmarshal(named, &f); err != nil {
		return err
	}
	for k := range canon {
		delete(all, k)
	}
	for name, raw := range translated {
		all[name] = raw
	}
	f.Extra = nil
	for k, raw := range all {
		// Compacted and escaped as json.Marshal writes a raw value.
		b, err := json.Marshal(raw)
		if err != nil {
			return err
		}
		if f.Extra == nil {
			f.Extra = map[string]json.RawMessage{}
		}
		f.Extra[k] = b
	}
	*s = ActivitySpec(f)
	return nil
}

// specName is the field of ActivitySpec a JSON key names, as
// encoding/json matches it (exactly, or else whatever the case), or "".
func specName(key string) string {
	if slices.Contains(specNames, key) {
		return key
	}
	for _, name := range specNames {
		if strings.EqualFold(name, key) {
			return name
		}
	}
	return ""
}

// MarshalJSON writes the named fields and Extra side by side.
func (s ActivitySpec) MarshalJSON() ([]byte, error) {
	named, err := json.Marshal(specFields(s))
	if err != nil || len(s.Extra) == 0 {
		return named, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(named, &all); err != nil {
		return nil, err
	}
	for k, v := range s.Extra {
		all[k] = v
	}
	return json.Marshal(all)
}

// textFields are the named fields that may be given as translations.
var textFields = []string{"title", "options", "constituencies"}

// hasObject says whether a JSON value is an object or a list holding one.
func hasObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	if raw[0] == '{' {
		return true
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return false
	}
	for _, it := range list {
		if it = bytes.TrimSpace(it); len(it) > 0 && it[0] == '{' {
			return true
		}
	}
	return false
}

// TitleText is the spec's title, translated or not.
func (s *ActivitySpec) TitleText() Text {
	var t Text
	if raw, ok := s.Extra["title"]; ok && json.Unmarshal(raw, &t) == nil {
		return t
	}
	return Plain(s.Title)
}

// TextList reads a list field of texts: the named strings, or the
// translations kept in Extra.
func (s *ActivitySpec) TextList(name string, named []string) ([]Text, *Error) {
	if raw, ok := s.Extra[name]; ok {
		var list []Text
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errorf(CodeBadRequest, "\""+name+"\" must list texts: strings, or maps of language to text.")
		}
		return list, nil
	}
	list := make([]Text, len(named))
	for i, n := range named {
		list[i] = Plain(n)
	}
	return list, nil
}

// cleanText checks a text of the spec against the session's languages.
func (s *ActivitySpec) cleanText(t Text, max int, allowEmpty bool) (Text, *Error) {
	return cleanTextIn(t, max, allowEmpty, s.langs)
}

// Decode reads the spec, named fields and Extra alike, into a kind's own
// spec struct.
func (s *ActivitySpec) Decode(v any) error {
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// specNames are the JSON names of ActivitySpec's fields.
var specNames = func() []string {
	t := reflect.TypeOf(specFields{})
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}()

// Decode reads an op's own fields (Op.Args) from the command as sent.
func (c *Command) Decode(v any) error {
	if len(c.Args) == 0 {
		return fmt.Errorf("%w: the command has no fields of its own", ErrMalformed)
	}
	return json.Unmarshal(c.Args, v)
}

// ParseCommand reads a websocket "cmd" message. The wire puts an activity id
// in "activity" for most ops and the whole spec there for activity.create.
// What it returns is stored in the log as is, and reads back the same.
func ParseCommand(data []byte) (Command, error) {
	var w struct {
		Command
		Activity json.RawMessage `json:"activity"`
		Spec     json.RawMessage `json:"spec"` // only activity.update has one on the wire
		// Choices are read one by one: encoding/json leaves an int
		// untouched for a null, so [null] would be a vote for option 0.
		Choices []json.RawMessage `json:"choices"`
		Title   json.RawMessage   `json:"title"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return Command{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := w.Command
	c.Spec = nil
	c.Activity = ""
	c.Choices = nil
	c.Lang = ""
	c.Title = ""
	if c.Languages != nil && len(c.Languages) == 0 {
		// Refused here, not by session.update: the log could not tell
		// an empty list from none.
		return Command{}, fmt.Errorf("%w: \"languages\" must list at least one language (a session keeps one)", ErrMalformed)
	}
	c.NoConstituencies = c.Constituencies != nil && len(c.Constituencies) == 0
	if c.NoConstituencies {
		c.Constituencies = nil
	}
	if len(w.Title) > 0 && string(w.Title) != "null" {
		var t Text
		if err := json.Unmarshal(w.Title, &t); err != nil {
			return Command{}, fmt.Errorf("%w: title must be a text or a map of language to text", ErrMalformed)
		}
		if t.Translated() {
			c.Titles = t
		} else {
			c.Title = t[""]
		}
	}
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
		} else if c.Op == "activity.update" {
			// activity.update names its activity and its new spec.
			if err := json.Unmarshal(w.Activity, &c.Activity); err != nil {
				return Command{}, fmt.Errorf("%w: activity must be an id", ErrMalformed)
			}
			if len(w.Spec) > 0 && string(w.Spec) != "null" {
				var spec ActivitySpec
				if err := json.Unmarshal(w.Spec, &spec); err != nil {
					return Command{}, fmt.Errorf("%w: spec: %v", ErrMalformed, err)
				}
				c.Spec = &spec
			}
		} else if err := json.Unmarshal(w.Activity, &c.Activity); err != nil {
			return Command{}, fmt.Errorf("%w: activity must be an id", ErrMalformed)
		}
	}
	if _, op, ok := kindOp(c.Op); ok && op.Args {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return Command{}, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		c.Args = buf.Bytes()
	}
	return c, nil
}
