package session

import (
	"reflect"
	"testing"
)

// wire parses a command as the hub does, so that the test goes through
// the wire's texts and maps.
func wire(t *testing.T, msg string) Command {
	t.Helper()
	c, err := ParseCommand([]byte(msg))
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	return c
}

func trilingual(t *testing.T) *scScript {
	r := scNew(t)
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr", "es"}})
	r.join("Ana", "Bruno", "Carmen")
	return r
}

// A French, a Spanish and an English phone each read the poll in their
// language, and their votes add up on one bar.
func TestPollInThreeLanguages(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	c := wire(t, `{"op":"activity.create","activity":{"kind":"poll","title":{"en":"Which first?","fr":"Quoi d'abord ?","es":"¿Qué primero?"},
		"options":[{"en":"Housing","fr":"Logement","es":"Vivienda"},{"en":"Transport","fr":"Transports"}]}}`)
	r.act = r.host(c).Result.Activity
	r.host(Command{Op: "activity.present", Activity: r.act})
	r.host(Command{Op: "activity.open"})
	r.host(Command{Op: "activity.reveal", Attendees: ptr(true)})
	r.by("Ana", Command{Op: "vote", Choices: []int{0}})
	r.by("Bruno", Command{Op: "vote", Choices: []int{0}})
	r.by("Carmen", Command{Op: "vote", Choices: []int{0}})

	for lang, want := range map[string][2]string{
		"fr": {"Quoi d'abord ?", "Logement"}, "es": {"¿Qué primero?", "Vivienda"}, "en": {"Which first?", "Housing"},
		"fr-CA": {"Quoi d'abord ?", "Logement"}, "de": {"Which first?", "Housing"}, "": {"Which first?", "Housing"},
	} {
		v := scDecode(t, r.s.Activity(r.act).ViewIn(Attendee, lang))
		opt := v["options"].([]any)[0].(map[string]any)
		if v["title"] != want[0] || opt["label"] != want[1] || opt["votes"] != 3.0 {
			t.Errorf("%q phone reads %v / %v", lang, v["title"], opt)
		}
		if _, ok := opt["labels"]; ok {
			t.Errorf("%q phone is sent every translation: %v", lang, opt)
		}
	}
	// A translation missing in Spanish shows the default.
	es := scDecode(t, r.s.Activity(r.act).ViewIn(Attendee, "es"))
	if l := es["options"].([]any)[1].(map[string]any)["label"]; l != "Transport" {
		t.Errorf("missing Spanish reads %v", l)
	}
	// Facilitators and displays get every translation beside the text.
	for _, role := range []Role{Facilitator, Display} {
		v := scDecode(t, r.s.Activity(r.act).ViewIn(role, "fr"))
		opt := v["options"].([]any)[0].(map[string]any)
		if opt["label"] != "Logement" || !reflect.DeepEqual(opt["labels"], map[string]any{"en": "Housing", "fr": "Logement", "es": "Vivienda"}) ||
			v["titles"].(map[string]any)["es"] != "¿Qué primero?" {
			t.Errorf("%s in fr: %v", role, v)
		}
	}
	// The CSV reads the default language, and each other language in
	// columns of its own, empty where a text was not given in it.
	scEqual(t, "csv header", CSVHeaderFor(r.s.Languages)[len(CSVHeader):],
		[]string{"title_fr", "item_fr", "constituency_fr", "title_es", "item_es", "constituency_es"})
	rows := r.s.Activity(r.act).CSV()
	if rows[0][2] != "Which first?" || rows[0][3] != "Housing" || rows[0][4] != "3" {
		t.Errorf("csv: %q", rows)
	}
	scEqual(t, "csv row 1, other languages", rows[0][len(CSVHeader):], []string{"Quoi d'abord ?", "Logement", "", "¿Qué primero?", "Vivienda", ""})
	scEqual(t, "csv row 2, other languages", rows[1][len(CSVHeader):], []string{"Quoi d'abord ?", "Transports", "", "¿Qué primero?", "", ""})
	// A language added mid-session reads the default until filled in.
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr", "es", "de"}})
	if v := scDecode(t, r.s.Activity(r.act).ViewIn(Attendee, "de")); v["title"] != "Which first?" {
		t.Errorf("de before it is filled in: %v", v["title"])
	}
}

