package session

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
)

// KindScale is a rating scale: each attendee rates one to ten statements
// on the same scale of 2 to 11 points (PROTOCOL.md 1.2).
const KindScale = "scale"

// OpRate is an attendee's ratings of a scale's statements.
const OpRate = "rate"

// Bounds of a scale.
const (
	maxStatements = 10
	minPoints     = 2
	maxPoints     = 11
	// The ends of a scale stay small numbers: a scale is read by people,
	// and a bound keeps min+points from overflowing.
	maxScaleEnd = 100
)

// Scale is a set of statements rated on one scale.
type Scale struct {
	Statements []Text      `json:"statements"`
	Min        int         `json:"min"`
	Max        int         `json:"max"`
	Labels     ScaleLabels `json:"labels"`
	// Counts[s][p] is how many rated statement s at point Min+p.
	Counts [][]int `json:"counts"`
	// Ratings holds each participant's current ratings, one per
	// statement, nil where skipped.
	Ratings map[string][]*int `json:"ratings"`
}

// ScaleLabels name the two ends of a scale; either may be empty.
type ScaleLabels struct {
	Min Text `json:"min"`
	Max Text `json:"max"`
}

// labelsView are a scale's end labels as a connection reads them.
type labelsView struct {
	Min string `json:"min,omitempty"`
	Max string `json:"max,omitempty"`
}

// labelTexts are the end labels per language, for facilitators and
// displays, when they were given so.
type labelTexts struct {
	Min map[string]string `json:"min,omitempty"`
	Max map[string]string `json:"max,omitempty"`
}

// scaleSpec is a scale's own part of activity.create. Min and Max are
// pointers so that a scale sent without them is the contract's 1 to 5,
// while a scale from 0 keeps its 0.
type scaleSpec struct {
	Statements []Text       `json:"statements"`
	Min        *int         `json:"min"`
	Max        *int         `json:"max"`
	Labels     *ScaleLabels `json:"labels"`
}

func newScale(spec *ActivitySpec) (*Scale, *Error) {
	if _, err := CheckSegmenting(spec); err != nil {
		return nil, err
	}
	var own scaleSpec
	if err := spec.Decode(&own); err != nil {
		return nil, errorf(CodeBadRequest, "A scale needs \"statements\" as a list of texts, \"min\" and \"max\" as whole numbers and \"labels\" as {\"min\", \"max\"} texts.")
	}
	if len(own.Statements) < 1 || len(own.Statements) > maxStatements {
		return nil, errorf(CodeBadRequest, "A scale needs 1 to "+strconv.Itoa(maxStatements)+" statements.")
	}
	sc := &Scale{Min: 1, Max: 5, Ratings: map[string][]*int{}, Labels: ScaleLabels{Min: Plain(""), Max: Plain("")}}
	if own.Min != nil {
		sc.Min = *own.Min
	}
	if own.Max != nil {
		sc.Max = *own.Max
	}
	if sc.Min < -maxScaleEnd || sc.Max > maxScaleEnd || sc.Max-sc.Min+1 < minPoints || sc.Max-sc.Min+1 > maxPoints {
		return nil, errorf(CodeBadRequest, "A scale has "+strconv.Itoa(minPoints)+" to "+strconv.Itoa(maxPoints)+
			" points: \"max\" is 1 to 10 more than \"min\", both between -"+strconv.Itoa(maxScaleEnd)+" and "+strconv.Itoa(maxScaleEnd)+".")
	}
	for _, st := range own.Statements {
		label, err := spec.cleanText(st, 200, false)
		if err != nil {
			return nil, errorf(CodeBadRequest, "A statement must be 1 to 200 characters of text: "+err.Message)
		}
		sc.Statements = append(sc.Statements, label)
	}
	if own.Labels != nil {
		for _, l := range []struct{ in, out *Text }{{&own.Labels.Min, &sc.Labels.Min}, {&own.Labels.Max, &sc.Labels.Max}} {
			if *l.in == nil {
				continue
			}
			t, err := spec.cleanText(*l.in, 60, true)
			if err != nil {
				return nil, errorf(CodeBadRequest, "A scale's end label must be at most 60 characters of text: "+err.Message)
			}
			*l.out = t
		}
	}
	sc.Counts = make([][]int, len(sc.Statements))
	for i := range sc.Counts {
		sc.Counts[i] = make([]int, sc.points())
	}
	return sc, nil
}

// restore implements restorer: a snapshot taken before anyone rated
// reads back with a map to rate into.
func (sc *Scale) restore() {
	if sc.Ratings == nil {
		sc.Ratings = map[string][]*int{}
	}
}

func (sc *Scale) points() int { return sc.Max - sc.Min + 1 }

