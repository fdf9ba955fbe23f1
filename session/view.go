package session

// SessionView is the session as one role sees it (PROTOCOL.md "Views").
type SessionView struct {
	ID           string            `json:"id"`
	Code         string            `json:"code"`
	Title        string            `json:"title"`
	Titles       map[string]string `json:"titles,omitempty"`
	State        string            `json:"state"`
	Presented    string            `json:"presented"`
	Activities   []any             `json:"activities"`
	Participants int               `json:"participants"`

	Languages []string `json:"languages,omitempty"`
	// Constituencies are the names in the connection's language;
	// ConstituencyNames, for facilitators and displays, each one's names
	// per language (null for a plain one), when any was given so.
	Constituencies    []string            `json:"constituencies,omitempty"`
	ConstituencyNames []map[string]string `json:"constituencyNames,omitempty"`
	Reactions         bool                `json:"reactions,omitempty"`
}

// baseView holds the fields every activity view has.
type baseView struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	Title    string            `json:"title"`
	Titles   map[string]string `json:"titles,omitempty"`
	State    string            `json:"state"`
	Revealed Revealed          `json:"revealed"`
	// Responses counts the answers for every role, results hidden or not
	// (PROTOCOL.md 1.2): each kind says what an answer is (responder).
	Responses *int `json:"responses,omitempty"`
}

// responder is a Body whose view says how many answered.
type responder interface{ responses() int }

// View is the session as role sees it in the default language.
func (s *State) View(role Role) SessionView { return s.ViewIn(role, "") }

// ViewIn is the session as role sees it in lang. Attendees and displays
// get only the presented activity.
func (s *State) ViewIn(role Role, lang string) SessionView {
	title := s.Title
	if s.Titles.Translated() {
		title = s.Titles.In(lang, s.defaultLang())
	}
	v := SessionView{
		ID: s.ID, Code: s.Code, Title: title, State: "live",
		Presented: s.Presented, Participants: len(s.Participants),
		Activities: []any{},
		Languages:  s.Languages, Constituencies: s.constituenciesIn(lang), Reactions: s.Reactions,
	}
	if s.Ended {
		v.State = "ended"
	}
	if role == Facilitator {
		for _, a := range s.Activities {
			if !a.Deleted {
				v.Activities = append(v.Activities, a.ViewIn(role, lang))
			}
		}
	} else if a := s.byID[s.Presented]; a != nil && !a.Deleted {
		v.Activities = append(v.Activities, a.ViewIn(role, lang))
	}
	if role != Attendee {
		v.Titles = s.Titles.Map()
		v.ConstituencyNames = s.ConstituencyNames()
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

func (a *Activity) base(role Role, lang string) baseView {
	v := baseView{ID: a.ID, Kind: a.Kind, Title: a.Title, State: a.State, Revealed: a.Revealed}
	if r, ok := a.Body.(responder); ok {
		n := r.responses()
		v.Responses = &n
	}
	if a.Titles.Translated() {
		v.Title = a.text(a.Titles, lang)
		if role != Attendee {
			v.Titles = a.Titles
		}
	}
	return v
}

// texts is what role sees of a text: the string in lang, and for
// facilitators and displays every translation beside it.
func (a *Activity) texts(t Text, role Role, lang string) (string, map[string]string) {
	if role == Attendee {
		return a.text(t, lang), nil
	}
	return a.text(t, lang), t.Map()
}

// View is the activity as role sees it. What role may not see is absent.
func (a *Activity) View(role Role) any { return a.Body.View(a, role, "") }

// ViewIn is the activity as role sees it in lang.
func (a *Activity) ViewIn(role Role, lang string) any { return a.Body.View(a, role, lang) }

// Export is the activity with every count and entry, hidden ones marked.
func (a *Activity) Export() any { return a.Body.Export(a) }

// You is a participant's own data in an activity, for the "you" message, or
// nil when there is none.
func (a *Activity) You(participant string) map[string]any { return a.Body.You(a, participant) }

// CSV is the activity's rows of the CSV export, each with the activity's
// id, kind and title first, and the columns CSVHeaderFor adds for the
// session's other languages last (empty where a text was not given in one).
func (a *Activity) CSV() [][]string {
	var rows [][]string
	extra := extraLangs(a.s.langs())
	for _, r := range a.Body.CSV(a) {
		row := append([]string{a.ID, a.Kind, a.Title}, r.Cells()...)
		for _, l := range extra {
			row = append(row, a.Titles[l], r.ItemTexts[l], a.constituencyText(r.Constituency)[l])
		}
		rows = append(rows, row)
	}
	return rows
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