// Texts in a language the session lacks, empty translations and maps in a
// session without languages are refused, and change nothing.
func TestTranslatedTextsRefused(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	for _, msg := range []string{
		`{"op":"activity.create","activity":{"kind":"poll","title":"Q","options":[{"en":"Yes","de":"Ja"},"No"]}}`,
		`{"op":"activity.create","activity":{"kind":"poll","title":"Q","options":[{"en":"Yes","fr":""},"No"]}}`,
		`{"op":"activity.create","activity":{"kind":"poll","title":{"en":"Q","xx-!!":"?"},"options":["Yes","No"]}}`,
		`{"op":"activity.create","activity":{"kind":"poll","title":"Q","options":[{}, "No"]}}`,
		`{"op":"session.update","title":{"en":"T","pt":"T"}}`,
	} {
		r.refused(Host, wire(t, msg), CodeBadRequest)
	}
	plain := scNew(t)
	plain.refused(Host, wire(t, `{"op":"activity.create","activity":{"kind":"poll","title":"Q","options":[{"en":"Yes"},"No"]}}`), CodeBadRequest)

	// A translated session title.
	r.host(wire(t, `{"op":"session.update","title":{"en":"Town hall","fr":"Assemblée","es":"Asamblea"}}`))
	if v := r.s.ViewIn(Attendee, "es"); v.Title != "Asamblea" || v.Titles != nil {
		t.Errorf("es session: %+v", v)
	}
	if v := r.s.ViewIn(Display, "fr"); v.Title != "Assemblée" || v.Titles["en"] != "Town hall" {
		t.Errorf("display session: %+v", v)
	}
	if r.s.Title != "Town hall" {
		t.Errorf("default title %q", r.s.Title)
	}
}

// Housing, Logement and Vivienda count as one word once merged, and
// apart again once unmerged.
func TestWordMergeAcrossLanguages(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	r.join("Dana")
	r.show(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 3})
	r.host(Command{Op: "activity.open"})
	r.host(Command{Op: "activity.reveal", Attendees: ptr(true)})
	r.by("Ana", Command{Op: "word.submit", Text: "Housing"})
	r.by("Bruno", Command{Op: "word.submit", Text: "Logement"})
	r.by("Carmen", Command{Op: "word.submit", Text: "Vivienda"})
	r.by("Dana", Command{Op: "word.submit", Text: "housing"})
	r.by("Dana", Command{Op: "word.submit", Text: "Water"})
	merge := func(body string) Command {
		return wire(t, `{"op":"word.merge","activity":"`+r.act+`",`+body+`}`)
	}
	for _, body := range []string{
		`"texts":["housing","logement","vivir"],"as":"Housing"`, // nobody sent vivir
		`"texts":["housing"],"as":"Housing"`,                    // one word
		`"texts":["housing","housing"],"as":"Housing"`,
		`"texts":["logement","vivienda"],"as":"Water"`, // the name of a word left out
		`"texts":["logement","vivienda"],"as":""`,
		`"as":"Housing"`,
	} {
		r.refused(Host, merge(body), CodeBadRequest)
	}
	r.refused("Ana", merge(`"texts":["housing","logement"],"as":"Housing"`), CodeForbidden)

	r.host(merge(`"texts":["housing","logement","vivienda"],"as":"Housing"`))
	words := func(role Role) []any { return scDecode(t, r.s.Activity(r.act).View(role))["words"].([]any) }
	att := words(Attendee)
	if len(att) != 2 || att[0].(map[string]any)["text"] != "Housing" || att[0].(map[string]any)["count"] != 4.0 {
		t.Fatalf("merged, attendees see %v", att)
	}
	if m := words(Facilitator)[0].(map[string]any)["merged"]; len(m.([]any)) != 3 {
		t.Errorf("facilitator sees merged %v", m)
	}
	r.refused(Host, merge(`"texts":["logement","water"],"as":"Eau"`), CodeBadRequest) // logement is merged
	r.refused(Host, merge(`"texts":["water","logement"],"as":"housing"`), CodeBadRequest)
	// A word sent after the merge is counted in it.
	r.join("Eve")
	r.by("Eve", Command{Op: "word.submit", Text: "LOGEMENT"})
	if w := words(Display)[0].(map[string]any); w["count"] != 5.0 {
		t.Errorf("after a later submission: %v", w)
	}
	// Hiding the merge by its name hides all of it.
	r.host(Command{Op: "word.hide", Text: "Housing"})
	if att := words(Attendee); len(att) != 1 || att[0].(map[string]any)["text"] != "Water" {
		t.Errorf("merge hidden, attendees see %v", att)
	}
	r.host(Command{Op: "word.unhide", Text: "Housing"})

	r.refused(Host, wire(t, `{"op":"word.unmerge","activity":"`+r.act+`","as":"Shelter"}`), CodeBadRequest)
	r.host(wire(t, `{"op":"word.unmerge","activity":"`+r.act+`","as":"housing"}`))
	if att := words(Attendee); len(att) != 4 {
		t.Errorf("unmerged, attendees see %v", att)
	}
}

func ptr[T any](v T) *T { return &v }
