package session

import (
	"strconv"
	"strings"
)

// A constituency's name is a Text like any other (PROTOCOL.md 1.2, "multilingual like any
// text"). Its identity, what a participant's join, a hand and the export store, is its name
// in the session's default language when the list was set: State.Constituencies holds the
// identities, State.ConstituencyTexts the names per language beside them. A name in any of
// the session's languages (compared case-blind) is read as that identity, so that a French
// phone may answer "Collectivités locales" and be counted with "Local governments".

// CheckConstituencies returns the names cleaned, or an error for an empty or overlong
// name, a translation in a language the session lacks (langs), an empty translation, a
// name two constituencies share in any language (compared case-blind), a translated name
// lacking the default language (langs' first), too many, or one named like the "other" answer. splitConstituencies gives their identities.
func CheckConstituencies(names []Text, langs []string) ([]Text, *Error) {
	if len(names) > maxConstituencies {
		return nil, errorf(CodeBadRequest, "A session has at most "+strconv.Itoa(maxConstituencies)+" constituencies.")
	}
	out := make([]Text, 0, len(names))
	owner := map[string]int{} // folded name in any language → the constituency's index
	for i, n := range names {
		t, err := cleanTextIn(n, 80, false, langs)
		if err != nil {
			return nil, errorf(CodeBadRequest, "Constituency "+strconv.Itoa(i+1)+": "+constituencyMessage(err))
		}
		// An activity's text lacking the default still shows (In falls back to another
		// translation), but a constituency's identity is its default-language name: taking
		// another language's in its place would store a French name as the English one.
		if def := first(langs); t.Translated() && def != "" {
			if _, ok := t[def]; !ok {
				return nil, errorf(CodeBadRequest, "Constituency "+strconv.Itoa(i+1)+" has no name in "+def+", the session's default language.")
			}
		}
		for _, name := range t {
			key := foldKey(name)
			if key == OtherConstituency {
				return nil, errorf(CodeBadRequest, "\"Other\" is always offered; it is not a constituency of the list.")
			}
			if j, ok := owner[key]; ok && j != i {
				return nil, errorf(CodeBadRequest, "The constituency \""+name+"\" is listed twice.")
			}
			owner[key] = i
		}
		out = append(out, t)
	}
	return out, nil
}

// constituencyMessage is a text error as it reads about a constituency's name.
func constituencyMessage(err *Error) string {
	if err.Message == "The text is empty." || strings.HasPrefix(err.Message, "The text is too long") {
		return "a constituency's name must be 1 to 80 characters of text."
	}
	return err.Message
}

// splitConstituencies is a checked list's identities (each name in langs' first, the
// default, else as In gives it) and its names per language, nil when every name is a plain
// string: such a list reads and writes as it did before names had languages.
func splitConstituencies(names []Text, langs []string) (ids []string, texts []Text) {
	translated := false
	for _, t := range names {
		ids = append(ids, t.In("", first(langs)))
		translated = translated || t.Translated()
	}
	if translated {
		texts = names
	}
	return ids, texts
}

// setConstituencies sets the session's list: ids and texts as splitConstituencies gives them.
func (s *State) setConstituencies(ids []string, texts []Text) {
	if len(ids) == 0 {
		ids, texts = nil, nil
	}
	s.Constituencies, s.ConstituencyTexts = ids, texts
	s.indexConstituencies()
}

// consIndex finds a constituency by name: views translate every hand and segment of a
// session, so a name is looked up in a map, not folded against the whole list.
type consIndex struct {
	exact map[string]int // identity as stored → index
	fold  map[string]int // folded identity or name in any language → index
}

// indexConstituencies builds s.cons. It runs where the state is written (an update, a
// create, a restore), never from a view: views run concurrently under a read lock.
func (s *State) indexConstituencies() {
	if len(s.Constituencies) == 0 {
		s.cons = nil
		return
	}
	x := &consIndex{exact: map[string]int{}, fold: map[string]int{}}
	for i, id := range s.Constituencies {
		x.exact[id] = i
		x.fold[foldKey(id)] = i
	}
	for i := range s.ConstituencyTexts {
		for _, n := range s.ConstituencyTexts[i] {
			if _, ok := x.fold[foldKey(n)]; !ok {
				x.fold[foldKey(n)] = i
			}
		}
	}
	s.cons = x
}

// constituencyText is the i-th constituency's name per language.
func (s *State) constituencyText(i int) Text {
	if i < len(s.ConstituencyTexts) {
		return s.ConstituencyTexts[i]
	}
	return Plain(s.Constituencies[i])
}

// constituencyTexts is the whole list as texts, nil for none.
func (s *State) constituencyTexts() []Text {
	if len(s.Constituencies) == 0 {
		return nil
	}
	out := make([]Text, len(s.Constituencies))
	for i := range s.Constituencies {
		out[i] = s.constituencyText(i)
	}
	return out
}

