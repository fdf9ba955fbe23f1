package session

import (
	"sort"
	"strconv"
	"time"
)

// QA is a board of questions or ideas that attendees post and upvote.
type QA struct {
	Moderated bool     `json:"moderated"`
	Sort      string   `json:"sort"`
	Entries   []*Entry `json:"entries"`

	byID     map[string]*Entry
	byAuthor map[string]int // how many entries each participant posted
}

// Entry statuses.
const (
	StatusPending  = "pending"
	StatusVisible  = "visible"
	StatusHidden   = "hidden"
	StatusAnswered = "answered"
)

// Entry is one question or idea.
type Entry struct {
	ID        string          `json:"id"`
	Text      string          `json:"text"`
	Author    string          `json:"author"`
	CreatedAt time.Time       `json:"createdAt"`
	Status    string          `json:"status"`
	Pinned    bool            `json:"pinned"`
	Voters    map[string]bool `json:"voters"`
}

const (
	maxQuestion = 280
	// boardLimit bounds what attendees and displays receive; the
	// facilitator and the export get every entry.
	boardLimit = 200
)

func newQA(spec *ActivitySpec) (*QA, *Error) {
	q := &QA{Moderated: spec.Moderated, Sort: spec.Sort}
	switch q.Sort {
	case "":
		q.Sort = "votes"
	case "votes", "time":
	default:
		return nil, errorf(CodeBadRequest, "sort must be \"votes\" or \"time\".")
	}
	q.restore()
	return q, nil
}

func (q *QA) restore() {
	q.byID = make(map[string]*Entry, len(q.Entries))
	q.byAuthor = map[string]int{}
	for _, e := range q.Entries {
		q.byID[e.ID] = e
		q.byAuthor[e.Author]++
	}
}

func init() {
	register("qa.ask", Attendee, KindQA, qaAsk)
	register("qa.upvote", Attendee, KindQA, qaUpvote)
	register("qa.moderate", Facilitator, KindQA, qaModerate)
}

func qaAsk(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.QA
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	text, err := cleanText(e.Cmd.Text, maxQuestion, false)
	if err != nil {
		return Result{}, nil, err
	}
	// One attendee with a few sockets could otherwise fill the board that
	// every console and phone is sent (3,350 questions in 66 s, found).
	lim := a.limits()
	if n := lim.qaEntriesPerParticipant(); a.v11() && q.byAuthor[e.Actor] >= n {
		return Result{}, nil, errorf(CodeLimitReached, "You have asked "+plural(n, "question", "questions")+", the most allowed.").with(ReasonQAPerParticipant, n, "")
	}
	if n := lim.qaEntries(); a.v11() && len(q.Entries) >= n {
		return Result{}, nil, errorf(CodeLimitReached, "This board has "+plural(n, "question", "questions")+", the most allowed.").with(ReasonQAEntries, n, "")
	}
	id := "q" + strconv.FormatUint(e.Offset, 10)
	if dry {
		return Result{Entry: id}, nil, nil
	}
	en := &Entry{ID: id, Text: text, Author: e.Actor, CreatedAt: e.Time, Status: StatusVisible, Voters: map[string]bool{}}
	if q.Moderated {
		en.Status = StatusPending
	}
	q.Entries = append(q.Entries, en)
	q.byID[id] = en
	q.byAuthor[e.Actor]++
	return Result{Entry: id}, []string{e.Actor}, nil
}

func qaUpvote(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	en := a.QA.byID[e.Cmd.Entry]
	if en == nil || (en.Status != StatusVisible && en.Status != StatusAnswered) {
		return Result{}, nil, errorf(CodeNotFound, "There is no such question.")
	}
	if !dry {
		if en.Voters[e.Actor] {
			delete(en.Voters, e.Actor)
		} else {
			en.Voters[e.Actor] = true
		}
	}
	// The author's own entries carry their votes in "you".
	if en.Author != e.Actor {
		return Result{}, []string{e.Actor, en.Author}, nil
	}
	return Result{}, []string{e.Actor}, nil
}

func qaModerate(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	en := a.QA.byID[e.Cmd.Entry]
	if en == nil {
		return Result{}, nil, errorf(CodeNotFound, "There is no such question.")
	}
	switch e.Cmd.Action {
	case "approve", "hide", "pin", "unpin", "answered":
	default:
		return Result{}, nil, errorf(CodeBadRequest, "action must be approve, hide, pin, unpin or answered.")
	}
	if dry {
		return Result{}, nil, nil
	}
	switch e.Cmd.Action {
	case "approve":
		en.Status = StatusVisible
	case "hide":
		en.Status = StatusHidden
	case "answered":
		en.Status = StatusAnswered
	case "pin":
		en.Pinned = true
	case "unpin":
		en.Pinned = false
	}
	return Result{}, []string{en.Author}, nil
}

// EntryView is one entry as a role sees it.
type EntryView struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Votes     int    `json:"votes"`
	Status    string `json:"status"`
	Pinned    bool   `json:"pinned"`
	CreatedAt string `json:"createdAt"`
}

type qaView struct {
	baseView
	Moderated bool        `json:"moderated"`
	Sort      string      `json:"sort"`
	Entries   []EntryView `json:"entries,omitzero"`
}

func (en *Entry) view() EntryView {
	return EntryView{ID: en.ID, Text: en.Text, Votes: len(en.Voters), Status: en.Status, Pinned: en.Pinned,
		CreatedAt: en.CreatedAt.UTC().Format(time.RFC3339)}
}

// sorted lists entries pinned first, then by the board's order: most votes
// first (ties: the earliest first), or newest first.
func (q *QA) sorted(keep func(*Entry) bool) []*Entry {
	byVotes := q.Sort != "time"
	out := make([]*Entry, 0, len(q.Entries))
	for i := range q.Entries {
		// Entries are in log order. By time the newest comes first, and
		// log order, not the time stamp, decides it: events appended
		// together may carry the same time.
		e := q.Entries[i]
		if !byVotes {
			e = q.Entries[len(q.Entries)-1-i]
		}
		if keep(e) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		if byVotes {
			return len(a.Voters) > len(b.Voters)
		}
		return false
	})
	return out
}

func (q *QA) view(a *Activity, role Role) qaView {
	v := qaView{baseView: a.base(), Moderated: q.Moderated, Sort: q.Sort}
	if !a.revealedTo(role) {
		return v
	}
	all := role == Facilitator
	list := q.sorted(func(e *Entry) bool {
		return all || e.Status == StatusVisible || e.Status == StatusAnswered
	})
	if !all && len(list) > boardLimit {
		list = list[:boardLimit]
	}
	v.Entries = make([]EntryView, len(list))
	for i, e := range list {
		v.Entries[i] = e.view()
	}
	return v
}

func (q *QA) export(a *Activity) qaView { return q.view(a, Facilitator) }

func (q *QA) you(participant string) map[string]any {
	mine := []EntryView{}
	upvoted := []string{}
	for _, e := range q.Entries {
		if e.Author == participant {
			mine = append(mine, e.view())
		}
		if e.Voters[participant] {
			upvoted = append(upvoted, e.ID)
		}
	}
	return map[string]any{"entries": mine, "upvoted": upvoted}
}
