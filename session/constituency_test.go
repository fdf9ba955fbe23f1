package session

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// plainTexts are names in no particular language, as lists were before 1.2.
func plainTexts(names ...string) []Text {
	out := make([]Text, len(names))
	for i, n := range names {
		out[i] = Plain(n)
	}
	return out
}

// joinTexts is a list of plain texts as one string.
func joinTexts(list []Text) string {
	var s []string
	for _, t := range list {
		s = append(s, t.In("", ""))
	}
	return strings.Join(s, " ")
}

// scCons is a session in English, French and Spanish whose constituencies
// are named per language: the second lacks Spanish, the third is plain.
func scCons(t *testing.T) *scScript {
	t.Helper()
	r := scNew(t)
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr", "es"}, Constituencies: []Text{
		{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"},
		{"en": "Civil society", "fr": "Société civile"},
		Plain("UN agencies"),
	}})
	return r
}

func (r *scScript) sessionIn(role Role, lang string) map[string]any {
	r.t.Helper()
	return scDecode(r.t, r.s.ViewIn(role, lang))
}

// TestConstituencyNamesPerLanguage: each connection reads the list in its
// language (the default where a name lacks it), facilitators and displays
// get the names per language beside it, attendees do not.
func TestConstituencyNamesPerLanguage(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	scEqual(t, "identities", r.s.Constituencies, []string{"Local governments", "Civil society", "UN agencies"})
	scEqual(t, "fr", r.sessionIn(Attendee, "fr")["constituencies"], any([]any{"Collectivités locales", "Société civile", "UN agencies"}))
	scEqual(t, "es", r.sessionIn(Attendee, "es")["constituencies"], any([]any{"Gobiernos locales", "Civil society", "UN agencies"}))
	if _, ok := r.sessionIn(Attendee, "fr")["constituencyNames"]; ok {
		t.Fatal("attendees get the names per language")
	}
	for _, role := range []Role{Facilitator, Display} {
		names := r.sessionIn(role, "es")["constituencyNames"]
		scEqual(t, string(role)+" names", names, any([]any{
			map[string]any{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"},
			map[string]any{"en": "Civil society", "fr": "Société civile"},
			nil,
		}))
	}
	// A plain list is as before: no names per language anywhere.
	p := scNew(t)
	p.host(Command{Op: OpUpdate, Constituencies: plainTexts("North", "South")})
	if _, ok := p.session(Facilitator)["constituencyNames"]; ok || p.s.ConstituencyTexts != nil {
		t.Fatalf("a plain list has names per language: %v", p.session(Facilitator))
	}
}

// TestJoinTakesAnyLanguage: a join names its constituency in any of the
// session's languages, case-blind, and stores the identity.
func TestJoinTakesAnyLanguage(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	for _, c := range []struct{ chosen, stored string }{
		{"collectivités LOCALES", "Local governments"},
		{"Gobiernos locales", "Local governments"},
		{"Société civile", "Civil society"},
		{"un agencies", "UN agencies"},
		{"Autre", ""}, // not a name: refused below
	} {
		got, err := r.s.JoinConstituency(c.chosen)
		if c.stored == "" {
			if err == nil || err.Code != CodeBadRequest {
				t.Fatalf("%q: got %q, %v", c.chosen, got, err)
			}
			continue
		}
		if err != nil || got != c.stored {
			t.Fatalf("%q: got %q, %v; want %q", c.chosen, got, err, c.stored)
		}
	}
	r.apply("", Command{Op: OpJoin, Name: "Zoé", Constituency: "société CIVILE"})
	if p := r.s.Participants["p"+fmt.Sprint(r.off)]; p == nil || p.Constituency != "Civil society" {
		t.Fatalf("stored %+v", p)
	}
}

// TestConstituencyNamesRefused: a bad list is bad_request and changes nothing.
func TestConstituencyNamesRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		what  string
		langs []string
		list  []Text
		says  string
	}{
		{"unknown language", []string{"en", "fr"}, []Text{{"en": "Cities", "de": "Städte"}}, "de"},
		{"empty translation", []string{"en", "fr"}, []Text{{"en": "Cities", "fr": "  "}}, "empty"},
		{"map without languages", nil, []Text{{"en": "Cities"}}, "no languages"},
		{"a name shared", []string{"en", "fr"}, []Text{{"en": "Cities", "fr": "Villes"}, {"en": "Towns", "fr": "villes"}}, "twice"},
		{"named other in French", []string{"en", "fr"}, []Text{{"en": "Others", "fr": "Other"}}, "Other"},
		{"too long", []string{"en", "fr"}, []Text{{"en": "Cities", "fr": strings.Repeat("é", 81)}}, "80"},
		{"empty map", []string{"en", "fr"}, []Text{{}}, "1 to 80"},
		{"no default-language name", []string{"en", "fr"}, []Text{{"en": "Cities", "fr": "Villes"}, {"fr": "Élus"}}, "Constituency 2 has no name in en"},
		{"plain duplicate", nil, plainTexts("Cities", "CITIES"), "twice"},
	} {
		t.Run(c.what, func(t *testing.T) {
			t.Parallel()
			r := scNew(t)
			if c.langs != nil {
				r.host(Command{Op: OpUpdate, Languages: c.langs})
			}
			r.host(Command{Op: OpUpdate, Constituencies: plainTexts("Before")})
			r.refused(Host, Command{Op: OpUpdate, Constituencies: c.list}, CodeBadRequest)
			out := r.apply(Host, Command{Op: OpUpdate, Constituencies: c.list})
			if !strings.Contains(out.Result.Err.Message, c.says) {
				t.Fatalf("message %q does not say %q", out.Result.Err.Message, c.says)
			}
			if _, err := CheckConstituencies(c.list, c.langs); err == nil {
				t.Fatal("CheckConstituencies took it")
			}
			scEqual(t, "list", r.s.Constituencies, []string{"Before"})
		})
	}
}