func init() {
	register(Kind{
		Name: KindScale, Field: "scale",
		Revealed: Revealed{Attendees: false, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newScale(spec) },
		Empty:    func() Body { return &Scale{} },
		Ops:      map[string]Op{OpRate: {Role: Attendee, Args: true, Fn: rate}},
	})
}

// rateArgs are rate's own fields. Each rating is read raw: encoding/json
// would take 4.5 for an error but give a *int nil for null and for a
// missing list alike, and both must be told apart from a skip.
type rateArgs struct {
	Ratings *[]json.RawMessage `json:"ratings"`
}

func rate(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	sc := a.Body.(*Scale)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	var args rateArgs
	if err := e.Cmd.Decode(&args); err != nil || args.Ratings == nil {
		return Result{}, nil, errorf(CodeBadRequest, "rate needs \"ratings\": one whole number or null per statement.")
	}
	raw := *args.Ratings
	if len(raw) != len(sc.Statements) {
		return Result{}, nil, errorf(CodeInvalidChoice, "Give one rating (or null) for each of the "+
			plural(len(sc.Statements), "statement", "statements")+".")
	}
	ratings := make([]*int, len(raw))
	rated := false
	for i, r := range raw {
		if string(r) == "null" {
			continue
		}
		var n int
		if err := json.Unmarshal(r, &n); err != nil {
			return Result{}, nil, errorf(CodeBadRequest, "A rating is a whole number or null.")
		}
		if n < sc.Min || n > sc.Max {
			return Result{}, nil, errorf(CodeInvalidChoice, "Ratings go from "+strconv.Itoa(sc.Min)+" to "+strconv.Itoa(sc.Max)+".")
		}
		ratings[i] = &n
		rated = true
	}
	if !rated {
		return Result{}, nil, errorf(CodeInvalidChoice, "Rate at least one statement.")
	}
	if dry {
		return Result{}, nil, nil
	}
	sc.count(sc.Ratings[e.Actor], -1)
	sc.Ratings[e.Actor] = ratings
	sc.count(ratings, +1)
	return Result{}, []string{e.Actor}, nil
}

func (sc *Scale) count(ratings []*int, by int) {
	for s, r := range ratings {
		if r != nil {
			sc.Counts[s][*r-sc.Min] += by
		}
	}
}

// StatementView is one statement of a scale's view; its results are
// absent where they are hidden.
type StatementView struct {
	Label  string            `json:"label"`
	Labels map[string]string `json:"labels,omitempty"`
	Counts []int             `json:"counts,omitempty"`
	// Mean and Median are null while nobody rated the statement.
	Mean      *float64 `json:"mean"`
	Median    *float64 `json:"median"`
	Responses *int     `json:"responses,omitempty"`

	shown bool
}

// MarshalJSON leaves out mean and median, not just their values, where
// the results are hidden.
func (v StatementView) MarshalJSON() ([]byte, error) {
	type plain StatementView
	if v.shown {
		return json.Marshal(plain(v))
	}
	return json.Marshal(struct {
		Label  string            `json:"label"`
		Labels map[string]string `json:"labels,omitempty"`
	}{v.Label, v.Labels})
}

type scaleView struct {
	baseView
	Min        int             `json:"min"`
	Max        int             `json:"max"`
	Labels     labelsView      `json:"labels"`
	LabelTexts *labelTexts     `json:"labelTexts,omitempty"`
	Statements []StatementView `json:"statements"`
	Voters     *int            `json:"voters,omitempty"`
	segmentFields
}

// scaleCounts are a scale's results for one constituency.
type scaleCounts struct {
	Statements []StatementView `json:"statements"`
}

// segmentCounts counts one constituency's ratings as the whole scale's
// are counted, the statements labelled in lang.
func (sc *Scale) segmentCounts(a *Activity, lang string) func([][]*int) any {
	return func(answers [][]*int) any {
		part := &Scale{Min: sc.Min, Max: sc.Max, Statements: sc.Statements, Counts: make([][]int, len(sc.Statements))}
		for s := range part.Counts {
			part.Counts[s] = make([]int, sc.points())
		}
		for _, r := range answers {
			part.count(r, +1)
		}
		c := scaleCounts{Statements: make([]StatementView, len(sc.Statements))}
		for s, st := range sc.Statements {
			c.Statements[s] = part.statement(s)
			c.Statements[s].Label = a.text(st, lang)
		}
		return c
	}
}

// ScaleAnswer is one participant's ratings in the export.
type ScaleAnswer struct {
	Participant string `json:"participant"`
	Ratings     []*int `json:"ratings"`
}

type scaleExport struct {
	scaleView
	Answers []ScaleAnswer `json:"answers"`
}

// responses counts the participants who rated (responder).
func (sc *Scale) responses() int { return len(sc.Ratings) }

// View implements Body.
func (sc *Scale) View(a *Activity, role Role, lang string) any { return sc.view(a, role, lang) }

