package session

import "strconv"

// Poll is a single or multiple choice question.
type Poll struct {
	Options    []Text `json:"options"`
	Multi      bool   `json:"multi"`
	MaxChoices int    `json:"maxChoices"`
	Counts     []int  `json:"counts"`
	// Votes holds each participant's current choices.
	Votes map[string][]int `json:"votes"`
}

const maxOptions = 50

func newPoll(spec *ActivitySpec) (*Poll, *Error) {
	if _, err := CheckSegmenting(spec); err != nil {
		return nil, err
	}
	p := &Poll{Multi: spec.Multi, MaxChoices: 1, Votes: map[string][]int{}}
	options, err := spec.TextList("options", spec.Options)
	if err != nil {
		return nil, err
	}
	if len(options) < 2 || len(options) > maxOptions {
		return nil, errorf(CodeBadRequest, "A poll needs 2 to "+strconv.Itoa(maxOptions)+" options.")
	}
	for _, o := range options {
		label, err := spec.cleanText(o, 200, false)
		if err != nil {
			return nil, err
		}
		p.Options = append(p.Options, label)
	}
	if spec.Multi {
		p.MaxChoices = spec.MaxChoices
		if p.MaxChoices <= 0 || p.MaxChoices > len(p.Options) {
			p.MaxChoices = len(p.Options)
		}
	}
	p.Counts = make([]int, len(p.Options))
	return p, nil
}

func init() {
	register(Kind{
		Name: KindPoll, Field: "poll",
		Revealed: Revealed{Attendees: false, Display: true},
		New:      func(spec *ActivitySpec) (Body, *Error) { return newPoll(spec) },
		Empty:    func() Body { return &Poll{} },
		Ops:      map[string]Op{"vote": {Role: Attendee, Fn: vote}},
	})
}

func vote(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	p := a.Body.(*Poll)
	if err := needOpen(a); err != nil {
		return Result{}, nil, err
	}
	ch := e.Cmd.Choices
	if len(ch) == 0 {
		return Result{}, nil, errorf(CodeInvalidChoice, "Choose at least one option.")
	}
	if len(ch) > p.MaxChoices {
		return Result{}, nil, errorf(CodeInvalidChoice, "Too many choices: at most "+strconv.Itoa(p.MaxChoices)+".")
	}
	for i, c := range ch {
		if c < 0 || c >= len(p.Options) {
			return Result{}, nil, errorf(CodeInvalidChoice, "There is no option "+strconv.Itoa(c)+".")
		}
		for _, d := range ch[:i] {
			if d == c {
				return Result{}, nil, errorf(CodeInvalidChoice, "An option is chosen twice.")
			}
		}
	}
	if dry {
		return Result{}, nil, nil
	}
	for _, c := range p.Votes[e.Actor] {
		p.Counts[c]--
	}
	p.Votes[e.Actor] = append([]int(nil), ch...)
	for _, c := range ch {
		p.Counts[c]++
	}
	return Result{}, []string{e.Actor}, nil
}

type optionView struct {
	Label  string            `json:"label"`
	Labels map[string]string `json:"labels,omitempty"`
	Votes  *int              `json:"votes,omitempty"`
}

type pollView struct {
	baseView
	Multi      bool         `json:"multi"`
	MaxChoices int          `json:"maxChoices"`
	Options    []optionView `json:"options"`
	Voters     *int         `json:"voters,omitempty"`
	segmentFields
}

// pollCounts are a poll's counts for one constituency.
type pollCounts struct {
	Options []optionView `json:"options"`
	Voters  int          `json:"voters"`
}

// segmentCounts counts the votes of one constituency's voters, the
// options labelled in lang.
func (p *Poll) segmentCounts(a *Activity, lang string) func([][]int) any {
	return func(votes [][]int) any {
		c := pollCounts{Options: make([]optionView, len(p.Options)), Voters: len(votes)}
		n := make([]int, len(p.Options))
		for _, ch := range votes {
			for _, i := range ch {
				n[i]++
			}
		}
		for i, o := range p.Options {
			c.Options[i] = optionView{Label: a.text(o, lang), Votes: &n[i]}
		}
		return c
	}
}

// View implements Body.
func (p *Poll) View(a *Activity, role Role, lang string) any { return p.view(a, role, lang) }

// responses counts voters.
func (p *Poll) responses() int { return len(p.Votes) }

// Export implements Body: every count, as the facilitator sees it, and
// every constituency's however small.
func (p *Poll) Export(a *Activity) any {
	v := p.view(a, Facilitator, "")
	v.segmentFields = segmentsOf(a, forExport, p.Votes, p.segmentCounts(a, ""))
	return v
}

// You implements Body.
func (p *Poll) You(a *Activity, participant string) map[string]any {
	return map[string]any{"choices": nonNil(p.Votes[participant])}
}

// CSV implements Body: one row per option, then, segmented, one per
// option and constituency.
func (p *Poll) CSV(a *Activity) []CSVRow {
	rows := make([]CSVRow, len(p.Options))
	voters := strconv.Itoa(len(p.Votes))
	for i, o := range p.Options {
		rows[i] = CSVRow{Item: a.text(o, ""), ItemTexts: o, Count: strconv.Itoa(p.Counts[i]), Status: a.State, Voters: voters}
	}
	for _, sg := range segmentsOf(a, forExport, p.Votes, p.segmentCounts(a, "")).Segments {
		c := sg.Counts.(pollCounts)
		for i, o := range c.Options {
			rows = append(rows, CSVRow{Item: o.Label, ItemTexts: p.Options[i], Count: strconv.Itoa(*o.Votes), Status: a.State,
				Voters: strconv.Itoa(c.Voters), Constituency: segmentName(sg.Constituency)})
		}
	}
	return rows
}

func (p *Poll) view(a *Activity, role Role, lang string) pollView {
	v := pollView{baseView: a.base(role, lang), Multi: p.Multi, MaxChoices: p.MaxChoices, Options: make([]optionView, len(p.Options))}
	show := a.revealedTo(role)
	for i, o := range p.Options {
		v.Options[i].Label, v.Options[i].Labels = a.texts(o, role, lang)
		if show {
			n := p.Counts[i]
			v.Options[i].Votes = &n
		}
	}
	if show {
		n := len(p.Votes)
		v.Voters = &n
	}
	v.segmentFields = segmentsIn(a, role, lang, p.Votes, p.segmentCounts(a, lang))
	return v
}
