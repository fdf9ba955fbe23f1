package session

import (
	"strconv"
	"time"
)

// Role is what a credential allows.
type Role string

// The three roles of PROTOCOL.md.
const (
	Facilitator Role = "facilitator"
	Display     Role = "display"
	Attendee    Role = "attendee"
)

// Activity states.
const (
	Draft  = "draft"
	Open   = "open"
	Closed = "closed"
)

// Activity kinds.
const (
	KindPoll      = "poll"
	KindWordcloud = "wordcloud"
	KindQA        = "qa"
	KindQueue     = "queue"
)

// dedupWindow is how many command ids the session remembers per participant.
const dedupWindow = 1000

// State is a session folded from its log. The zero value is the state before
// the first event. Exported fields are what a snapshot stores.
type State struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	Title     string    `json:"title"`
	CreatedAt time.Time `json:"createdAt"`
	Ended     bool      `json:"ended"`
	Offset    uint64    `json:"offset"`
	Presented string    `json:"presented"`

	Activities   []*Activity             `json:"activities"`
	Participants map[string]*Participant `json:"participants"`
	// Results remembers each actor's recent command ids and their answers.
	Results map[string]*results `json:"results"`

	// Limits are set by whoever makes the replica (the hub), the same on
	// every replica; they are not part of the snapshot (see Limits).
	Limits Limits `json:"-"`
	// Rules is the version of the reducer's rules the session was created
	// under (its session.create event says). A log is folded by the rules
	// it was written under, so that an upgrade never judges an old,
	// acknowledged command otherwise: a vote accepted before attendee
	// scope existed stays counted.
	Rules int `json:"rules,omitempty"`

	// Set by session.create and session.update (PROTOCOL.md 1.2): the
	// session's languages (the first is the default), its constituencies
	// and whether attendees may react.
	Languages []string `json:"languages,omitempty"`
	// Constituencies are the constituencies' identities (constituency.go),
	// ConstituencyTexts their names per language, one per identity, or nil
	// when every name is a plain string (and in snapshots taken before names
	// had languages).
	Constituencies    []string `json:"constituencies,omitempty"`
	ConstituencyTexts []Text   `json:"constituencyTexts,omitempty"`
	Reactions         bool     `json:"reactions,omitempty"`
	// Tallies are the reactions counted per minute (reactions.go).
	Tallies *Tallies `json:"tallies,omitempty"`
	// Titles is the title per language when it was given so; Title is
	// then its default language's.
	Titles Text `json:"titles,omitempty"`

	byID map[string]*Activity
	cons *consIndex
}

// Participant is someone who joined.
type Participant struct {
	Name         string `json:"name,omitempty"`
	Constituency string `json:"constituency,omitempty"`
}

// Revealed says who sees an activity's results.
type Revealed struct {
	Attendees bool `json:"attendees"`
	Display   bool `json:"display"`
}

// Activity is one activity of a session: the fields every kind has, and
// its kind's Body. It is stored as activityFields plus the body (kind.go).
type Activity struct {
	ID        string
	Kind      string
	Title     string
	State     string
	Revealed  Revealed
	CreatedAt time.Time
	// Spec is the spec it was created (or last updated) with, for
	// updates, duplicates and plans.
	Spec *ActivitySpec
	// Deleted activities leave the views; the log keeps them.
	Deleted bool
	// Titles is the title per language when it was given so; Title is
	// then its default language's.
	Titles Text

	Body Body

	s *State // the session it belongs to, nil for a test's own
}

// Result is the answer to a command: an error, or what the ack carries.
type Result struct {
	Err      *Error `json:"err,omitempty"`
	Activity string `json:"activity,omitempty"`
	Entry    string `json:"entry,omitempty"`
	Hand     string `json:"hand,omitempty"`
}

// results is a bounded memory of command ids, oldest forgotten first.
type results struct {
	IDs   map[string]Result `json:"ids"`
	Order []string          `json:"order"`
}

func (r *results) put(id string, res Result) {
	if len(r.Order) >= dedupWindow {
		delete(r.IDs, r.Order[0])
		r.Order = r.Order[1:]
	}
	r.IDs[id] = res
	r.Order = append(r.Order, id)
}

// Change says what an applied event changed, so the hub knows what to push.
type Change struct {
	Header bool // title, presented, state
	// Participants says only the participant count changed: the protocol
	// pushes a session header for title, presented activity and end, so
	// a hall joining does not have to reach every phone with each join.
	Participants bool
	Activity     string   // the activity whose view changed
	You          []string // participants whose own data in Activity changed
}

