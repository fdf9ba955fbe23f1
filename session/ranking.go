package session

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
)

// KindRanking is a ranking: each attendee puts some or all of 2 to 20
// options in order, best first, and the options are scored by Borda
// count (PROTOCOL.md 1.2).
const KindRanking = "ranking"

// OpRank is an attendee's ranking.
const OpRank = "rank"

const maxRankingOptions = 20

// Ranking is a list of options that attendees put in order.
type Ranking struct {
	Options []Text `json:"options"`
	// Scores are the options' Borda scores: an option at place i (from
	// 0) of a ranking of k options gets k - i points.
	Scores []int `json:"scores"`
	// Firsts counts the rankings that put each option first.
	Firsts []int `json:"firsts"`
	// Orders holds each participant's current ranking.
	Orders map[string][]int `json:"orders"`
}

func newRanking(spec *ActivitySpec) (*Ranking, *Error) {
	if _, err := CheckSegmenting(spec); err != nil {
		return nil, err
	}
	options, err := spec.TextList("options", spec.Options)
	if err != nil {
		return nil, err
	}
	if len(options) < 2 || len(options) > maxRankingOptions {
		return nil, errorf(CodeBadRequest, "A ranking needs 2 to "+strconv.Itoa(maxRankingOptions)+" options.")
	}
	rk := &Ranking{Orders: map[string][]int{}}
	for _, o := range options {
		label, err := spec.cleanText(o, 200, false)
		if err != nil {
			return nil, errorf(CodeBadRequest, "An option must be 1 to 200 characters of text: "+err.Message)
		}
		rk.Options = append(rk.Options, label)
	}
	rk.Scores = make([]int, len(rk.Options))
	rk.Firsts = make([]int, len(rk.Options))
	return rk, nil
}

func init() {
	register(Kind{
		Name: KindRanking, Field: "ranking",
		Revealed: Revealed{Attendees: false, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newRanking(spec) },
		Empty:    func() Body { return &Ranking{} },
		Ops:      map[string]Op{OpRank: {Role: Attendee, Args: true, Fn: rank}},
	})
}

// rankArgs are rank's own fields, each place read raw so that a null is
// refused instead of read as option 0.
type rankArgs struct {
	Order *[]json.RawMessage `json:"order"`
}

func rank(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	rk := a.Body.(*Ranking)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	var args rankArgs
	if err := e.Cmd.Decode(&args); err != nil || args.Order == nil {
		return Result{}, nil, errorf(CodeBadRequest, "rank needs \"order\": option numbers, best first.")
	}
	raw := *args.Order
	if len(raw) == 0 {
		return Result{}, nil, errorf(CodeInvalidChoice, "Rank at least one option.")
	}
	if len(raw) > len(rk.Options) {
		return Result{}, nil, errorf(CodeInvalidChoice, "There are only "+plural(len(rk.Options), "option", "options")+" to rank.")
	}
	order := make([]int, len(raw))
	seen := make([]bool, len(rk.Options))
	for i, r := range raw {
		if err := json.Unmarshal(r, &order[i]); err != nil || string(r) == "null" {
			return Result{}, nil, errorf(CodeBadRequest, "A ranking lists option numbers, written as integers.")
		}
		o := order[i]
		if o < 0 || o >= len(rk.Options) {
			return Result{}, nil, errorf(CodeInvalidChoice, "There is no option "+strconv.Itoa(o)+".")
		}
		if seen[o] {
			return Result{}, nil, errorf(CodeInvalidChoice, "An option is ranked twice.")
		}
		seen[o] = true
	}
	if dry {
		return Result{}, nil, nil
	}
	rk.count(rk.Orders[e.Actor], -1)
	rk.Orders[e.Actor] = order
	rk.count(order, +1)
	return Result{}, []string{e.Actor}, nil
}

func (rk *Ranking) count(order []int, by int) {
	for i, o := range order {
		rk.Scores[o] += by * (len(order) - i)
	}
	if len(order) > 0 {
		rk.Firsts[order[0]] += by
	}
}

// restore implements restorer.
func (rk *Ranking) restore() {
	if rk.Orders == nil {
		rk.Orders = map[string][]int{}
	}
}

// order is the option indexes by score, highest first; a tie goes to the
// option ranked first more often, then to the one listed first, so that
// the order is the same on every replica and does not flicker.
func (rk *Ranking) order() []int {
	out := make([]int, len(rk.Options))
	for i := range out {
		out[i] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rk.Scores[a] != rk.Scores[b] {
			return rk.Scores[a] > rk.Scores[b]
		}
		return rk.Firsts[a] > rk.Firsts[b]
	})
	return out
}

type rankedView struct {
	Label  string            `json:"label"`
	Labels map[string]string `json:"labels,omitempty"`
	Score  *int              `json:"score,omitempty"`
	Firsts *int              `json:"firsts,omitempty"`
}

