package session

import (
	"strconv"
	"strings"
)

// Moderator is the role of a session's moderator key (PROTOCOL.md 1.2,
// "The team"): it sees what the facilitator sees, and may send only the
// ops that teamRights gives it.
const Moderator Role = "moderator"

// Mod is the actor of commands sent with the moderator key, as Host is the
// facilitator's. Every moderator of a session shares it, as every console
// opened with the facilitator key shares Host: the log records which role
// of the team acted, and command ids are unique per console.
const Mod = "mod"

// ReasonTeamRole says a member of the team tried an op its role does not
// have (Error.Reason of a forbidden).
const ReasonTeamRole = "team_role"

// teamRights is the one rule of who in the facilitation team may send
// which op: the first entry whose pattern names the op decides. A pattern
// is an op, or a family "queue.*" that names every op beginning with
// "queue.", so that an op added to a family later is the moderator's by
// its name alone, with no code of its own. Ops an attendee sends (vote,
// word.submit, hand.raise, …) are judged by their handler's role before
// this table: a moderator is no attendee, so "word.*" never lets it
// submit words.
var teamRights = []struct {
	pattern string
	roles   []Role
}{
	{"qa.moderate", []Role{Facilitator, Moderator}},
	{"qa.spotlight", []Role{Facilitator, Moderator}},
	{"open.moderate", []Role{Facilitator, Moderator}},
	{"word.*", []Role{Facilitator, Moderator}},
	{"queue.*", []Role{Facilitator, Moderator}},
	{"*", []Role{Facilitator}},
}

// matchOp says whether pattern names op.
func matchOp(pattern, op string) bool {
	if pattern == "*" {
		return true
	}
	if family, ok := strings.CutSuffix(pattern, ".*"); ok {
		return strings.HasPrefix(op, family+".") && len(op) > len(family)+1
	}
	return pattern == op
}

// TeamMay says whether a member of the team with role may send op, a
// facilitator's op. Roles outside the team (attendee, display) may not.
func TeamMay(role Role, op string) bool {
	for _, r := range teamRights {
		if !matchOp(r.pattern, op) {
			continue
		}
		for _, allowed := range r.roles {
			if allowed == role {
				return true
			}
		}
		return false
	}
	return false
}

