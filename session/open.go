package session

import (
	"strconv"
	"strings"
	"time"
)

// KindOpen is the open question: attendees answer in their own words, and
// the display shows the answers as a wall (PROTOCOL.md 1.2, "New activity
// kinds").
const KindOpen = "open"

// OpenBoard holds the answers to an open question.
type OpenBoard struct {
	MaxLength  int          `json:"maxLength"`
	MaxEntries int          `json:"maxEntries"`
	Moderated  bool         `json:"moderated"`
	Entries    []*OpenEntry `json:"entries"` // in log order

	byID     map[string]*OpenEntry
	byAuthor map[string]int
}

// OpenEntry is one answer. Its status is one of the Q&A entry statuses but
// "answered": pending (a moderated board's new answer), visible or hidden.
type OpenEntry struct {
	ID          string    `json:"id"`
	Text        string    `json:"text"`
	Author      string    `json:"author"`
	CreatedAt   time.Time `json:"createdAt"`
	Status      string    `json:"status"`
	Highlighted bool      `json:"highlighted,omitempty"`
	Lang        string    `json:"lang,omitempty"`
}

const (
	defaultOpenLength  = 280
	maxOpenLength      = 1000
	defaultOpenEntries = 1
	maxOpenEntries     = 20
	// openBoardCap bounds one board, hidden answers included, as the Q&A
	// default does: a hall cannot fill every console without end.
	openBoardCap = 5000
	// openWallLimit is how many of the newest answers attendees and
	// displays are sent; the facilitator and the export get every one.
	openWallLimit = 200
)

// Refusal reasons of the open question (Error.Reason); Max is the cap.
const (
	ReasonOpenPerParticipant = "open_per_participant"
	ReasonOpenEntries        = "open_entries"
)

func newOpen(spec *ActivitySpec) (*OpenBoard, *Error) {
	// Zero is "not given" on the wire (the spec's fields are omitempty),
	// so it means the default rather than a cap of nothing.
	b := &OpenBoard{MaxLength: spec.MaxLength, MaxEntries: spec.MaxEntries, Moderated: spec.Moderated}
	if b.MaxLength == 0 {
		b.MaxLength = defaultOpenLength
	}
	if b.MaxEntries == 0 {
		b.MaxEntries = defaultOpenEntries
	}
	if b.MaxLength < 1 || b.MaxLength > maxOpenLength {
		return nil, errorf(CodeBadRequest, "maxLength must be 1 to "+strconv.Itoa(maxOpenLength)+".")
	}
	if b.MaxEntries < 1 || b.MaxEntries > maxOpenEntries {
		return nil, errorf(CodeBadRequest, "maxEntries must be 1 to "+strconv.Itoa(maxOpenEntries)+".")
	}
	b.restore()
	return b, nil
}

func (b *OpenBoard) restore() {
	b.byID = make(map[string]*OpenEntry, len(b.Entries))
	b.byAuthor = map[string]int{}
	for _, e := range b.Entries {
		b.byID[e.ID] = e
		b.byAuthor[e.Author]++
	}
}

func init() {
	register(Kind{
		Name: KindOpen, Field: "open",
		// The wall is for the room; phones see their own answers in
		// "you" until the facilitator shows them everyone's.
		Revealed: Revealed{Attendees: false, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newOpen(spec) },
		Empty:    func() Body { return &OpenBoard{} },
		Ops: map[string]Op{
			"open.submit":   {Role: Attendee, Fn: openSubmit},
			"open.moderate": {Role: Facilitator, Fn: openModerate},
		},
	})
}

func openSubmit(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	b := a.Body.(*OpenBoard)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	text, err := cleanText(e.Cmd.Text, b.MaxLength, false)
	if err != nil {
		return Result{}, nil, err
	}
	if b.byAuthor[e.Actor] >= b.MaxEntries {
		return Result{}, nil, errorf(CodeLimitReached, "You have sent "+plural(b.MaxEntries, "answer", "answers")+", the most allowed.").with(ReasonOpenPerParticipant, b.MaxEntries, "")
	}
	if len(b.Entries) >= openBoardCap {
		return Result{}, nil, errorf(CodeLimitReached, "This question has "+plural(openBoardCap, "answer", "answers")+", the most allowed.").with(ReasonOpenEntries, openBoardCap, "")
	}
	// "o<offset>": unique in the session, and its number is the log
	// order that sorts the wall (patch.Lists).
	id := "o" + strconv.FormatUint(e.Offset, 10)
	if dry {
		return Result{Entry: id}, nil, nil
	}
	en := &OpenEntry{ID: id, Text: text, Author: e.Actor, CreatedAt: e.Time, Status: StatusVisible, Lang: canonLang(e.Cmd.Lang)}
	if b.Moderated {
		en.Status = StatusPending
	}
	b.Entries = append(b.Entries, en)
	b.byID[id] = en
	b.byAuthor[e.Actor]++
	return Result{Entry: id}, []string{e.Actor}, nil
}