type rankingView struct {
	baseView
	Options []rankedView `json:"options"`
	Order   []int        `json:"order,omitempty"`
	Voters  *int         `json:"voters,omitempty"`
	segmentFields
}

// rankingCounts are a ranking's results for one constituency.
type rankingCounts struct {
	Options []rankedView `json:"options"`
	Order   []int        `json:"order"`
}

// segmentCounts scores one constituency's rankings as the whole
// ranking's are scored, the options labelled in lang.
func (rk *Ranking) segmentCounts(a *Activity, lang string) func([][]int) any {
	return func(orders [][]int) any {
		part := &Ranking{Options: rk.Options, Scores: make([]int, len(rk.Options)), Firsts: make([]int, len(rk.Options))}
		for _, o := range orders {
			part.count(o, +1)
		}
		c := rankingCounts{Options: make([]rankedView, len(rk.Options)), Order: part.order()}
		for i, o := range rk.Options {
			c.Options[i] = rankedView{Label: a.text(o, lang), Score: &part.Scores[i], Firsts: &part.Firsts[i]}
		}
		return c
	}
}

// RankingAnswer is one participant's ranking in the export.
type RankingAnswer struct {
	Participant string `json:"participant"`
	Order       []int  `json:"order"`
}

type rankingExport struct {
	rankingView
	Answers []RankingAnswer `json:"answers"`
}

// responses counts the participants who ranked (responder).
func (rk *Ranking) responses() int { return len(rk.Orders) }

// View implements Body.
func (rk *Ranking) View(a *Activity, role Role, lang string) any { return rk.view(a, role, lang) }

// Export implements Body: every score, and every participant's ranking by
// participant id (a Borda score cannot be turned back into the rankings).
func (rk *Ranking) Export(a *Activity) any {
	x := rankingExport{rankingView: rk.view(a, Facilitator, ""), Answers: []RankingAnswer{}}
	x.segmentFields = segmentsOf(a, forExport, rk.Orders, rk.segmentCounts(a, ""))
	for _, p := range sortedParticipants(rk.Orders) {
		x.Answers = append(x.Answers, RankingAnswer{Participant: p, Order: rk.Orders[p]})
	}
	return x
}

// You implements Body.
func (rk *Ranking) You(a *Activity, participant string) map[string]any {
	return map[string]any{"order": nonNil(rk.Orders[participant])}
}

// CSV implements Body: one row per option in the order of the results;
// "count" is its score, "status" how many put it first ("firsts 3").
func (rk *Ranking) CSV(a *Activity) []CSVRow {
	voters := strconv.Itoa(len(rk.Orders))
	var rows []CSVRow
	for _, o := range rk.order() {
		rows = append(rows, CSVRow{Item: a.text(rk.Options[o], ""), ItemTexts: rk.Options[o], Count: strconv.Itoa(rk.Scores[o]),
			Status: "firsts " + strconv.Itoa(rk.Firsts[o]), Voters: voters})
	}
	for _, sg := range segmentsOf(a, forExport, rk.Orders, rk.segmentCounts(a, "")).Segments {
		c := sg.Counts.(rankingCounts)
		for _, o := range c.Order {
			rows = append(rows, CSVRow{Item: c.Options[o].Label, ItemTexts: rk.Options[o], Count: strconv.Itoa(*c.Options[o].Score),
				Status: "firsts " + strconv.Itoa(*c.Options[o].Firsts), Voters: strconv.Itoa(sg.Responses), Constituency: segmentName(sg.Constituency)})
		}
	}
	// Then every answer: one row per participant and place, the count
	// the place (1 first), the participant named as in the JSON export.
	for _, p := range slices.Sorted(maps.Keys(rk.Orders)) {
		for place, o := range rk.Orders[p] {
			rows = append(rows, CSVRow{Item: a.text(rk.Options[o], ""), ItemTexts: rk.Options[o], Count: strconv.Itoa(place + 1), Status: "answer place",
				Name: p, Constituency: a.constituencyOf(p)})
		}
	}
	return rows
}

func (rk *Ranking) view(a *Activity, role Role, lang string) rankingView {
	v := rankingView{baseView: a.base(role, lang), Options: make([]rankedView, len(rk.Options))}
	show := a.revealedTo(role)
	for i, o := range rk.Options {
		v.Options[i].Label, v.Options[i].Labels = a.texts(o, role, lang)
		if show {
			score, firsts := rk.Scores[i], rk.Firsts[i]
			v.Options[i].Score, v.Options[i].Firsts = &score, &firsts
		}
	}
	if show {
		n := len(rk.Orders)
		v.Order, v.Voters = rk.order(), &n
	}
	v.segmentFields = segmentsIn(a, role, lang, rk.Orders, rk.segmentCounts(a, lang))
	return v
}