// Outcome is what Apply did with one event.
type Outcome struct {
	Result    Result
	Duplicate bool // the command id was seen before: nothing changed
	Change    Change
}

// Restore prepares a state decoded from a snapshot.
func (s *State) Restore() {
	s.init()
	s.indexConstituencies()
	s.byID = make(map[string]*Activity, len(s.Activities))
	for _, a := range s.Activities {
		s.byID[a.ID] = a
		a.s = s
		if r, ok := a.Body.(restorer); ok {
			r.restore()
		}
	}
}

func (s *State) init() {
	if s.Participants == nil {
		s.Participants = map[string]*Participant{}
	}
	if s.Results == nil {
		s.Results = map[string]*results{}
	}
	if s.byID == nil {
		s.byID = map[string]*Activity{}
	}
}

// Activity returns the activity with that id, or nil.
func (s *State) Activity(id string) *Activity { return s.byID[id] }

// Seen returns the answer already given to an actor's command id.
func (s *State) Seen(actor, id string) (Result, bool) {
	if id == "" {
		return Result{}, false
	}
	r := s.Results[actor]
	if r == nil {
		return Result{}, false
	}
	res, ok := r.IDs[id]
	return res, ok
}

// RoleOf is the role of an actor.
func RoleOf(actor string) Role {
	switch actor {
	case Host:
		return Facilitator
	case Mod:
		return Moderator
	}
	return Attendee
}

// Check says whether the command would be accepted now, without changing
// anything. The reducer makes the same checks again when the event is
// applied, so that every replica judges alike.
func (s *State) Check(actor string, c Command) *Error {
	return s.CheckAt(actor, c, time.Time{})
}

// CheckAt is Check for an event that would be stamped at about at: checks
// that depend on the time (a quiz's clock) are made too. With the zero
// time they are left to the reducer, which judges by the event's stamp.
func (s *State) CheckAt(actor string, c Command, at time.Time) *Error {
	s.init()
	e := Event{Offset: s.Offset + 1, Time: at, Actor: actor, Cmd: c}
	_, _, err := s.handle(&e, true)
	return err
}

// Apply folds one event into the state. Events must come in offset order;
// an event at or below the state's offset is ignored. A refused command
// changes nothing but is remembered with its error, as an accepted one is
// with its result.
func (s *State) Apply(e Event) Outcome {
	s.init()
	if e.Offset != 0 && e.Offset <= s.Offset {
		return Outcome{Duplicate: true}
	}
	if e.Offset != 0 {
		s.Offset = e.Offset
	}
	if res, ok := s.Seen(e.Actor, e.Cmd.ID); ok {
		return Outcome{Result: res, Duplicate: true}
	}
	res, ch, err := s.handle(&e, false)
	if err != nil {
		res = Result{Err: err}
		ch = Change{}
	}
	if e.Cmd.ID != "" && e.Actor != "" {
		r := s.Results[e.Actor]
		if r == nil {
			r = &results{IDs: map[string]Result{}}
			s.Results[e.Actor] = r
		}
		r.put(e.Cmd.ID, res)
	}
	return Outcome{Result: res, Change: ch}
}

