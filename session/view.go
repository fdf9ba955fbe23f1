package session

// SessionView is the session as one role sees it (PROTOCOL.md "Views").
type SessionView struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Title        string `json:"title"`
	State        string `json:"state"`
	Presented    string `json:"presented"`
	Activities   []any  `json:"activities"`
	Participants int    `json:"participants"`
}

// baseView holds the fields every activity view has.
type baseView struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"`
	Title    string   `json:"title"`
	State    string   `json:"state"`
	Revealed Revealed `json:"revealed"`
}

// View is the session as role sees it. Attendees and displays get only the
// presented activity.
func (s *State) View(role Role) SessionView {
	v := SessionView{
		ID: s.ID, Code: s.Code, Title: s.Title, State: "live",
		Presented: s.Presented, Participants: len(s.Participants),
		Activities: []any{},
	}
	if s.Ended {
		v.State = "ended"
	}
	if role == Facilitator {
		for _, a := range s.Activities {
			v.Activities = append(v.Activities, a.View(role))
		}
	} else if a := s.byID[s.Presented]; a != nil {
		v.Activities = append(v.Activities, a.View(role))
	}
	return v
}

// Visible says whether role is sent pushes about the activity at all.
func (s *State) Visible(id string, role Role) bool {
	return role == Facilitator || id == s.Presented
}

// revealedTo says whether role may see the activity's results.
func (a *Activity) revealedTo(role Role) bool {
	switch role {
	case Facilitator:
		return true
	case Display:
		return a.Revealed.Display
	default:
		return a.Revealed.Attendees
	}
}

func (a *Activity) base() baseView {
	return baseView{ID: a.ID, Kind: a.Kind, Title: a.Title, State: a.State, Revealed: a.Revealed}
}

// View is the activity as role sees it. What role may not see is absent.
func (a *Activity) View(role Role) any {
	switch {
	case a.Poll != nil:
		return a.Poll.view(a, role)
	case a.Cloud != nil:
		return a.Cloud.view(a, role)
	case a.QA != nil:
		return a.QA.view(a, role)
	case a.Queue != nil:
		return a.Queue.view(a, role)
	}
	return a.base()
}

// Export is the activity with every count and entry, hidden ones marked.
func (a *Activity) Export() any {
	switch {
	case a.Cloud != nil:
		return a.Cloud.export(a)
	case a.QA != nil:
		return a.QA.export(a)
	case a.Queue != nil:
		return a.Queue.export(a)
	}
	return a.View(Facilitator)
}

// You is a participant's own data in an activity, for the "you" message, or
// nil when there is none.
func (a *Activity) You(participant string) map[string]any {
	switch {
	case a.Poll != nil:
		return map[string]any{"choices": nonNil(a.Poll.Votes[participant])}
	case a.Cloud != nil:
		return a.Cloud.you(participant)
	case a.QA != nil:
		return a.QA.you(participant)
	case a.Queue != nil:
		return a.Queue.you(participant)
	}
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type optionView struct {
	Label string `json:"label"`
	Votes *int   `json:"votes,omitempty"`
}

type pollView struct {
	baseView
	Multi      bool         `json:"multi"`
	MaxChoices int          `json:"maxChoices"`
	Options    []optionView `json:"options"`
	Voters     *int         `json:"voters,omitempty"`
}

func (p *Poll) view(a *Activity, role Role) pollView {
	v := pollView{baseView: a.base(), Multi: p.Multi, MaxChoices: p.MaxChoices, Options: make([]optionView, len(p.Options))}
	show := a.revealedTo(role)
	for i, o := range p.Options {
		v.Options[i].Label = o
		if show {
			n := p.Counts[i]
			v.Options[i].Votes = &n
		}
	}
	if show {
		n := len(p.Votes)
		v.Voters = &n
	}
	return v
}