// constituencyIndex says which of the list a name in any language is, -1 for none.
func (s *State) constituencyIndex(name string) int {
	if s == nil || name == "" || len(s.Constituencies) == 0 {
		return -1
	}
	if s.cons != nil {
		if i, ok := s.cons.exact[name]; ok {
			return i
		}
		if i, ok := s.cons.fold[foldKey(name)]; ok {
			return i
		}
		return -1
	}
	// A state made without Restore (a test's own): the slow way.
	k := foldKey(name)
	for i, id := range s.Constituencies {
		if foldKey(id) == k {
			return i
		}
	}
	for i := range s.ConstituencyTexts {
		for _, n := range s.ConstituencyTexts[i] {
			if foldKey(n) == k {
				return i
			}
		}
	}
	return -1
}

// ConstituencyID is the identity a name in any of the session's languages stands for, or
// the name itself when it is none of the list's ("other", or one given before the list
// changed).
func (s *State) ConstituencyID(name string) string {
	if i := s.constituencyIndex(name); i >= 0 {
		return s.Constituencies[i]
	}
	return name
}

// ConstituencyIn is a stored constituency as a connection in lang reads it: the list's name
// in that language, or the stored text as it is.
func (s *State) ConstituencyIn(id, lang string) string {
	if s == nil || len(s.ConstituencyTexts) == 0 || id == "" {
		return id
	}
	if i := s.constituencyIndex(id); i >= 0 {
		return s.constituencyText(i).In(lang, s.defaultLang())
	}
	return id
}

// constituencyNamesOf is a stored constituency's name per language for facilitators,
// displays and the export, nil when it has none.
func (s *State) constituencyNamesOf(id string) map[string]string {
	if s == nil || len(s.ConstituencyTexts) == 0 || id == "" {
		return nil
	}
	if i := s.constituencyIndex(id); i >= 0 {
		return s.constituencyText(i).Map()
	}
	return nil
}

// ConstituencyNames are the list's names per language, one per constituency (null for a
// plain one), or nil when none was given per language: what facilitators, displays, the
// join preview and the export carry beside "constituencies".
func (s *State) ConstituencyNames() []map[string]string {
	if len(s.ConstituencyTexts) == 0 {
		return nil
	}
	out := make([]map[string]string, len(s.Constituencies))
	for i := range s.Constituencies {
		out[i] = s.constituencyText(i).Map()
	}
	return out
}

// constituenciesIn is the list as a connection in lang reads it.
func (s *State) constituenciesIn(lang string) []string {
	if len(s.ConstituencyTexts) == 0 {
		return s.Constituencies
	}
	out := make([]string, len(s.Constituencies))
	for i := range s.Constituencies {
		out[i] = s.constituencyText(i).In(lang, s.defaultLang())
	}
	return out
}

// JoinConstituency is the constituency a join stores for what the
// attendee chose: "" for none ("prefer not to say"); with a session list,
// the identity of the one named (in any of the session's languages), or
// "other"; without one, the text as cleaned (joins before version 1.2
// took any). Anything else is bad_request.
func (s *State) JoinConstituency(chosen string) (string, *Error) {
	c, err := cleanText(chosen, 80, true)
	if err != nil {
		return "", errorf(CodeBadRequest, "A constituency must be up to 80 characters of text.")
	}
	if c == "" || len(s.Constituencies) == 0 {
		return c, nil
	}
	if foldKey(c) == OtherConstituency {
		return OtherConstituency, nil
	}
	if i := s.constituencyIndex(c); i >= 0 {
		return s.Constituencies[i], nil
	}
	return "", errorf(CodeBadRequest, "\""+c+"\" is not one of this session's constituencies; choose one of them, \"other\", or none.")
}

// sessionDefaulter is a Body that takes defaults from its session when it
// is made (activity.create, and whatever else makes a body from a spec):
// a queue without constituencies of its own takes the session's.
type sessionDefaulter interface {
	sessionDefaults(s *State)
}

// ownConstituencies is a Body with a list of constituencies of its own (a
// queue's), which may name them per language where the session does not.
type ownConstituencies interface {
	constituencyText(id string) Text
}

// constituencyText is a stored constituency's names per language, nil when
// it has none: the activity's own list's, else the session's.
func (a *Activity) constituencyText(id string) Text {
	if o, ok := a.Body.(ownConstituencies); ok {
		if t := o.constituencyText(id); t != nil {
			return t
		}
	}
	return a.s.constituencyNamesOf(id)
}

// constituencyOf is the constituency a participant joined with, "" for
// none or for an activity outside a session (a test's own).
func (a *Activity) constituencyOf(participant string) string {
	if a.s == nil {
		return ""
	}
	if p := a.s.Participants[participant]; p != nil {
		return p.Constituency
	}
	return ""
}