// handle checks a command and, unless dry, applies it. It must not change
// anything before it has decided to accept.
func (s *State) handle(e *Event, dry bool) (Result, Change, *Error) {
	c := &e.Cmd
	role := RoleOf(e.Actor)
	if e.Actor == "" {
		role = ""
	}
	need := func(r Role) *Error {
		if role == r {
			return nil
		}
		// A facilitator's op is the team's: who of it may send it is
		// the team's table (team.go).
		if r == Facilitator && role == Moderator {
			return teamNeed(role, c.Op)
		}
		return errorf(CodeForbidden, "Only the "+string(r)+" may do that.")
	}
	switch c.Op {
	case OpCreate:
		if e.Actor != "" || s.ID != "" {
			return Result{}, Change{}, errorf(CodeForbidden, "The session exists already.")
		}
		if !dry {
			s.ID, s.Code, s.Title, s.CreatedAt = c.Session, c.Code, c.Title, e.Time
			s.Rules = c.Rules
			s.Languages = c.Languages
			// Checked by PlanEvents before the event was written.
			s.setConstituencies(splitConstituencies(c.Constituencies, c.Languages))
			if c.Titles.Translated() {
				s.Titles = c.Titles
				s.Title = c.Titles.In("", s.defaultLang())
			}
			s.Reactions = c.Reactions != nil && *c.Reactions
		}
		return Result{}, Change{Header: true}, nil
	case OpJoin:
		if e.Actor != "" {
			return Result{}, Change{}, errorf(CodeForbidden, "Joining is not a command.")
		}
		// A join appended after session.end (one that raced it, from any
		// instance) changes nothing: the record of an ended session is
		// final.
		if s.Ended {
			return Result{}, Change{}, errorf(CodeSessionEnded, "The session has ended.")
		}
		cons, err := s.JoinConstituency(c.Constituency)
		if err != nil {
			return Result{}, Change{}, err
		}
		if !dry {
			s.Participants["p"+strconv.FormatUint(e.Offset, 10)] = &Participant{Name: c.Name, Constituency: cons}
		}
		return Result{}, Change{Participants: true}, nil
	case OpTally:
		return s.tally(e, dry)
	}
	if s.Ended {
		return Result{}, Change{}, errorf(CodeSessionEnded, "The session has ended.")
	}
	switch c.Op {
	case "session.end":
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		if !dry {
			s.Ended = true
			for _, a := range s.Activities {
				if a.State == Open {
					a.State = Closed
				}
				// The turn in progress belongs in the record.
				if en, ok := a.Body.(ender); ok {
					en.end(a, e.Time)
				}
			}
		}
		return Result{}, Change{Header: true}, nil
	case OpUpdate:
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		return s.update(c, dry)
	case "activity.create":
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		if n := s.Limits.activities(); s.v11() && len(s.Activities) >= n {
			return Result{}, Change{}, errorf(CodeLimitReached,
				"This session has "+plural(n, "activity", "activities")+", the most allowed.").with(ReasonActivities, n, "")
		}
		a, err := s.newActivity(c.Spec, "a"+strconv.FormatUint(e.Offset, 10), e.Time)
		if err != nil {
			return Result{}, Change{}, err
		}
		if !dry {
			a.s = s
			s.Activities = append(s.Activities, a)
			s.byID[a.ID] = a
		}
		return Result{Activity: a.ID}, Change{Header: true, Activity: a.ID}, nil
	case "activity.present":
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		if c.Activity != "" && (s.byID[c.Activity] == nil || s.byID[c.Activity].Deleted) {
			return Result{}, Change{}, errorf(CodeNotFound, "There is no such activity.")
		}
		// A stale click, replayed after the screen moved on, must not
		// take it back: the console says what it saw presented.
		if c.Current != nil && *c.Current != s.Presented && s.v11() {
			return Result{}, Change{}, s.presentedNow()
		}
		if c.Activity == s.Presented && s.v11() {
			if c.Activity == "" {
				return Result{}, Change{}, errorf(CodeConflict, "Nothing is on screen already.").with(ReasonAlreadyPresented, 0, "")
			}
			return Result{}, Change{}, errorf(CodeConflict, "This activity is on screen already.").with(ReasonAlreadyPresented, 0, "")
		}
		if !dry {
			s.Presented = c.Activity
		}
		return Result{}, Change{Header: true}, nil
	}

	a := s.byID[c.Activity]
	if c.Activity == "" {
		if !KnownOp(c.Op) {
			return Result{}, Change{}, errorf(CodeBadRequest, "Unknown op \""+c.Op+"\".")
		}
		return Result{}, Change{}, errorf(CodeBadRequest, "The command needs an activity.")
	}
	// Attendees act on what is on screen only: a draft or an activity the
	// facilitator moved away from is not theirs to answer, and whether it
	// exists is not theirs to learn.
	if role == Attendee && KnownOp(c.Op) && c.Activity != s.Presented && s.v11() {
		if _, op, ok := kindOp(c.Op); !ok || op.Role != Attendee {
			return Result{}, Change{}, need(Facilitator)
		}
		return Result{}, Change{}, errorf(CodeForbidden, "You can only answer the activity on screen now.")
	}
	if a == nil || a.Deleted {
		if !KnownOp(c.Op) {
			return Result{}, Change{}, errorf(CodeBadRequest, "Unknown op \""+c.Op+"\".")
		}
		return Result{}, Change{}, errorf(CodeNotFound, "There is no such activity.")
	}
	switch c.Op {
	case "activity.open", "activity.close":
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		// Opening twice or closing what is not open is a click that
		// no longer applies (a retry, or another console was faster):
		// refused, so that the console learns the state it missed.
		if c.Op == "activity.open" && a.State == Open && s.v11() {
			return Result{}, Change{}, errorf(CodeConflict, "This activity is open already.").with(ReasonAlreadyOpen, 0, "")
		}
		if c.Op == "activity.close" && a.State != Open && s.v11() {
			return Result{}, Change{}, errorf(CodeConflict, "This activity is not open.").with(ReasonNotOpen, 0, "")
		}
		var you []string
		if o, ok := a.Body.(opener); ok {
			var err *Error
			if you, err = o.opening(a, e, c.Op == "activity.open", dry); err != nil {
				return Result{}, Change{}, err
			}
		}
		if !dry {
			if c.Op == "activity.open" {
				a.State = Open
			} else {
				a.State = Closed
			}
		}
		ch := s.activityChange(a)
		ch.You = you
		return Result{}, ch, nil
	case OpActivityUpdate, OpActivityDelete, OpActivityMove, OpActivityDuplicate:
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		return s.prepare(e, a, dry)
	case "activity.reveal":
		if err := need(Facilitator); err != nil {
			return Result{}, Change{}, err
		}
		// A reveal sets who sees the results, it does not toggle: sent
		// again it asks for what is there, so it is not refused (the
		// console and the load generator send both fields every time).
		if c.Attendees == nil && c.Display == nil {
			return Result{}, Change{}, errorf(CodeBadRequest, "activity.reveal needs \"attendees\" or \"display\".")
		}
		if !dry {
			if c.Attendees != nil {
				a.Revealed.Attendees = *c.Attendees
			}
			if c.Display != nil {
				a.Revealed.Display = *c.Display
			}
		}
		return Result{}, s.activityChange(a), nil
	}
	k, op, ok := kindOp(c.Op)
	if !ok {
		return Result{}, Change{}, errorf(CodeBadRequest, "Unknown op \""+c.Op+"\".")
	}
	if err := need(op.Role); err != nil {
		return Result{}, Change{}, err
	}
	if k.Name != a.Kind {
		return Result{}, Change{}, errorf(CodeBadRequest, "That op does not apply to a "+a.Kind+".")
	}
	res, you, err := op.Fn(a, e, dry)
	if err != nil {
		return Result{}, Change{}, err
	}
	ch := s.activityChange(a)
	ch.You = you
	return res, ch, nil
}

