package session

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// KindQuiz is a timed question with correct answers and points for speed
// (PROTOCOL.md 1.2, "New activity kinds").
const KindQuiz = "quiz"

// Refusal reasons of a quiz (Error.Reason).
const (
	ReasonAlreadyAnswered = "already_answered" // a second answer
	ReasonTimeUp          = "time_up"          // an answer stamped after the quiz's time
	ReasonQuizRan         = "quiz_ran"         // opening a quiz that was closed
)

// Bounds of a quiz's spec.
const (
	quizMinOptions     = 2
	quizMaxOptions     = 10
	quizMinSeconds     = 5
	quizMaxSeconds     = 600
	quizDefaultSeconds = 20
	quizMaxPoints      = 10000
	quizDefaultPoints  = 1000
	quizLeaders        = 10
)

// Quiz is one question with one or more correct options. Its clock runs
// from the time of the activity.open event: an answer stamped later than
// OpenedAt + Seconds is refused by every replica alike, and scores less the
// later it comes.
type Quiz struct {
	Options []Text `json:"options"`
	Correct []int  `json:"correct"` // option indexes, ascending
	Seconds int    `json:"seconds"`
	Points  int    `json:"points"`
	// OpenedAt is the open event's time; ClosedAt the close's (or the
	// session's end), which orders quizzes for the standings.
	OpenedAt time.Time    `json:"openedAt"`
	ClosedAt time.Time    `json:"closedAt"`
	Counts   []int        `json:"counts"`
	Answers  []QuizAnswer `json:"answers"` // in log order

	// Derived, rebuilt by restore.
	byPart map[string]int // participant → index in Answers

	// mu guards the caches below: views are made under the hub's read
	// lock, by the push loop and an export at once.
	mu sync.Mutex
	// standings after this quiz, made when first needed once it closed,
	// for the quizzes it counts (see standings).
	board *quizBoard
	// joined is the session's participants' join offsets, ascending, for
	// "Participant N"; it only grows, as joins do.
	joined []uint64
}

// QuizAnswer is one participant's answer.
type QuizAnswer struct {
	Participant string    `json:"p"`
	Choice      int       `json:"choice"`
	At          time.Time `json:"at"`
	Points      int       `json:"points"`
}

// quizSpec is a quiz's own spec fields.
type quizSpec struct {
	Correct []int `json:"correct"`
	Seconds *int  `json:"seconds"`
	Points  *int  `json:"points"`
}

func init() {
	register(Kind{
		Name: KindQuiz, Field: "quiz",
		// The results are everyone's once the time is up: hiding them is
		// the facilitator's choice, not the default.
		Revealed: Revealed{Attendees: true, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newQuiz(spec) },
		Empty:    func() Body { return &Quiz{} },
		Ops:      map[string]Op{"answer": {Role: Attendee, Args: true, Fn: quizAnswer}},
	})
}

func newQuiz(spec *ActivitySpec) (*Quiz, *Error) {
	if _, err := CheckSegmenting(spec); err != nil {
		return nil, err
	}
	var own quizSpec
	if err := spec.Decode(&own); err != nil {
		return nil, errorf(CodeBadRequest, "A quiz's \"correct\" lists option numbers, and its \"seconds\" and \"points\" are whole numbers.")
	}
	options, err := spec.TextList("options", spec.Options)
	if err != nil {
		return nil, err
	}
	n := len(options)
	if n < quizMinOptions || n > quizMaxOptions {
		return nil, errorf(CodeBadRequest, "A quiz needs "+strconv.Itoa(quizMinOptions)+" to "+strconv.Itoa(quizMaxOptions)+" options.")
	}
	q := &Quiz{Seconds: quizDefaultSeconds, Points: quizDefaultPoints, Counts: make([]int, n), byPart: map[string]int{}}
	for _, o := range options {
		label, err := spec.cleanText(o, 200, false)
		if err != nil {
			return nil, err
		}
		q.Options = append(q.Options, label)
	}
	if len(own.Correct) == 0 {
		return nil, errorf(CodeBadRequest, "A quiz needs at least one correct option (\"correct\": [0]).")
	}
	for _, c := range own.Correct {
		if c < 0 || c >= n {
			return nil, errorf(CodeBadRequest, "There is no option "+strconv.Itoa(c)+" to be correct: options are numbered 0 to "+strconv.Itoa(n-1)+".")
		}
		if slices.Contains(q.Correct, c) {
			return nil, errorf(CodeBadRequest, "Option "+strconv.Itoa(c)+" is listed as correct twice.")
		}
		q.Correct = append(q.Correct, c)
	}
	slices.Sort(q.Correct)
	if own.Seconds != nil {
		q.Seconds = *own.Seconds
	}
	if q.Seconds < quizMinSeconds || q.Seconds > quizMaxSeconds {
		return nil, errorf(CodeBadRequest, "A quiz lasts "+strconv.Itoa(quizMinSeconds)+" to "+strconv.Itoa(quizMaxSeconds)+" seconds.")
	}
	if own.Points != nil {
		q.Points = *own.Points
	}
	if q.Points < 0 || q.Points > quizMaxPoints {
		return nil, errorf(CodeBadRequest, "A quiz is worth 0 to "+strconv.Itoa(quizMaxPoints)+" points.")
	}
	return q, nil
}

