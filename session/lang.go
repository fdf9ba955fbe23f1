package session

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// Text is a text a facilitator gave (a title, an option, a statement): one
// string, or a translation per language of the session (PROTOCOL.md 1.2,
// "Many languages"). A plain string is kept under the key "", so that a
// session without languages, and every log written before them, reads and
// writes exactly as before.
type Text map[string]string

// Plain is a Text of one string in no particular language.
func Plain(s string) Text { return Text{"": s} }

// UnmarshalJSON reads a string or a map of language tag to string.
func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = Plain(s)
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*t = m
	return nil
}

// MarshalJSON writes a plain text as a string, a translated one as a map.
func (t Text) MarshalJSON() ([]byte, error) {
	if s, ok := t[""]; ok && len(t) == 1 {
		return json.Marshal(s)
	}
	if t == nil {
		return []byte(`""`), nil
	}
	return json.Marshal(map[string]string(t))
}

// In is the text in lang, else in the default language def, else the
// plain text, else the first translation by tag: a language added
// mid-session shows the default until it is filled in.
func (t Text) In(lang, def string) string {
	if s, ok := t[lang]; ok && lang != "" {
		return s
	}
	// A phone in "fr" reads the session's "fr-CA", one in "fr-CA" its "fr".
	if base := baseLang(lang); base != "" {
		for _, k := range t.tags() {
			if baseLang(k) == base {
				return t[k]
			}
		}
	}
	if s, ok := t[def]; ok {
		return s
	}
	if s, ok := t[""]; ok {
		return s
	}
	if keys := t.tags(); len(keys) > 0 {
		return t[keys[0]]
	}
	return ""
}

// tags are the text's languages, sorted.
func (t Text) tags() []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// baseLang is "fr" of "fr-CA".
func baseLang(tag string) string {
	base, _, _ := strings.Cut(tag, "-")
	return strings.ToLower(base)
}

// canonLang is a tag in its canonical form, or "" if it is not one.
func canonLang(tag string) string {
	t, err := language.Parse(tag)
	if err != nil || tag == "" {
		return ""
	}
	return t.String()
}

// Translated says whether the text is given per language.
func (t Text) Translated() bool {
	_, plain := t[""]
	return len(t) > 0 && !plain
}

// Map is the text per language for facilitators, displays and the export,
// nil for a plain text (its string says it all).
func (t Text) Map() map[string]string {
	if !t.Translated() {
		return nil
	}
	return t
}

// cleanTextIn checks a facilitator's text like cleanText does a string, and
// each translation's language against the session's: a translation in a
// language the session does not have, or an empty one, is refused.
func cleanTextIn(t Text, max int, allowEmpty bool, langs []string) (Text, *Error) {
	if len(t) == 0 {
		if !allowEmpty {
			return nil, errorf(CodeBadRequest, "The text is empty.")
		}
		return Plain(""), nil
	}
	out := make(Text, len(t))
	for tag, s := range t {
		if c := canonLang(tag); c != "" {
			tag = c
		}
		if tag != "" && !hasLang(langs, tag) {
			if len(langs) == 0 {
				return nil, errorf(CodeBadRequest, "A text is given in \""+tag+"\", but the session has no languages: set them first.")
			}
			return nil, errorf(CodeBadRequest, "A text is given in \""+tag+"\", which is not one of the session's languages.")
		}
		c, err := cleanText(s, max, allowEmpty && tag == "")
		if err != nil {
			if tag != "" && c == "" && err.Message == "The text is empty." {
				return nil, errorf(CodeBadRequest, "The "+tag+" text is empty: leave the language out instead.")
			}
			return nil, err
		}
		out[tag] = c
	}
	return out, nil
}

func hasLang(langs []string, tag string) bool {
	for _, l := range langs {
		if l == tag {
			return true
		}
	}
	return false
}

// defaultLang is the session's default language, "" without languages.
func (s *State) defaultLang() string {
	if s == nil || len(s.Languages) == 0 {
		return ""
	}
	return s.Languages[0]
}

// langs are the session's languages, none for a test's own activity.
func (s *State) langs() []string {
	if s == nil {
		return nil
	}
	return s.Languages
}

// text is t as a connection in lang reads it.
func (a *Activity) text(t Text, lang string) string {
	return t.In(lang, a.s.defaultLang())
}

// CanonLang is a language tag in its canonical form, or "" if it is not one.
func CanonLang(tag string) string { return canonLang(tag) }

// Lang is the session's language a connection asking for want reads: the
// same, else one of the same base language, else the default; "" in a
// session without languages. Views are made once per language this gives,
// so that a hall in three languages costs three encodings, whatever its
// phones ask for.
func (s *State) Lang(want string) string { return PickLang(s.Languages, want) }

// PickLang is State.Lang over a list of languages taken earlier: the hub
// reads connections' languages after it has let go of the state's lock,
// and a session.update replaces the list rather than changing it.
func PickLang(langs []string, want string) string {
	if len(langs) == 0 {
		return ""
	}
	for _, l := range langs {
		if l == want {
			return l
		}
	}
	if base := baseLang(want); base != "" {
		for _, l := range langs {
			if baseLang(l) == base {
				return l
			}
		}
	}
	return langs[0]
}

// first is the default language of a list of them, "" for none.
func first(langs []string) string {
	if len(langs) == 0 {
		return ""
	}
	return langs[0]
}