// openModerate: approve shows an answer (pending or hidden), hide takes it
// off the wall (and out of the highlight, so that approving it again does
// not bring it back larger than the others), highlight shows a visible
// answer larger, unhighlight undoes that.
func openModerate(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	en := a.Body.(*OpenBoard).byID[e.Cmd.Entry]
	if en == nil {
		return Result{}, nil, errorf(CodeNotFound, "There is no such answer.")
	}
	return moderate(e, dry, en.Author, []modAction{
		{name: "approve", apply: func() { en.Status = StatusVisible }},
		{name: "hide", apply: func() { en.Status, en.Highlighted = StatusHidden, false }},
		{name: "highlight", apply: func() { en.Highlighted = true }, refuse: func() *Error {
			if en.Status != StatusVisible {
				return errorf(CodeBadRequest, "Only an answer on the wall can be highlighted: approve it first.")
			}
			return nil
		}},
		{name: "unhighlight", apply: func() { en.Highlighted = false }},
	})
}

// modAction is one action of a moderation op (qa.moderate,
// open.moderate) on the entry the command names.
type modAction struct {
	name string
	// refuse, when set, says why the entry cannot take the action in the
	// state it is in (nil: it can).
	refuse func() *Error
	apply  func()
}

// moderate is the one shape of the moderation ops: the command's action
// is one of actions (else bad_request naming them all), checked, applied
// unless dry, and the entry's author is pushed its "you". Asking for what
// is there already is accepted: two moderators clicking the same row both
// succeed.
func moderate(e *Event, dry bool, author string, actions []modAction) (Result, []string, *Error) {
	for _, m := range actions {
		if m.name != e.Cmd.Action {
			continue
		}
		if m.refuse != nil {
			if err := m.refuse(); err != nil {
				return Result{}, nil, err
			}
		}
		if dry {
			return Result{}, nil, nil
		}
		m.apply()
		return Result{}, []string{author}, nil
	}
	names := make([]string, len(actions))
	for i, m := range actions {
		names[i] = m.name
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	return Result{}, nil, errorf(CodeBadRequest, "action must be "+list+".")
}

// OpenEntryView is one answer as a role sees it.
type OpenEntryView struct {
	ID          string `json:"id"`
	Text        string `json:"text"`
	Status      string `json:"status"`
	Highlighted bool   `json:"highlighted"`
	CreatedAt   string `json:"createdAt"`
	Lang        string `json:"lang,omitempty"`
}

type openView struct {
	baseView
	MaxLength  int             `json:"maxLength"`
	MaxEntries int             `json:"maxEntries"`
	Moderated  bool            `json:"moderated"`
	Entries    []OpenEntryView `json:"entries,omitzero"`
}

// responses counts every answer received, whatever its status, as Q&A
// does: the room sees that it is heard while the moderator reads.
func (b *OpenBoard) responses() int { return len(b.Entries) }

func (en *OpenEntry) view() OpenEntryView {
	return OpenEntryView{ID: en.ID, Text: en.Text, Status: en.Status, Highlighted: en.Highlighted,
		CreatedAt: en.CreatedAt.UTC().Format(time.RFC3339), Lang: en.Lang}
}

// newest lists the entries kept, newest first by log order (events
// appended together may carry the same time), at most limit of them
// (0: all).
func (b *OpenBoard) newest(keep func(*OpenEntry) bool, limit int) []OpenEntryView {
	out := []OpenEntryView{}
	for i := len(b.Entries) - 1; i >= 0; i-- {
		if limit > 0 && len(out) == limit {
			break
		}
		if e := b.Entries[i]; keep(e) {
			out = append(out, e.view())
		}
	}
	return out
}

func (b *OpenBoard) view(a *Activity, role Role, lang string) openView {
	v := openView{baseView: a.base(role, lang), MaxLength: b.MaxLength, MaxEntries: b.MaxEntries,
		Moderated: b.Moderated}
	if !a.revealedTo(role) {
		return v
	}
	if role == Facilitator {
		v.Entries = b.newest(func(*OpenEntry) bool { return true }, 0)
	} else {
		v.Entries = b.newest(func(e *OpenEntry) bool { return e.Status == StatusVisible }, openWallLimit)
	}
	return v
}

// View implements Body.
func (b *OpenBoard) View(a *Activity, role Role, lang string) any { return b.view(a, role, lang) }

// Export implements Body: every answer, hidden and pending ones marked by
// their status, as the facilitator sees them.
func (b *OpenBoard) Export(a *Activity) any { return b.view(a, Facilitator, "") }

// CSV implements Body: one row per answer, newest first as on the wall.
func (b *OpenBoard) CSV(a *Activity) []CSVRow {
	list := b.newest(func(*OpenEntry) bool { return true }, 0)
	rows := make([]CSVRow, len(list))
	for i, e := range list {
		status := e.Status
		if e.Highlighted {
			status += " highlighted"
		}
		rows[i] = CSVRow{Item: e.Text, Status: status, Created: e.CreatedAt, Language: e.Lang}
	}
	return rows
}

// You implements Body: the participant's own answers, newest first, with
// their status, so a phone can say which are waiting or not shown.
func (b *OpenBoard) You(a *Activity, participant string) map[string]any {
	return map[string]any{"entries": b.newest(func(e *OpenEntry) bool { return e.Author == participant }, 0)}
}