// TestSegmentsAndQueuesInLanguages: segments and a queue's hands are named
// in the connection's language, with the names per language beside a
// segment's; the export keeps the identities.
func TestSegmentsAndQueuesInLanguages(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	for i, c := range []string{"Collectivités locales", "Gobiernos locales", "local governments", "Société civile", "Other"} {
		name := fmt.Sprintf("a%d", i)
		r.apply("", Command{Op: OpJoin, Name: name, Constituency: c})
		r.who[name] = fmt.Sprintf("p%d", r.off)
		r.names = append(r.names, name)
	}
	poll := r.show(segmented(ActivitySpec{Kind: KindPoll, Title: "First?", Options: []string{"Housing", "Transport"}}, `{"segment": true, "minSegment": 1}`))
	r.host(Command{Op: "activity.open"})
	for _, n := range r.names {
		r.by(n, Command{Op: "vote", Choices: []int{0}})
	}
	segs := func(x any) (names []string, maps []any) {
		for _, s := range scDecode(t, x)["segments"].([]any) {
			m := s.(map[string]any)
			names = append(names, m["constituency"].(string))
			maps = append(maps, m["constituencyNames"])
		}
		return names, maps
	}
	a := r.s.Activity(poll)
	names, maps := segs(a.ViewIn(Facilitator, "fr"))
	scEqual(t, "fr segments", names, []string{"Collectivités locales", "Société civile", "other"})
	scEqual(t, "fr segment names", maps[0], any(map[string]any{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"}))
	if maps[2] != nil {
		t.Fatalf("\"other\" has names: %v", maps[2])
	}
	if v := scDecode(t, a.ViewIn(Display, "es"))["segments"].([]any)[0].(map[string]any); v["constituency"] != "Gobiernos locales" || v["responses"] != float64(3) {
		t.Fatalf("es display segment %v", v)
	}
	names, maps = segs(a.Export())
	scEqual(t, "export segments", names, []string{"Local governments", "Civil society", "UN agencies", "other"})
	if maps[1] == nil || maps[2] != nil {
		t.Fatalf("export names %v", maps)
	}

	q := r.show(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	r.host(Command{Op: "activity.open"})
	r.by(r.names[0], Command{Op: "hand.raise", Name: "Zoé", Constituency: "Société civile"})
	r.host(Command{Op: "queue.add", Name: "Luis", Constituency: "gobiernos locales"})
	scEqual(t, "en queue", r.waitingGroups(q, Facilitator, "en"), []string{"Civil society", "Local governments"})
	scEqual(t, "fr queue", r.waitingGroups(q, Facilitator, "fr"), []string{"Société civile", "Collectivités locales"})
	scEqual(t, "fr queue list", scDecode(t, r.s.Activity(q).ViewIn(Attendee, "fr"))["constituencies"], any([]any{"Collectivités locales", "Société civile", "UN agencies"}))
	r.refused(r.names[1], Command{Op: "hand.raise", Name: "Ben", Constituency: "Sociedad civil"}, CodeBadRequest)
	r.host(Command{Op: "queue.next"})
	r.host(Command{Op: "queue.next"})
	x := scDecode(t, r.s.Activity(q).Export())
	if sp := x["speakers"].([]any)[0].(map[string]any); sp["constituency"] != "Civil society" {
		t.Fatalf("export speaker %v", sp)
	}
	if st := scDecode(t, r.s.Activity(q).ViewIn(Display, "fr"))["stats"].([]any)[1].(map[string]any); st["constituency"] != "Société civile" || st["turns"] != float64(1) {
		t.Fatalf("fr stats %v", st)
	}
}

// TestConstituencyListCleared: "constituencies": [] on the wire clears the
// list, and the log reads it back so; joins then take any text again.
func TestConstituencyListCleared(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	c, err := ParseCommand([]byte(`{"type": "cmd", "id": "c1", "op": "session.update", "constituencies": []}`))
	if err != nil || !c.NoConstituencies || c.Constituencies != nil {
		t.Fatalf("parsed %+v, %v", c, err)
	}
	// As the log stores it and reads it back.
	raw, _ := json.Marshal(c)
	var back Command
	if err := json.Unmarshal(raw, &back); err != nil || !back.NoConstituencies {
		t.Fatalf("read back %s as %+v, %v", raw, back, err)
	}
	r.host(back)
	if r.s.Constituencies != nil || r.s.ConstituencyTexts != nil {
		t.Fatalf("not cleared: %v %v", r.s.Constituencies, r.s.ConstituencyTexts)
	}
	if _, ok := r.session(Facilitator)["constituencies"]; ok {
		t.Fatal("the view still lists constituencies")
	}
	if got, err := r.s.JoinConstituency("Anything"); err != nil || got != "Anything" {
		t.Fatalf("join after clearing: %q %v", got, err)
	}
	// A client's own noConstituencies is not a clear.
	c, err = ParseCommand([]byte(`{"type": "cmd", "id": "c2", "op": "session.update", "title": "T", "noConstituencies": true}`))
	if err != nil || c.NoConstituencies {
		t.Fatalf("parsed %+v, %v", c, err)
	}
}

// TestConstituencyNamesReadBack: old logs and snapshots, where names were
// strings, read back; a snapshot of names per language restores them.
func TestConstituencyNamesReadBack(t *testing.T) {
	t.Parallel()
	var c Command
	if err := json.Unmarshal([]byte(`{"op": "session.update", "constituencies": ["North", "South"]}`), &c); err != nil {
		t.Fatal(err)
	}
	scEqual(t, "old command", c.Constituencies, plainTexts("North", "South"))
	var old State
	if err := json.Unmarshal([]byte(`{"id": "s1", "constituencies": ["North", "South"], "participants": {"p2": {"constituency": "North"}}}`), &old); err != nil {
		t.Fatal(err)
	}
	old.Restore()
	if got, err := old.JoinConstituency("south"); err != nil || got != "South" {
		t.Fatalf("old snapshot join: %q %v", got, err)
	}
	scEqual(t, "old snapshot view", old.ViewIn(Attendee, "fr").Constituencies, []string{"North", "South"})

	r := scCons(t)
	snap, _ := r.snapshot()
	scEqual(t, "snapshot view", snap.ViewIn(Facilitator, "fr"), r.s.ViewIn(Facilitator, "fr"))
	if got, _ := snap.JoinConstituency("gobiernos locales"); got != "Local governments" {
		t.Fatalf("snapshot join %q", got)
	}
	// The whole log folds again to the same state.
	scEqual(t, "folded again", r.replayed().ViewIn(Display, "es"), r.s.ViewIn(Display, "es"))
}

// TestPlanKeepsConstituencyNames: a plan carries the names per language,
// and a session made from it has them.
func TestPlanKeepsConstituencyNames(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	p := r.s.Plan()
	evs, _, err := PlanEvents(Command{Op: OpCreate, Titles: p.Title, Languages: p.Languages, Constituencies: p.Constituencies, Rules: CurrentRules}, &p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	next := &State{}
	for i, e := range evs {
		e.Offset = uint64(i + 1)
		next.Apply(e)
	}
	scEqual(t, "names", next.ConstituencyNames(), r.s.ConstituencyNames())
	scEqual(t, "ids", next.Constituencies, r.s.Constituencies)
}

// TestQueueOwnListInAnotherLanguage: a queue whose own list spells the
// session's constituencies in French (written in a French console) takes
// a hand named in any language, stored as the queue spells it, and names
// it in each connection's language.
func TestQueueOwnListInAnotherLanguage(t *testing.T) {
	t.Parallel()
	r := scCons(t)
	r.join("Ana", "Ben")
	q := r.show(ActivitySpec{Kind: KindQueue, Title: "Floor", Constituencies: []string{"Collectivités locales", "Société civile"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: "civil society"})
	r.host(Command{Op: "queue.add", Name: "Luis", Constituency: "Gobiernos locales"})
	scEqual(t, "stored", r.storedGroups(q), []string{"Société civile", "Collectivités locales"})
	scEqual(t, "es", r.waitingGroups(q, Facilitator, "es"), []string{"Civil society", "Gobiernos locales"})
	// A constituency of the session's the queue does not list.
	r.refused("Ben", Command{Op: "hand.raise", Name: "Ben", Constituency: "un agencies"}, CodeBadRequest)
}

// TestQueueOwnListTranslated: a queue's own list, given per language in a
// session without a list of its own, reads in each connection's language,
// takes a hand named in any of them (stored as the default's name), gives
// facilitators and displays the names per language, and fills the CSV's
// constituency columns.
func TestQueueOwnListTranslated(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	spec := scSpec(t, `{"kind": "queue", "title": "Floor", "constituencies": [
		{"en": "Mayors", "fr": "Maires", "es": "Alcaldes"}, {"en": "Academia", "fr": "Universités"}, "Youth"]}`)
	q := r.show(spec)
	r.host(Command{Op: "activity.open"})
	list := func(role Role, lang string) any {
		return scDecode(t, r.s.Activity(q).ViewIn(role, lang))["constituencies"]
	}
	scEqual(t, "fr phone", list(Attendee, "fr"), any([]any{"Maires", "Universités", "Youth"}))
	scEqual(t, "es phone", list(Attendee, "es"), any([]any{"Alcaldes", "Academia", "Youth"}))
	if v := scDecode(t, r.s.Activity(q).ViewIn(Attendee, "fr")); v["constituencyNames"] != nil {
		t.Fatalf("a phone is sent every translation: %v", v["constituencyNames"])
	}
	for _, role := range []Role{Facilitator, Display} {
		names := scDecode(t, r.s.Activity(q).ViewIn(role, "en"))["constituencyNames"].([]any)
		scEqual(t, string(role)+" names", names[1], any(map[string]any{"en": "Academia", "fr": "Universités"}))
		if names[2] != nil {
			t.Fatalf("%s: a plain name has translations: %v", role, names[2])
		}
	}

	r.by("Bruno", Command{Op: "hand.raise", Name: "Bruno", Constituency: "Maires"})
	r.host(Command{Op: "queue.add", Name: "Luis", Constituency: "universités"})
	scEqual(t, "stored", r.storedGroups(q), []string{"Mayors", "Academia"})
	scEqual(t, "fr console", r.waitingGroups(q, Facilitator, "fr"), []string{"Maires", "Universités"})
	r.refused("Carmen", Command{Op: "hand.raise", Name: "Carmen", Constituency: "Bürgermeister"}, CodeBadRequest)

	// The CSV: the identity, then the name in French and in Spanish.
	r.host(Command{Op: "queue.next"})
	found := false
	for _, row := range r.s.Activity(q).CSV() {
		if row[3] == "Bruno" {
			scEqual(t, "csv", []string{row[8], row[len(CSVHeader)+2], row[len(CSVHeader)+5]}, []string{"Mayors", "Maires", "Alcaldes"})
			found = true
		}
	}
	if !found {
		t.Fatal("no CSV row for Bruno's turn")
	}

	// A snapshot and the log, each through JSON, read back the translations.
	snap, _ := r.snapshot()
	for name, s := range map[string]*State{"snapshot": snap, "log": r.replayed()} {
		scEqual(t, name+" es phone", scDecode(t, s.Activity(q).ViewIn(Attendee, "es")), scDecode(t, r.s.Activity(q).ViewIn(Attendee, "es")))
		scEqual(t, name+" fr console", scDecode(t, s.Activity(q).ViewIn(Facilitator, "fr")), scDecode(t, r.s.Activity(q).ViewIn(Facilitator, "fr")))
	}
}

// TestQueueOwnListTranslatedRefused: a name lacking the default language,
// in a language the session lacks, or shared by two constituencies in any
// language is refused, and nothing is created.
func TestQueueOwnListTranslatedRefused(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	for _, list := range []string{
		`[{"fr": "Maires"}]`,
		`[{"en": "Mayors", "de": "Bürgermeister"}]`,
		`[{"en": "Mayors", "fr": "Maires"}, "maires"]`,
		`[{"en": "Mayors", "fr": ""}]`,
	} {
		spec := scSpec(t, `{"kind": "queue", "title": "Floor", "constituencies": `+list+`}`)
		r.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
	}
}

// storedGroups are the constituencies the queue stored for its waiting hands.
func (r *scScript) storedGroups(queue string) []string {
	var out []string
	for _, h := range r.s.Activity(queue).Body.(*Queue).Waiting {
		out = append(out, h.Constituency)
	}
	return out
}

// waitingGroups are the waiting hands' constituencies as role reads them in lang.
func (r *scScript) waitingGroups(queue string, role Role, lang string) []string {
	var out []string
	for _, h := range scDecode(r.t, r.s.Activity(queue).ViewIn(role, lang))["waiting"].([]any) {
		out = append(out, h.(map[string]any)["constituency"].(string))
	}
	return out
}
