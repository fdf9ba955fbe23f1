package session

import "strconv"

// Poll is a single or multiple choice question.
type Poll struct {
	Options    []string `json:"options"`
	Multi      bool     `json:"multi"`
	MaxChoices int      `json:"maxChoices"`
	Counts     []int    `json:"counts"`
	// Votes holds each participant's current choices.
	Votes map[string][]int `json:"votes"`
}

const maxOptions = 50

func newPoll(spec *ActivitySpec) (*Poll, *Error) {
	if len(spec.Options) < 2 || len(spec.Options) > maxOptions {
		return nil, errorf(CodeBadRequest, "A poll needs 2 to "+strconv.Itoa(maxOptions)+" options.")
	}
	p := &Poll{Multi: spec.Multi, MaxChoices: 1, Votes: map[string][]int{}}
	for _, o := range spec.Options {
		label, err := cleanText(o, 200, false)
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
	register("vote", Attendee, KindPoll, vote)
}

func vote(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
	p := a.Poll
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
