package session

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// QA is a board of questions or ideas that attendees post and upvote.
type QA struct {
	Moderated bool     `json:"moderated"`
	Sort      string   `json:"sort"`
	Entries   []*Entry `json:"entries"`
	// Spotlight is the entry displays show full screen, or "".
	Spotlight string `json:"spotlight,omitempty"`

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
	Lang      string          `json:"lang,omitempty"`
	// OnBoard says the entry is among the boardLimit that attendees and
	// displays are sent (see settle).
	OnBoard bool `json:"onBoard,omitempty"`
}

// onBoardStatus says whether attendees and displays see an entry at all.
func (en *Entry) onBoardStatus() bool {
	return en.Status == StatusVisible || en.Status == StatusAnswered
}

const (
	maxQuestion = 280
	// boardLimit bounds what attendees and displays receive; the
	// facilitator and the export get every entry.
	boardLimit = 200
	// boardMargin is how many votes an entry beyond the cut needs over the
	// last one inside it to take its place. Without it, upvotes spread
	// over a long board swap the entries at the cut all the time, and
	// every entry that comes in is sent to every phone whole: on 500
	// questions at 50 upvotes/s that was 80% of a phone's bytes.
	boardMargin = 3
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
	// A snapshot from before the sticky cut has no entry on the board:
	// the cut starts from the board's order.
	q.settle()
}

// settle keeps OnBoard on the entries attendees and displays are sent:
// every shown entry while there are boardLimit or fewer, else a cut of
// boardLimit that moves only when an entry beyond it overtakes one inside
// it (pinned before unpinned; on a board sorted by votes, by boardMargin
// votes; by time, the newer). It runs in the reducer after every change,
// so every replica holds the same cut, and the snapshot keeps it.
func (q *QA) settle() {
	n := 0
	for _, e := range q.Entries {
		if e.OnBoard && !e.onBoardStatus() {
			e.OnBoard = false
		}
		if e.OnBoard {
			n++
		}
	}
	for ; n < boardLimit; n++ {
		best := q.edge(false)
		if best == nil {
			break
		}
		best.OnBoard = true
	}
	for {
		in, out := q.edge(true), q.edge(false)
		if in == nil || out == nil || !q.overtakes(out, in) {
			return
		}
		in.OnBoard, out.OnBoard = false, true
	}
}

// edge is the last entry inside the cut (inside true) or the first shown
// entry beyond it, in the board's order, or nil.
func (q *QA) edge(inside bool) *Entry {
	var pick *Entry
	for _, e := range q.Entries {
		if e.OnBoard != inside || !e.onBoardStatus() {
			continue
		}
		if pick == nil || q.before(e, pick) != inside {
			pick = e
		}
	}
	return pick
}

// before is the board's order (see sorted) of two entries. Entries are
// compared by their place in the log, which ids follow.
func (q *QA) before(a, b *Entry) bool {
	if a.Pinned != b.Pinned {
		return a.Pinned
	}
	earlier := entrySeq(a.ID) < entrySeq(b.ID)
	if q.Sort == "time" {
		return !earlier
	}
	if va, vb := len(a.Voters), len(b.Voters); va != vb {
		return va > vb
	}
	return earlier
}

// overtakes says whether out, beyond the cut, takes the place of in.
func (q *QA) overtakes(out, in *Entry) bool {
	if out.Pinned != in.Pinned || q.Sort == "time" {
		return q.before(out, in)
	}
	return len(out.Voters) >= len(in.Voters)+boardMargin
}

// entrySeq is the log offset in an entry's id ("q<N>").
func entrySeq(id string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(id, "q"), 10, 64)
	return n
}

func init() {
	register(Kind{
		Name: KindQA, Field: "qa",
		Revealed: Revealed{Attendees: true, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newQA(spec) },
		Empty:    func() Body { return &QA{} },
		Ops: map[string]Op{
			"qa.ask":       {Role: Attendee, Fn: qaAsk},
			"qa.upvote":    {Role: Attendee, Fn: qaUpvote},
			"qa.moderate":  {Role: Facilitator, Fn: qaModerate},
			"qa.spotlight": {Role: Facilitator, Args: true, Fn: qaSpotlight},
		},
	})
}

func qaAsk(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*QA)
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
	en := &Entry{ID: id, Text: text, Author: e.Actor, CreatedAt: e.Time, Status: StatusVisible, Voters: map[string]bool{}, Lang: canonLang(e.Cmd.Lang)}
	if q.Moderated {
		en.Status = StatusPending
	}
	q.Entries = append(q.Entries, en)
	q.byID[id] = en
	q.byAuthor[e.Actor]++
	q.settle()
	return Result{Entry: id}, []string{e.Actor}, nil
}

func qaUpvote(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	en := a.Body.(*QA).byID[e.Cmd.Entry]
	if en == nil || (en.Status != StatusVisible && en.Status != StatusAnswered) {
		return Result{}, nil, errorf(CodeNotFound, "There is no such question.")
	}
	if !dry {
		if en.Voters[e.Actor] {
			delete(en.Voters, e.Actor)
		} else {
			en.Voters[e.Actor] = true
		}
		a.Body.(*QA).settle()
	}
	// The author's own entries carry their votes in "you".
	if en.Author != e.Actor {
		return Result{}, []string{e.Actor, en.Author}, nil
	}
	return Result{}, []string{e.Actor}, nil
}