// presentedNow refuses a present whose precondition no longer holds,
// saying what is on screen.
func (s *State) presentedNow() *Error {
	a := s.byID[s.Presented]
	if a == nil {
		return errorf(CodeConflict, "Nothing is on screen now. Nothing was changed.").with(ReasonPresentedNone, 0, "")
	}
	if a.Title == "" {
		return errorf(CodeConflict, "Another activity is on screen now. Nothing was changed.").with(ReasonPresentedOther, 0, "")
	}
	return errorf(CodeConflict, "\""+a.Title+"\" is on screen now. Nothing was changed.").with(ReasonPresentedOther, 0, a.Title)
}

func (s *State) activityChange(a *Activity) Change {
	return Change{Activity: a.ID}
}

// coreOps are the ops of the session itself; kinds register the others.
var coreOps = map[string]bool{
	OpEnd: true, OpUpdate: true, "activity.create": true, "activity.present": true,
	"activity.open": true, "activity.close": true, "activity.reveal": true,
	OpActivityUpdate: true, OpActivityDelete: true, OpActivityMove: true, OpActivityDuplicate: true,
}

// KnownOp says whether op is a command this server knows.
func KnownOp(op string) bool {
	if coreOps[op] {
		return true
	}
	_, _, ok := kindOp(op)
	return ok
}

// newActivity makes an activity of the session from a spec (create,
// update, duplicate): its kind checks the spec in the session's languages,
// and the body takes the session's defaults.
func (s *State) newActivity(spec *ActivitySpec, id string, at time.Time) (*Activity, *Error) {
	langs := s.Languages
	if spec == nil {
		return nil, errorf(CodeBadRequest, "activity.create needs an activity.")
	}
	// The event's spec is shared by every replica that applies it (the
	// hub's, the snapshotter's): the activity keeps a copy of its own.
	own := *spec
	own.langs = langs
	spec = &own
	titles, err := spec.cleanText(spec.TitleText(), 200, true)
	if err != nil {
		return nil, err
	}
	k := kinds[spec.Kind]
	if k == nil {
		return nil, errorf(CodeBadRequest, "Unknown activity kind \""+spec.Kind+"\".")
	}
	body, err := k.New(spec)
	if err != nil {
		return nil, err
	}
	if d, ok := body.(sessionDefaulter); ok {
		d.sessionDefaults(s)
	}
	a := &Activity{ID: id, Kind: spec.Kind, Title: titles.In("", first(langs)), State: Draft, CreatedAt: at,
		Revealed: k.Revealed, Spec: spec, Body: body}
	if titles.Translated() {
		a.Titles = titles
	}
	return a, nil
}

// needOpen refuses a participant's answer to an activity that is not open.
func needOpen(a *Activity) *Error {
	if a.State != Open {
		return errorf(CodeActivityClosed, "This activity is not open.")
	}
	return nil
}