func (q *Quiz) restore() {
	q.byPart = make(map[string]int, len(q.Answers))
	for i, an := range q.Answers {
		q.byPart[an.Participant] = i
	}
}

func (q *Quiz) correct(choice int) bool { return slices.Contains(q.Correct, choice) }

func (q *Quiz) endsAt() time.Time { return q.OpenedAt.Add(time.Duration(q.Seconds) * time.Second) }

// Deadline implements deadliner: the quiz closes by itself Seconds after
// its open event.
func (q *Quiz) Deadline(a *Activity) (time.Time, bool) { return q.endsAt(), true }

// opening implements opener: the clock starts at the open event, and at
// the close every phone learns its result. A closed quiz does not open
// again: its answers were scored against the clock that ran then.
func (q *Quiz) opening(a *Activity, e *Event, open, dry bool) ([]string, *Error) {
	if open && a.State == Closed {
		return nil, errorf(CodeConflict, "A quiz runs once: duplicate it to run it again.").with(ReasonQuizRan, 0, "")
	}
	if dry {
		return nil, nil
	}
	if open {
		q.OpenedAt = e.Time
		return nil, nil
	}
	q.ClosedAt = e.Time
	return q.everyone(a), nil
}

// end closes the quiz with the session.
func (q *Quiz) end(a *Activity, at time.Time) {
	if !q.OpenedAt.IsZero() && q.ClosedAt.IsZero() {
		q.ClosedAt = at
	}
}