func qaModerate(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*QA)
	en := q.byID[e.Cmd.Entry]
	if en == nil {
		return Result{}, nil, errorf(CodeNotFound, "There is no such question.")
	}
	res, notify, err := moderate(e, dry, en.Author, []modAction{
		{name: "approve", apply: func() { en.Status = StatusVisible }},
		{name: "hide", apply: func() {
			en.Status = StatusHidden
			// A hidden question leaves the big screen too.
			if q.Spotlight == en.ID {
				q.Spotlight = ""
			}
		}},
		{name: "pin", apply: func() { en.Pinned = true }},
		{name: "unpin", apply: func() { en.Pinned = false }},
		{name: "answered", apply: func() { en.Status = StatusAnswered }},
	})
	if err == nil && !dry {
		q.settle()
	}
	return res, notify, err
}

// ReasonNotVisible refuses to spotlight an entry that is pending or hidden.
const ReasonNotVisible = "not_visible"

// qaSpotlight puts one entry full screen on displays, or none with "".
// Its "entry" must be sent: absent is not "none".
func qaSpotlight(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*QA)
	var args struct {
		Entry *string `json:"entry"`
	}
	if err := e.Cmd.Decode(&args); err != nil || args.Entry == nil {
		return Result{}, nil, errorf(CodeBadRequest, "qa.spotlight needs \"entry\": an entry's id, or \"\" for none.")
	}
	id := *args.Entry
	if id != "" {
		en := q.byID[id]
		if en == nil {
			return Result{}, nil, errorf(CodeNotFound, "There is no such question.")
		}
		if en.Status != StatusVisible && en.Status != StatusAnswered {
			return Result{}, nil, errorf(CodeConflict, "That question is not shown (it waits for approval or is hidden): nothing was changed.").with(ReasonNotVisible, 0, "")
		}
	}
	if !dry {
		q.Spotlight = id
	}
	return Result{}, nil, nil
}

// EntryView is one entry as a role sees it.
type EntryView struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Votes     int    `json:"votes"`
	Status    string `json:"status"`
	Pinned    bool   `json:"pinned"`
	CreatedAt string `json:"createdAt"`
	Lang      string `json:"lang,omitempty"`
	// Constituency is the one its author joined with, for facilitators
	// and the export only (the moderation record by constituency): on a
	// screen, a small group's question would name its asker.
	Constituency *string `json:"constituency,omitempty"`
}

type qaView struct {
	baseView
	Moderated bool        `json:"moderated"`
	Sort      string      `json:"sort"`
	Entries   []EntryView `json:"entries,omitzero"`
	// Spotlight is the entry on the big screen, whole, or null: it may lie
	// beyond the entries a display is sent.
	Spotlight *EntryView `json:"spotlight"`
}

func (en *Entry) view() EntryView {
	return EntryView{ID: en.ID, Text: en.Text, Votes: len(en.Voters), Status: en.Status, Pinned: en.Pinned,
		CreatedAt: en.CreatedAt.UTC().Format(time.RFC3339), Lang: en.Lang}
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

func (q *QA) view(a *Activity, role Role, lang string) qaView {
	v := qaView{baseView: a.base(role, lang), Moderated: q.Moderated, Sort: q.Sort}
	if !a.revealedTo(role) {
		return v
	}
	if en := q.byID[q.Spotlight]; en != nil {
		sv := en.view()
		v.Spotlight = &sv
	}
	all := role == Facilitator
	list := q.sorted(func(e *Entry) bool {
		return all || e.Status == StatusVisible || e.Status == StatusAnswered
	})
	if !all {
		list = slices.DeleteFunc(list, func(e *Entry) bool { return !e.OnBoard })
	}
	v.Entries = make([]EntryView, len(list))
	for i, e := range list {
		v.Entries[i] = e.view()
		if all {
			c := a.constituencyOf(e.Author)
			if lang != "" {
				c = a.s.ConstituencyIn(c, lang)
			}
			v.Entries[i].Constituency = &c
		}
	}
	return v
}

// responses counts entries, whatever their status.
func (q *QA) responses() int { return len(q.Entries) }

// View implements Body.
func (q *QA) View(a *Activity, role Role, lang string) any { return q.view(a, role, lang) }

// Export implements Body: every entry, as the facilitator sees them.
func (q *QA) Export(a *Activity) any { return q.view(a, Facilitator, "") }

// CSV implements Body: one row per entry, in the board's order.
func (q *QA) CSV(a *Activity) []CSVRow {
	list := q.sorted(func(*Entry) bool { return true })
	rows := make([]CSVRow, len(list))
	for i, e := range list {
		v := e.view()
		status := v.Status
		if v.Pinned {
			status += " pinned"
		}
		rows[i] = CSVRow{Item: v.Text, Count: strconv.Itoa(v.Votes), Status: status, Created: v.CreatedAt,
			Constituency: a.constituencyOf(e.Author), Language: v.Lang}
	}
	return rows
}

// You implements Body.
func (q *QA) You(a *Activity, participant string) map[string]any {
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