// Rights lists the patterns of the ops role may send, as teamRights
// writes them ("*" for the facilitator): the console shows the controls
// of those ops and no others, from the same table the reducer judges by.
func Rights(role Role) []string {
	var out []string
	for _, r := range teamRights {
		for _, allowed := range r.roles {
			if allowed == role {
				out = append(out, r.pattern)
				break
			}
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Plan is a session's preparation without its answers (PROTOCOL.md 1.2,
// "Plans"): what GET /api/sessions/{id}/plan answers and what
// POST /api/sessions takes to create the next session with the same
// activities, each a draft.
type Plan struct {
	Title          Text           `json:"title"`
	Languages      []string       `json:"languages,omitempty"`
	Constituencies []Text         `json:"constituencies,omitempty"`
	Activities     []ActivitySpec `json:"activities"`
}

// PlanEvents are the events that create a session from a plan: create
// (its session.create), then one activity.create per activity of the
// plan, as the facilitator would send them. They are folded first by a
// scratch replica under lim, the deployment's limits, judged by the same
// reducer every replica runs: a plan that the session would refuse in part
// is refused whole, and the error names the index of the first activity
// refused (-1 if it is none of them).
func PlanEvents(create Command, p *Plan, lim Limits) ([]Event, int, *Error) {
	// The reducer takes the server's own session.create as written: its
	// settings are checked here, as session.update checks them.
	var err *Error
	if create.Languages, err = CheckLanguages(create.Languages); err != nil {
		return nil, -1, err
	}
	if create.Constituencies, err = CheckConstituencies(create.Constituencies, create.Languages); err != nil {
		return nil, -1, err
	}
	if len(create.Languages) == 0 {
		create.Languages = nil
	}
	if len(create.Constituencies) == 0 {
		create.Constituencies = nil
	}
	// The title may come as Title or Titles (a string, or one per
	// language of the session's): the event carries one of them.
	title := create.Titles
	if title == nil {
		title = Plain(create.Title)
	}
	title, err = cleanTextIn(title, 200, false, create.Languages)
	if err != nil {
		return nil, -1, errorf(CodeBadRequest, "The title must be 1 to 200 characters of text: "+err.Message)
	}
	create.Title, create.Titles = title[""], nil
	if title.Translated() {
		create.Title, create.Titles = "", title
	}
	s := &State{Limits: lim}
	evs := []Event{{Offset: 1, Cmd: create}}
	if p != nil {
		for i := range p.Activities {
			spec := p.Activities[i]
			// As ParseCommand reads a spec: an empty list is an absent one,
			// as it reads back from the log.
			if len(spec.Options) == 0 {
				spec.Options = nil
			}
			if len(spec.Constituencies) == 0 {
				spec.Constituencies = nil
			}
			evs = append(evs, Event{Offset: uint64(len(evs) + 1), Actor: Host,
				Cmd: Command{Op: "activity.create", Spec: &spec}})
		}
	}
	for i, e := range evs {
		if out := s.Apply(e); out.Result.Err != nil {
			return nil, i - 1, out.Result.Err
		}
	}
	// The log stamps offsets (and times) when each is appended.
	for i := range evs {
		evs[i].Offset = 0
	}
	return evs, -1, nil
}

// teamNeed refuses an op that role, a member of the team, may not send.
func teamNeed(role Role, op string) *Error {
	if TeamMay(role, op) {
		return nil
	}
	return errorf(CodeForbidden, "A "+string(role)+" may not do that: only the facilitator may.").with(ReasonTeamRole, 0, string(role))
}

// The ops that prepare a session's activities (PROTOCOL.md 1.2, "The
// team": activities).
const (
	OpActivityUpdate    = "activity.update"
	OpActivityDelete    = "activity.delete"
	OpActivityMove      = "activity.move"
	OpActivityDuplicate = "activity.duplicate"
)

// Refusal reasons of the preparation ops.
const (
	ReasonNotDraft     = "not_draft"     // activity.update of an activity that was opened
	ReasonActivityOpen = "activity_open" // activity.delete of an open activity
)

// prepare applies the preparation ops to a, an activity of the session
// that is not deleted.
func (s *State) prepare(e *Event, a *Activity, dry bool) (Result, Change, *Error) {
	c := &e.Cmd
	switch c.Op {
	case OpActivityUpdate:
		return s.updateActivity(c, a, dry)
	case OpActivityDelete:
		// An open activity is being answered: deleting it would take it
		// from under the phones; closing it first is a decision made.
		if a.State == Open {
			return Result{}, Change{}, errorf(CodeConflict, "An open activity cannot be deleted: close it first.").with(ReasonActivityOpen, 0, "")
		}
		if !dry {
			a.Deleted = true
			if s.Presented == a.ID {
				s.Presented = ""
			}
		}
		return Result{}, Change{Header: true}, nil
	case OpActivityMove:
		return s.moveActivity(c, a, dry)
	default: // OpActivityDuplicate
		if n := s.Limits.activities(); len(s.Activities) >= n {
			return Result{}, Change{}, errorf(CodeLimitReached,
				"This session has "+plural(n, "activity", "activities")+", the most allowed.").with(ReasonActivities, n, "")
		}
		spec := *specOf(a)
		dup, err := s.newActivity(&spec, "a"+strconv.FormatUint(e.Offset, 10), e.Time)
		if err != nil {
			return Result{}, Change{}, err
		}
		if !dry {
			dup.s = s
			i := s.index(a)
			s.Activities = append(s.Activities[:i+1], append([]*Activity{dup}, s.Activities[i+1:]...)...)
			s.byID[dup.ID] = dup
		}
		return Result{Activity: dup.ID}, Change{Header: true, Activity: dup.ID}, nil
	}
}

// updateActivity replaces a draft's spec: the whole spec, as the console's
// form sends it, checked as activity.create checks one. Who sees its
// results stays as the facilitator set it.
func (s *State) updateActivity(c *Command, a *Activity, dry bool) (Result, Change, *Error) {
	if c.Spec == nil {
		return Result{}, Change{}, errorf(CodeBadRequest, "activity.update needs a \"spec\": the activity's fields, as activity.create takes them.")
	}
	if a.State != Draft {
		return Result{}, Change{}, errorf(CodeConflict, "Only a draft can be edited: this activity has been opened.").with(ReasonNotDraft, 0, "")
	}
	spec := *c.Spec
	if spec.Kind == "" {
		spec.Kind = a.Kind
	}
	if spec.Kind != a.Kind {
		return Result{}, Change{}, errorf(CodeBadRequest, "An update keeps the activity's kind: make a new activity instead.")
	}
	if len(spec.Options) == 0 {
		spec.Options = nil
	}
	if len(spec.Constituencies) == 0 {
		spec.Constituencies = nil
	}
	next, err := s.newActivity(&spec, a.ID, a.CreatedAt)
	if err != nil {
		return Result{}, Change{}, err
	}
	if !dry {
		a.Title, a.Titles, a.Spec, a.Body = next.Title, next.Titles, next.Spec, next.Body
	}
	return Result{}, s.activityChange(a), nil
}

// moveActivity puts a at place "to" of the activities the views list
// (deleted ones are not counted, as no view shows them).
func (s *State) moveActivity(c *Command, a *Activity, dry bool) (Result, Change, *Error) {
	shown := 0
	for _, x := range s.Activities {
		if !x.Deleted {
			shown++
		}
	}
	if c.To == nil || *c.To < 0 || *c.To >= shown {
		return Result{}, Change{}, errorf(CodeBadRequest, "activity.move needs \"to\": a place from 0 to "+strconv.Itoa(shown-1)+".")
	}
	if dry {
		return Result{}, Change{Header: true}, nil
	}
	i := s.index(a)
	rest := append(append([]*Activity{}, s.Activities[:i]...), s.Activities[i+1:]...)
	pos, seen := len(rest), 0
	for j, x := range rest {
		if x.Deleted {
			continue
		}
		if seen == *c.To {
			pos = j
			break
		}
		seen++
	}
	s.Activities = append(rest[:pos], append([]*Activity{a}, rest[pos:]...)...)
	return Result{}, Change{Header: true}, nil
}

// index is a's place in s.Activities.
func (s *State) index(a *Activity) int {
	for i, x := range s.Activities {
		if x == a {
			return i
		}
	}
	return -1
}

// specOf is the spec an activity was made (or last edited) with. An
// activity from a snapshot older than specs has only its kind and title:
// a copy of it starts from the kind's defaults.
func specOf(a *Activity) *ActivitySpec {
	if a.Spec != nil {
		return a.Spec
	}
	return &ActivitySpec{Kind: a.Kind, Title: a.Title}
}

// Plan is the session's plan: its settings and every activity's spec, in
// the views' order, without answers.
func (s *State) Plan() Plan {
	title := s.Titles
	if !title.Translated() {
		title = Plain(s.Title)
	}
	p := Plan{Title: title, Languages: s.Languages, Constituencies: s.constituencyTexts(), Activities: []ActivitySpec{}}
	for _, a := range s.Activities {
		if !a.Deleted {
			p.Activities = append(p.Activities, *specOf(a))
		}
	}
	return p
}
