package session

import "strconv"

// OpUpdate is the facilitator's op that changes the session's own
// settings (PROTOCOL.md 1.2): its title, languages, constituencies and
// whether attendees may react.
const OpUpdate = "session.update"

// Bounds of the session's settings.
const (
	maxLanguages      = 10
	maxConstituencies = 30
	// OtherConstituency is what an attendee whose constituency is not in
	// the session's list answers at join.
	OtherConstituency = "other"
)

// CheckLanguages returns the tags in their canonical form, or an error for
// one that is not a BCP 47 tag, a duplicate, or too many.
func CheckLanguages(tags []string) ([]string, *Error) {
	if len(tags) > maxLanguages {
		return nil, errorf(CodeBadRequest, "A session has at most "+strconv.Itoa(maxLanguages)+" languages.")
	}
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		c := canonLang(t)
		if c == "" {
			return nil, errorf(CodeBadRequest, "\""+t+"\" is not a language tag (such as en, fr or pt-BR).")
		}
		if seen[c] {
			return nil, errorf(CodeBadRequest, "The language "+c+" is listed twice.")
		}
		seen[c] = true
		out = append(out, c)
	}
	return out, nil
}

// update applies session.update: only the fields the command carries
// change, and nothing does if any of them is refused.
func (s *State) update(c *Command, dry bool) (Result, Change, *Error) {
	if c.Title == "" && c.Titles == nil && c.Languages == nil && c.Constituencies == nil && !c.NoConstituencies && c.Reactions == nil {
		return Result{}, Change{}, errorf(CodeBadRequest, "session.update needs \"title\", \"languages\", \"constituencies\" or \"reactions\".")
	}
	title := s.Title
	if c.Title != "" {
		t, err := cleanText(c.Title, 200, false)
		if err != nil {
			return Result{}, Change{}, err
		}
		title = t
	}
	titles := s.Titles
	if c.Title != "" {
		titles = nil
	}
	langs := s.Languages
	consIDs, consTexts := s.Constituencies, s.ConstituencyTexts
	if c.Languages != nil {
		l, err := CheckLanguages(c.Languages)
		if err != nil {
			return Result{}, Change{}, err
		}
		if len(l) == 0 {
			return Result{}, Change{}, errorf(CodeBadRequest, "A session keeps at least one language.")
		}
		langs = l
	}
	if c.Titles != nil {
		t, err := cleanTextIn(c.Titles, 200, false, langs)
		if err != nil {
			return Result{}, Change{}, err
		}
		titles = t
	}
	if titles.Translated() {
		title = titles.In("", first(langs))
	}
	if c.Constituencies != nil || c.NoConstituencies {
		// An empty list clears it: joins then take any text, or none.
		n, err := CheckConstituencies(c.Constituencies, langs)
		if err != nil {
			return Result{}, Change{}, err
		}
		consIDs, consTexts = splitConstituencies(n, langs)
	}
	if !dry {
		s.Title, s.Titles, s.Languages = title, titles, langs
		s.setConstituencies(consIDs, consTexts)
		if c.Reactions != nil {
			s.Reactions = *c.Reactions
		}
	}
	return Result{}, Change{Header: true}, nil
}