// Export implements Body: every count, and every participant's ratings
// (by participant id, without names: the room answered a scale, not a
// roll call).
func (sc *Scale) Export(a *Activity) any {
	x := scaleExport{scaleView: sc.view(a, Facilitator, ""), Answers: []ScaleAnswer{}}
	x.segmentFields = segmentsOf(a, forExport, sc.Ratings, sc.segmentCounts(a, ""))
	for _, p := range sortedParticipants(sc.Ratings) {
		x.Answers = append(x.Answers, ScaleAnswer{Participant: p, Ratings: sc.Ratings[p]})
	}
	return x
}

// You implements Body.
func (sc *Scale) You(a *Activity, participant string) map[string]any {
	return map[string]any{"ratings": nonNil(sc.Ratings[participant])}
}

// CSV implements Body: one row per statement and point, statement by
// statement, points ascending; "status" names the point ("rated 4").
func (sc *Scale) CSV(a *Activity) []CSVRow {
	var rows []CSVRow
	voters := strconv.Itoa(len(sc.Ratings))
	for s, st := range sc.Statements {
		for p, n := range sc.Counts[s] {
			rows = append(rows, CSVRow{Item: a.text(st, ""), ItemTexts: st, Count: strconv.Itoa(n), Status: "rated " + strconv.Itoa(sc.Min+p), Voters: voters})
		}
	}
	for _, sg := range segmentsOf(a, forExport, sc.Ratings, sc.segmentCounts(a, "")).Segments {
		for s, st := range sg.Counts.(scaleCounts).Statements {
			for p, n := range st.Counts {
				rows = append(rows, CSVRow{Item: st.Label, ItemTexts: sc.Statements[s], Count: strconv.Itoa(n), Status: "rated " + strconv.Itoa(sc.Min+p),
					Voters: strconv.Itoa(sg.Responses), Constituency: segmentName(sg.Constituency)})
			}
		}
	}
	// Then every answer: one row per participant and statement rated,
	// the participant named as in the JSON export.
	for _, p := range slices.Sorted(maps.Keys(sc.Ratings)) {
		for s, r := range sc.Ratings[p] {
			if r == nil {
				continue
			}
			rows = append(rows, CSVRow{Item: a.text(sc.Statements[s], ""), ItemTexts: sc.Statements[s], Count: strconv.Itoa(*r), Status: "answer",
				Name: p, Constituency: a.constituencyOf(p)})
		}
	}
	return rows
}

func (sc *Scale) view(a *Activity, role Role, lang string) scaleView {
	v := scaleView{baseView: a.base(role, lang), Min: sc.Min, Max: sc.Max,
		Labels:     labelsView{Min: a.text(sc.Labels.Min, lang), Max: a.text(sc.Labels.Max, lang)},
		Statements: make([]StatementView, len(sc.Statements))}
	if role != Attendee && (sc.Labels.Min.Translated() || sc.Labels.Max.Translated()) {
		v.LabelTexts = &labelTexts{Min: sc.Labels.Min.Map(), Max: sc.Labels.Max.Map()}
	}
	show := a.revealedTo(role)
	for s, st := range sc.Statements {
		if show {
			v.Statements[s] = sc.statement(s)
		}
		v.Statements[s].Label, v.Statements[s].Labels = a.texts(st, role, lang)
	}
	if show {
		n := len(sc.Ratings)
		v.Voters = &n
	}
	v.segmentFields = segmentsIn(a, role, lang, sc.Ratings, sc.segmentCounts(a, lang))
	return v
}

// statement is statement s with its results: the mean and the median
// (of an even number of ratings, the mean of the two middle ones), both
// rounded to two decimals.
func (sc *Scale) statement(s int) StatementView {
	counts := append([]int{}, sc.Counts[s]...)
	v := StatementView{Counts: counts, shown: true}
	n, sum := 0, 0
	for p, c := range counts {
		n += c
		sum += c * (sc.Min + p)
	}
	v.Responses = &n
	if n == 0 {
		return v
	}
	mean := round2(float64(sum) / float64(n))
	v.Mean = &mean
	// The k-th smallest rating (0-based), found by walking the counts.
	nth := func(k int) int {
		for p, c := range counts {
			if k < c {
				return sc.Min + p
			}
			k -= c
		}
		return sc.Max
	}
	median := float64(nth(n / 2))
	if n%2 == 0 {
		median = round2(float64(nth(n/2-1)+nth(n/2)) / 2)
	}
	v.Median = &median
	return v
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// sortedParticipants are the keys of a map of answers in the order the
// participants joined ("p<offset of the join>"), so that an export is the
// same bytes on every replica.
func sortedParticipants[T any](m map[string]T) []string {
	ps := make([]string, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		if len(ps[i]) != len(ps[j]) {
			return len(ps[i]) < len(ps[j])
		}
		return ps[i] < ps[j]
	})
	return ps
}