// everyone is whose own data changes at the close: every participant
// learns a result, a total and a rank, answered or not.
func (q *Quiz) everyone(a *Activity) []string {
	if a.s == nil {
		out := make([]string, 0, len(q.Answers))
		for _, an := range q.Answers {
			out = append(out, an.Participant)
		}
		return out
	}
	out := make([]string, 0, len(a.s.Participants))
	for p := range a.s.Participants {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// quizAnswer is the attendee's "answer": "choice": <option index>, once.
func quizAnswer(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	q := a.Body.(*Quiz)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	// The event's stamp is the judge (a dry check without a time leaves it
	// to the reducer): every replica refuses a late answer alike, whether
	// or not the close was appended yet.
	if !e.Time.IsZero() && e.Time.After(q.endsAt()) {
		return Result{}, nil, errorf(CodeActivityClosed, "Time is up for this question.").with(ReasonTimeUp, 0, "")
	}
	var args struct {
		Choice *int `json:"choice"`
	}
	if err := e.Cmd.Decode(&args); err != nil {
		return Result{}, nil, errorf(CodeBadRequest, "\"choice\" is an option number, written as an integer.")
	}
	if _, done := q.byPart[e.Actor]; done {
		return Result{}, nil, errorf(CodeConflict, "You have answered this question already.").with(ReasonAlreadyAnswered, 0, "")
	}
	if args.Choice == nil {
		return Result{}, nil, errorf(CodeInvalidChoice, "Choose an option.")
	}
	c := *args.Choice
	if c < 0 || c >= len(q.Options) {
		return Result{}, nil, errorf(CodeInvalidChoice, "There is no option "+strconv.Itoa(c)+".")
	}
	if dry {
		return Result{}, nil, nil
	}
	an := QuizAnswer{Participant: e.Actor, Choice: c, At: e.Time}
	if q.correct(c) {
		an.Points = q.score(e.Time)
	}
	q.byPart[e.Actor] = len(q.Answers)
	q.Answers = append(q.Answers, an)
	q.Counts[c]++
	return Result{}, []string{e.Actor}, nil
}

// score is points × (1 − t / (2 × seconds)) for a correct answer t seconds
// after the open, rounded: from the whole points at once to half of them
// at the last moment.
func (q *Quiz) score(at time.Time) int {
	t := q.after(at)
	return int(math.Round(float64(q.Points) * (1 - t/(2*float64(q.Seconds)))))
}

// after is how many seconds after the open a time is, never less than 0
// (an event without a time, in a test, counts as at once).
func (q *Quiz) after(at time.Time) float64 {
	if at.IsZero() || q.OpenedAt.IsZero() || at.Before(q.OpenedAt) {
		return 0
	}
	return at.Sub(q.OpenedAt).Seconds()
}

// quizBoard is the standings after a quiz: every player's total over the
// quizzes it counts, best first.
type quizBoard struct {
	key    string         // the ids of the quizzes counted
	total  map[string]int // participant → total
	order  []string       // players, best first; ties by join order
	totals []int          // order's totals
}

// rank is 1 + the number of players with a higher total (ties share a
// rank; one who never answered ranks with those at 0).
func (b *quizBoard) rank(total int) int {
	return 1 + sort.Search(len(b.totals), func(i int) bool { return b.totals[i] <= total })
}

// counted lists the quizzes whose points make the standings after this
// one: every quiz of the session, not deleted, closed no later than this
// one (ties in the session's order). They are fixed once this one closed
// (a closed quiz takes no answer and does not reopen), so a later quiz's
// close changes no earlier quiz's view.
func (q *Quiz) counted(a *Activity) []*Activity {
	if a.s == nil {
		return []*Activity{a}
	}
	var out []*Activity
	mine := slices.Index(a.s.Activities, a)
	for i, x := range a.s.Activities {
		o, ok := x.Body.(*Quiz)
		if !ok || x.Deleted || x.State != Closed {
			continue
		}
		if o.ClosedAt.Before(q.ClosedAt) || (o.ClosedAt.Equal(q.ClosedAt) && i <= mine) {
			out = append(out, x)
		}
	}
	return out
}

// standings are the players' totals after this closed quiz, made once per
// set of counted quizzes.
func (q *Quiz) standings(a *Activity) *quizBoard {
	counted := q.counted(a)
	var key strings.Builder
	for _, x := range counted {
		key.WriteString(x.ID)
		key.WriteByte(',')
	}
	if q.board != nil && q.board.key == key.String() {
		return q.board
	}
	b := &quizBoard{key: key.String(), total: map[string]int{}}
	for _, x := range counted {
		for _, an := range x.Body.(*Quiz).Answers {
			if _, ok := b.total[an.Participant]; !ok {
				b.order = append(b.order, an.Participant)
			}
			b.total[an.Participant] += an.Points
		}
	}
	sort.SliceStable(b.order, func(i, j int) bool {
		ti, tj := b.total[b.order[i]], b.total[b.order[j]]
		if ti != tj {
			return ti > tj
		}
		return joinSeq(b.order[i]) < joinSeq(b.order[j])
	})
	b.totals = make([]int, len(b.order))
	for i, p := range b.order {
		b.totals[i] = b.total[p]
	}
	q.board = b
	return b
}

// joinSeq is the offset of a participant's join, from its id ("p42").
func joinSeq(p string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(p, "p"), 10, 64)
	return n
}

// name is how a player is listed: the join name, or "Participant N" for
// the N-th participant to join the session (1-based, in log order).
func (q *Quiz) name(a *Activity, p string) string {
	name, _ := q.player(a, p)
	return name
}

// player is name, and N for a player listed as "Participant N" (0 for a
// join name): the pages say it in their own language.
func (q *Quiz) player(a *Activity, p string) (string, int) {
	if a.s == nil {
		return p, 0
	}
	if pt := a.s.Participants[p]; pt != nil && pt.Name != "" {
		return pt.Name, 0
	}
	// Joins only add participants, each with an offset above all before:
	// the list grows at its end.
	if len(q.joined) != len(a.s.Participants) {
		var last uint64
		if n := len(q.joined); n > 0 {
			last = q.joined[n-1]
		}
		var fresh []uint64
		for id := range a.s.Participants {
			if s := joinSeq(id); s > last {
				fresh = append(fresh, s)
			}
		}
		slices.Sort(fresh)
		q.joined = append(q.joined, fresh...)
		if len(q.joined) != len(a.s.Participants) {
			// Not the shape joins make (a hand-made state): start over.
			q.joined = q.joined[:0]
			for id := range a.s.Participants {
				q.joined = append(q.joined, joinSeq(id))
			}
			slices.Sort(q.joined)
		}
	}
	n, _ := slices.BinarySearch(q.joined, joinSeq(p))
	return "Participant " + strconv.Itoa(n+1), n + 1
}

// LeaderView is one line of a quiz's leaderboard.
type LeaderView struct {
	Rank int    `json:"rank"`
	Name string `json:"name"`
	// Number is N of a player named "Participant N" (no join name), for
	// the pages to say in their language; absent for a join name.
	Number int `json:"number,omitempty"`
	Points int `json:"points"`
}

type quizOptionView struct {
	Label  string            `json:"label"`
	Labels map[string]string `json:"labels,omitempty"`
	Count  *int              `json:"count,omitempty"`
}

type quizView struct {
	baseView
	Options []quizOptionView `json:"options"`
	Seconds int              `json:"seconds"`
	Points  int              `json:"points"`
	// The clock, so that pages count down from the server's time (every
	// push carries "now"); null until opened.
	OpenedAt  *string `json:"openedAt"`
	EndsAt    *string `json:"endsAt"`
	Responses int     `json:"responses"`
	// Results: the facilitator's always, but the leaderboard, which
	// waits for the close; the others' once closed, if revealed to them.
	Correct     []int        `json:"correct,omitzero"`
	Leaderboard []LeaderView `json:"leaderboard,omitzero"`
	segmentFields
}

// quizCounts are a quiz's results for one constituency: the answers per
// option and how many were right.
type quizCounts struct {
	Options []quizOptionView `json:"options"`
	Right   int              `json:"right"`
	Answers int              `json:"answers"`
}

// segments are the quiz's results by constituency, for role once the
// results are its to see (the facilitator's always).
func (q *Quiz) segments(a *Activity, role Role, lang string, results bool) segmentFields {
	if !results {
		return segmentsOf(a, Attendee, map[string]int{}, func([]int) any { return nil })
	}
	choices := make(map[string]int, len(q.Answers))
	for _, an := range q.Answers {
		choices[an.Participant] = an.Choice
	}
	return segmentsIn(a, role, lang, choices, func(cs []int) any {
		c := quizCounts{Options: make([]quizOptionView, len(q.Options)), Answers: len(cs)}
		n := make([]int, len(q.Options))
		for _, ch := range cs {
			n[ch]++
			if q.correct(ch) {
				c.Right++
			}
		}
		for i, o := range q.Options {
			c.Options[i] = quizOptionView{Label: a.text(o, lang), Count: &n[i]}
		}
		return c
	})
}

// QuizAnswerView is one answer in the export.
type QuizAnswerView struct {
	Participant  string  `json:"participant"`
	Name         string  `json:"name"`
	Constituency string  `json:"constituency,omitempty"`
	Choice       int     `json:"choice"`
	Correct      bool    `json:"correct"`
	Points       int     `json:"points"`
	At           string  `json:"at"`
	Seconds      float64 `json:"seconds"` // after the open, to the millisecond
}

type quizExport struct {
	quizView
	Answers []QuizAnswerView `json:"answers"`
}

// View implements Body.
func (q *Quiz) View(a *Activity, role Role, lang string) any {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.view(a, role, lang)
}

// Export implements Body: the facilitator's view with every answer, its
// time and its points.
func (q *Quiz) Export(a *Activity) any {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.export(a)
}

func (q *Quiz) export(a *Activity) quizExport {
	x := quizExport{quizView: q.view(a, Facilitator, ""), Answers: make([]QuizAnswerView, len(q.Answers))}
	// The export has every constituency's results, however small.
	x.segmentFields = q.segments(a, forExport, "", true)
	for i, an := range q.Answers {
		v := QuizAnswerView{Participant: an.Participant, Name: q.name(a, an.Participant), Choice: an.Choice,
			Correct: q.correct(an.Choice), Points: an.Points, At: queueTime(an.At),
			Seconds: math.Round(q.after(an.At)*1000) / 1000}
		if a.s != nil {
			if pt := a.s.Participants[an.Participant]; pt != nil {
				v.Constituency = pt.Constituency
			}
		}
		x.Answers[i] = v
	}
	return x
}

func (q *Quiz) view(a *Activity, role Role, lang string) quizView {
	v := quizView{baseView: a.base(role, lang), Options: make([]quizOptionView, len(q.Options)),
		Seconds: q.Seconds, Points: q.Points, Responses: len(q.Answers)}
	if !q.OpenedAt.IsZero() {
		opened, ends := queueTime(q.OpenedAt), queueTime(q.endsAt())
		v.OpenedAt, v.EndsAt = &opened, &ends
	}
	closed := a.State == Closed
	results := role == Facilitator || (closed && a.revealedTo(role))
	for i, o := range q.Options {
		v.Options[i].Label, v.Options[i].Labels = a.texts(o, role, lang)
		if results {
			n := q.Counts[i]
			v.Options[i].Count = &n
		}
	}
	if results {
		v.Correct = q.Correct
	}
	v.segmentFields = q.segments(a, role, lang, results)
	if results && closed {
		b := q.standings(a)
		v.Leaderboard = []LeaderView{}
		for i, p := range b.order[:min(quizLeaders, len(b.order))] {
			name, number := q.player(a, p)
			v.Leaderboard = append(v.Leaderboard, LeaderView{Rank: b.rank(b.totals[i]), Name: name, Number: number, Points: b.totals[i]})
		}
	}
	return v
}

// You implements Body: the participant's choice (null before one), and
// once the quiz closed, whether it was right, its points, the total and
// rank over the session's quizzes so far, and the name it is listed
// under. A participant learns its own result at the close even where the
// facilitator keeps the results from attendees' views.
func (q *Quiz) You(a *Activity, participant string) map[string]any {
	q.mu.Lock()
	defer q.mu.Unlock()
	m := map[string]any{"choice": nil}
	i, answered := q.byPart[participant]
	if answered {
		m["choice"] = q.Answers[i].Choice
	}
	if a.State != Closed {
		return m
	}
	b := q.standings(a)
	total := b.total[participant]
	m["correct"] = answered && q.correct(q.Answers[i].Choice)
	m["points"] = 0
	if answered {
		m["points"] = q.Answers[i].Points
	}
	m["total"] = total
	m["rank"] = b.rank(total)
	name, number := q.player(a, participant)
	m["name"] = name
	if number > 0 {
		m["number"] = number
	}
	return m
}

// CSV implements Body: one row per option (its answers, whether it is
// correct), then one per answer (the option chosen, its points, who, when,
// and how many seconds after the open).
func (q *Quiz) CSV(a *Activity) []CSVRow {
	q.mu.Lock()
	defer q.mu.Unlock()
	x := q.export(a)
	voters := strconv.Itoa(len(q.Answers))
	rows := make([]CSVRow, 0, len(q.Options)+len(q.Answers))
	verdict := func(c int) string {
		if q.correct(c) {
			return "correct"
		}
		return "incorrect"
	}
	for i, o := range q.Options {
		rows = append(rows, CSVRow{Item: a.text(o, ""), ItemTexts: o, Count: strconv.Itoa(q.Counts[i]), Status: verdict(i), Voters: voters})
	}
	for _, an := range x.Answers {
		rows = append(rows, CSVRow{Item: a.text(q.Options[an.Choice], ""), ItemTexts: q.Options[an.Choice], Count: strconv.Itoa(an.Points), Status: "answer " + verdict(an.Choice),
			Name: an.Name, Constituency: an.Constituency, Created: an.At,
			Seconds: strconv.FormatFloat(an.Seconds, 'f', -1, 64)})
	}
	return rows
}
