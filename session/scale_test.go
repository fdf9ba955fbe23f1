package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// scWire reads a command as the websocket would hand it over, so that an
// op's own fields travel in Args exactly as from a phone.
func scWire(t *testing.T, msg string) Command {
	t.Helper()
	c, err := ParseCommand([]byte(msg))
	if err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	return c
}

// rating is a rate command with the ratings written as JSON ("4, null, 2").
func rating(t *testing.T, ratings string) Command {
	t.Helper()
	return scWire(t, `{"type":"cmd","op":"rate","ratings":[`+ratings+`]}`)
}

// scaleSpecOf reads an activity.create spec as sent.
func scaleSpecOf(t *testing.T, spec string) ActivitySpec {
	t.Helper()
	c := scWire(t, `{"type":"cmd","op":"activity.create","activity":`+spec+`}`)
	return *c.Spec
}

const prioritiesSpec = `{"kind":"scale","title":"Rate these priorities","statements":["Housing","Transport","Green spaces"],
	"min":1,"max":5,"labels":{"min":"Not at all","max":"Absolutely"}}`

// statements decodes the statements of a view, keeping absent fields
// absent.
func statements(v map[string]any) []map[string]any {
	var out []map[string]any
	for _, s := range v["statements"].([]any) {
		out = append(out, s.(map[string]any))
	}
	return out
}

// A facilitator asks the room to rate three priorities from 1 to 5; the
// display shows the distribution at once, the phones once revealed; a
// phone that changes its mind replaces its ratings.
func TestScaleFacilitation(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben", "Cleo", "Dan")
	r.show(scaleSpecOf(t, prioritiesSpec))

	// Not open yet.
	r.refused("Ana", rating(t, "4, null, 2"), CodeActivityClosed)
	r.host(Command{Op: "activity.open"})

	r.by("Ana", rating(t, "4, null, 2"))
	r.by("Ben", rating(t, "5, 3, null"))
	r.by("Cleo", rating(t, "4, 3, 1"))

	// The phones see the statements and how many answered, no results.
	att := r.view(Attendee)
	scEqual(t, "attendee's scale", []any{att["min"], att["max"], att["labels"], att["responses"], att["voters"]},
		[]any{float64(1), float64(5), map[string]any{"min": "Not at all", "max": "Absolutely"}, float64(3), nil})
	for _, st := range statements(att) {
		if len(st) != 1 || st["label"] == nil {
			t.Fatalf("an attendee sees results before the reveal: %v", st)
		}
	}

	// The display has the distribution, mean and median of each.
	disp := r.view(Display)
	scEqual(t, "display's voters", []any{disp["voters"], disp["responses"]}, []any{float64(3), float64(3)})
	type stat struct {
		Label     string   `json:"label"`
		Counts    []int    `json:"counts"`
		Mean      *float64 `json:"mean"`
		Median    *float64 `json:"median"`
		Responses int      `json:"responses"`
	}
	got := scInto[struct{ Statements []stat }](t, r.s.Activity(r.act).View(Display)).Statements
	scEqual(t, "display's statements", got, []stat{
		{"Housing", []int{0, 0, 0, 2, 1}, scPtr(4.33), scPtr(4.0), 3},
		{"Transport", []int{0, 0, 2, 0, 0}, scPtr(3.0), scPtr(3.0), 2},
		{"Green spaces", []int{1, 1, 0, 0, 0}, scPtr(1.5), scPtr(1.5), 2},
	})

	// Ana thinks again: her new ratings replace the first ones.
	r.by("Ana", rating(t, "2, 2, null"))
	scEqual(t, "Ana's own", r.you("Ana"), `{"ratings":[2,2,null]}`)
	scEqual(t, "Dan has not rated", r.you("Dan"), `{"ratings":[]}`)
	got = scInto[struct{ Statements []stat }](t, r.s.Activity(r.act).View(Facilitator)).Statements
	scEqual(t, "counts after the change", [][]int{got[0].Counts, got[1].Counts, got[2].Counts},
		[][]int{{0, 1, 0, 1, 1}, {0, 1, 2, 0, 0}, {1, 0, 0, 0, 0}})
	scEqual(t, "responses per statement after the change", []int{got[0].Responses, got[1].Responses, got[2].Responses}, []int{3, 3, 1})
	scEqual(t, "voters after the change", r.view(Facilitator)["voters"], any(float64(3)))

	// Revealed, the phones see what the display sees.
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	scEqual(t, "revealed to attendees", r.view(Attendee)["statements"], r.view(Display)["statements"])

	r.host(Command{Op: "activity.close"})
	r.refused("Dan", rating(t, "3, 3, 3"), CodeActivityClosed)
	scEqual(t, "closed, voters", r.view(Display)["voters"], any(float64(3)))
}

// Every bad answer gets the contract's code and changes nothing.
func TestScaleRefusesBadRatings(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(scaleSpecOf(t, prioritiesSpec))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", rating(t, "3, 3, 3"))
	for _, tc := range []struct {
		why, msg, code string
	}{
		{"above the scale", `"ratings":[6,null,null]`, CodeInvalidChoice},
		{"below the scale", `"ratings":[0,2,2]`, CodeInvalidChoice},
		{"negative", `"ratings":[-1,2,2]`, CodeInvalidChoice},
		{"too few ratings", `"ratings":[4,4]`, CodeInvalidChoice},
		{"too many ratings", `"ratings":[4,4,4,4]`, CodeInvalidChoice},
		{"no ratings at all", `"ratings":[]`, CodeInvalidChoice},
		{"every statement skipped", `"ratings":[null,null,null]`, CodeInvalidChoice},
		{"not a whole number", `"ratings":[4.5,4,4]`, CodeBadRequest},
		{"a string", `"ratings":["4",4,4]`, CodeBadRequest},
		{"not a list", `"ratings":4`, CodeBadRequest},
		{"ratings missing", `"choices":[4]`, CodeBadRequest},
		{"ratings null", `"ratings":null`, CodeBadRequest},
	} {
		r.refused("Ben", scWire(t, `{"type":"cmd","op":"rate",`+tc.msg+`}`), tc.code)
		r.refused("Ana", scWire(t, `{"type":"cmd","op":"rate",`+tc.msg+`}`), tc.code)
	}
	r.refused(Host, rating(t, "3, 3, 3"), CodeForbidden)
	// A rate command built without its own fields (not from the wire).
	r.refused("Ben", Command{Op: OpRate}, CodeBadRequest)
	// A scale's op on a poll, and a poll's on a scale.
	r.refused("Ben", Command{Op: "vote", Choices: []int{0}}, CodeBadRequest)
	scEqual(t, "Ana's ratings kept", r.you("Ana"), `{"ratings":[3,3,3]}`)
	scEqual(t, "Ben has none", r.you("Ben"), `{"ratings":[]}`)
	r.show(ActivitySpec{Kind: KindPoll, Title: "Poll", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open"})
	r.refused("Ben", rating(t, "3"), CodeBadRequest)
}

// A scale's spec: what the contract allows, and nothing else.
func TestScaleSpec(t *testing.T) {
	t.Parallel()
	ten := `["1","2","3","4","5","6","7","8","9","10"]`
	eleven := `["1","2","3","4","5","6","7","8","9","10","11"]`
	for _, tc := range []struct {
		spec     string
		min, max int // when accepted
		points   int
	}{
		{`{"kind":"scale","statements":["Housing"]}`, 1, 5, 5},
		{`{"kind":"scale","statements":["Housing"],"min":0,"max":10}`, 0, 10, 11},
		{`{"kind":"scale","statements":["Housing"],"min":-2,"max":2}`, -2, 2, 5},
		{`{"kind":"scale","statements":["Housing"],"min":1,"max":2}`, 1, 2, 2},
		{`{"kind":"scale","statements":["Housing"],"max":7}`, 1, 7, 7},
		{`{"kind":"scale","statements":` + ten + `}`, 1, 5, 5},
		{`{"kind":"scale","statements":["Housing"],"labels":{"min":"  low ","max":""}}`, 1, 5, 5},
	} {
		r := scNew(t)
		r.create(scaleSpecOf(t, tc.spec))
		v := r.view(Facilitator)
		if v["min"] != float64(tc.min) || v["max"] != float64(tc.max) {
			t.Errorf("%s: min %v max %v", tc.spec, v["min"], v["max"])
		}
		for _, st := range statements(v) {
			if n := len(st["counts"].([]any)); n != tc.points {
				t.Errorf("%s: %d points", tc.spec, n)
			}
		}
	}
	r := scNew(t)
	r.create(scaleSpecOf(t, `{"kind":"scale","statements":[" Housing  first "],"labels":{"min":"  low ","max":""}}`))
	scEqual(t, "cleaned texts", []any{statements(r.view(Display))[0]["label"], r.view(Display)["labels"]},
		[]any{"Housing first", map[string]any{"min": "low"}})

	for _, bad := range []string{
		`{"kind":"scale","title":"No statements"}`,
		`{"kind":"scale","statements":[]}`,
		`{"kind":"scale","statements":` + eleven + `}`,
		`{"kind":"scale","statements":[""]}`,
		`{"kind":"scale","statements":["` + strings.Repeat("x", 201) + `"]}`,
		`{"kind":"scale","statements":["ok","a\u0007bell"]}`,
		`{"kind":"scale","statements":"Housing"}`,
		`{"kind":"scale","statements":[3]}`,
		`{"kind":"scale","statements":["a"],"min":3,"max":3}`,
		`{"kind":"scale","statements":["a"],"min":5,"max":1}`,
		`{"kind":"scale","statements":["a"],"min":0,"max":11}`,
		`{"kind":"scale","statements":["a"],"min":1.5,"max":5}`,
		`{"kind":"scale","statements":["a"],"min":-101,"max":-99}`,
		`{"kind":"scale","statements":["a"],"min":99,"max":101}`,
		`{"kind":"scale","statements":["a"],"labels":{"min":"` + strings.Repeat("x", 61) + `"}}`,
		`{"kind":"scale","statements":["a"],"labels":"low to high"}`,
	} {
		r.refused(Host, Command{Op: "activity.create", Spec: scPtr(scaleSpecOf(t, bad))}, CodeBadRequest)
	}
}

// The median of an even number of ratings is the mean of the two middle
// ones; a statement nobody rated has a null mean and median, present in
// the view so that a page can tell "no ratings" from "hidden".
func TestScaleMeanAndMedian(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben", "Cleo", "Dan")
	r.show(scaleSpecOf(t, `{"kind":"scale","title":"T","statements":["odd","even","none"],"min":0,"max":10}`))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", rating(t, "0, 10, null"))
	r.by("Ben", rating(t, "10, 3, null"))
	r.by("Cleo", rating(t, "1, null, null"))
	r.by("Dan", rating(t, "null, 4, null"))
	st := statements(r.view(Display))
	scEqual(t, "odd", []any{st[0]["mean"], st[0]["median"], st[0]["responses"]}, []any{3.67, 1.0, 3.0})
	scEqual(t, "even", []any{st[1]["mean"], st[1]["median"], st[1]["responses"]}, []any{5.67, 4.0, 3.0})
	if m, ok := st[2]["mean"]; !ok || m != nil {
		t.Fatalf("a statement nobody rated: mean %v (present %v)", m, ok)
	}
	if m, ok := st[2]["median"]; !ok || m != nil {
		t.Fatalf("a statement nobody rated: median %v (present %v)", m, ok)
	}
	r.by("Ana", rating(t, "0, 10, 7"))
	r.by("Cleo", rating(t, "1, 5, null"))
	st = statements(r.view(Display))
	scEqual(t, "four ratings", []any{st[1]["median"], st[1]["mean"]}, []any{4.5, 5.5})
	scEqual(t, "one rating", []any{st[2]["median"], st[2]["mean"]}, []any{7.0, 7.0})
}

// The display sees the results only when the facilitator lets it; the
// number of answers is there for every role all along.
func TestScaleHiddenFromDisplay(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana")
	r.show(scaleSpecOf(t, prioritiesSpec))
	r.host(Command{Op: "activity.reveal", Display: scPtr(false)})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", rating(t, "1, 2, 3"))
	for _, role := range []Role{Display, Attendee} {
		v := r.view(role)
		if _, ok := v["voters"]; ok {
			t.Errorf("%s sees voters", role)
		}
		scEqual(t, string(role)+" responses", v["responses"], any(float64(1)))
		for _, st := range statements(v) {
			if !reflect.DeepEqual(st, map[string]any{"label": st["label"]}) {
				t.Errorf("%s sees %v", role, st)
			}
		}
	}
	if st := statements(r.view(Facilitator))[2]; st["mean"] != 3.0 {
		t.Fatalf("the facilitator always sees the results: %v", st)
	}
}

// The export has every count and every participant's ratings; the CSV a
// row per statement and point.
func TestScaleExportAndCSV(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben", "Cleo")
	r.show(scaleSpecOf(t, `{"kind":"scale","title":"Agree?","statements":["=Parks","Bikes"],"min":1,"max":3}`))
	r.host(Command{Op: "activity.open"})
	r.by("Ben", rating(t, "3, 1"))
	r.by("Ana", rating(t, "2, null"))
	x := r.view("export")
	scEqual(t, "answers", x["answers"], any([]any{
		map[string]any{"participant": r.who["Ana"], "ratings": []any{2.0, nil}},
		map[string]any{"participant": r.who["Ben"], "ratings": []any{3.0, 1.0}},
	}))
	scEqual(t, "exported counts", statements(x)[0]["counts"], any([]any{0.0, 1.0, 1.0}))
	scEqual(t, "csv", r.s.Activity(r.act).CSV(), [][]string{
		{r.act, "scale", "Agree?", "=Parks", "0", "rated 1", "2", "", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "=Parks", "1", "rated 2", "2", "", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "=Parks", "1", "rated 3", "2", "", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "Bikes", "1", "rated 1", "2", "", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "Bikes", "0", "rated 2", "2", "", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "Bikes", "0", "rated 3", "2", "", "", "", "", "", "", ""},
		// Every answer, as the JSON export names its participant.
		{r.act, "scale", "Agree?", "=Parks", "2", "answer", "", "p2", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "=Parks", "3", "answer", "", "p3", "", "", "", "", "", ""},
		{r.act, "scale", "Agree?", "Bikes", "1", "answer", "", "p3", "", "", "", "", "", ""},
	})
}

// A snapshot of scales and rankings reads back to the same views, export,
// own data and CSV, and the restored state goes on counting.
func TestScaleAndRankingSnapshots(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	scale := r.show(scaleSpecOf(t, prioritiesSpec))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", rating(t, "5, null, 1"))
	empty := r.create(scaleSpecOf(t, prioritiesSpec))
	ranking := r.show(ActivitySpec{Kind: KindRanking, Title: "Order", Options: []string{"a", "b", "c"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ben", ranked(t, "2, 0"))

	back, raw := r.snapshot()
	if again, _ := json.Marshal(back); string(again) != string(raw) {
		t.Fatalf("a round trip changed the snapshot:\n%s\n%s", raw, again)
	}
	for _, id := range []string{scale, empty, ranking} {
		a, b := r.s.Activity(id), back.Activity(id)
		for _, role := range []Role{Facilitator, Display, Attendee} {
			scEqual(t, string(role)+" view of "+a.Kind, scDecode(t, b.View(role)), scDecode(t, a.View(role)))
		}
		scEqual(t, "export of "+a.Kind, scDecode(t, b.Export()), scDecode(t, a.Export()))
		scEqual(t, "csv of "+a.Kind, b.CSV(), a.CSV())
		for _, n := range r.names {
			scEqual(t, n+"'s own in "+a.Kind, scDecode(t, b.You(r.who[n])), scDecode(t, a.You(r.who[n])))
		}
	}
	c := ranked(t, "1, 2, 0")
	c.ID, c.Activity = "after-restore", ranking
	if out := back.Apply(Event{Offset: r.off + 1, Time: r.now, Actor: r.who["Ana"], Cmd: c}); out.Result.Err != nil {
		t.Fatal(out.Result.Err)
	}
	scEqual(t, "scores after restore", scDecode(t, back.Activity(ranking).View(Facilitator))["order"], any([]any{2.0, 1.0, 0.0}))
}

// Commands of the new kinds survive the log's encoding: what a replica
// reads back is judged as what was sent.
func TestScaleCommandsThroughTheLog(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{
		`{"type":"cmd","id":"c1","op":"rate","activity":"a4","ratings":[4, null ,2]}`,
		`{"type":"cmd","id":"c2","op":"rank","activity":"a5","order":[ 2,0,1 ]}`,
	} {
		c := scWire(t, msg)
		logged, err := json.Marshal(Event{Offset: 9, Cmd: c})
		if err != nil {
			t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(logged, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Cmd, c) || back.Cmd.Activity == "" || len(back.Cmd.Args) == 0 {
			t.Fatalf("%s: logged %s, read back %+v", msg, logged, back.Cmd)
		}
	}
}

// In a session in English and French, statements, end labels and options
// may be given per language: each connection reads its own, facilitators
// and displays get every translation beside it, and counts stay per
// statement and option whatever the language they were read in.
func TestScaleAndRankingInTwoLanguages(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr"}})
	r.join("Ana", "Bo")
	scale := r.show(scaleSpecOf(t, `{"kind":"scale","title":{"en":"Rate","fr":"Notez"},
		"statements":[{"en":"Housing","fr":"Logement"},"Wi-Fi"],"labels":{"min":{"en":"Low","fr":"Bas"},"max":"OK"}}`))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", rating(t, "5, 1"))
	fr := scDecode(t, r.s.Activity(scale).ViewIn(Attendee, "fr"))
	scEqual(t, "a French phone", []any{fr["title"], statements(fr)[0]["label"], statements(fr)[1]["label"], fr["labels"]},
		[]any{"Notez", "Logement", "Wi-Fi", map[string]any{"min": "Bas", "max": "OK"}})
	for _, k := range []string{"titles", "labelTexts"} {
		if _, ok := fr[k]; ok {
			t.Errorf("a phone gets %s", k)
		}
	}
	if _, ok := statements(fr)[0]["labels"]; ok {
		t.Error("a phone gets a statement's translations")
	}
	disp := scDecode(t, r.s.Activity(scale).ViewIn(Display, "en"))
	scEqual(t, "the display's translations", []any{statements(disp)[0]["label"], statements(disp)[0]["labels"], disp["labelTexts"], statements(disp)[0]["counts"]},
		[]any{"Housing", map[string]any{"en": "Housing", "fr": "Logement"}, map[string]any{"min": map[string]any{"en": "Low", "fr": "Bas"}}, []any{0.0, 0.0, 0.0, 0.0, 1.0}})
	scEqual(t, "the CSV in the default language", r.s.Activity(scale).CSV()[0][3], "Housing")

	ranking := r.show(ActivitySpec{Kind: KindRanking, Title: "Order", Extra: map[string]json.RawMessage{
		"options": json.RawMessage(`[{"en":"Parks","fr":"Parcs"},{"en":"Bikes","fr":"Vélos"}]`)}})
	r.host(Command{Op: "activity.open"})
	r.by("Bo", ranked(t, "1, 0"))
	rk := scDecode(t, r.s.Activity(ranking).ViewIn(Facilitator, "fr"))
	first := rk["options"].([]any)[1].(map[string]any)
	scEqual(t, "a French console", []any{first["label"], first["labels"], first["score"], rk["order"]},
		[]any{"Vélos", map[string]any{"en": "Bikes", "fr": "Vélos"}, 2.0, []any{1.0, 0.0}})

	for _, bad := range []string{
		`{"kind":"scale","statements":[{"de":"Wohnen"}]}`,
		`{"kind":"scale","statements":[{"en":"Housing","fr":""}]}`,
		`{"kind":"scale","statements":["a"],"labels":{"min":{"es":"Bajo"}}}`,
		`{"kind":"ranking","options":[{"en":"a"},{"de":"b"}]}`,
		`{"kind":"ranking","options":[{"en":"a"},7]}`,
	} {
		r.refused(Host, Command{Op: "activity.create", Spec: scPtr(scaleSpecOf(t, bad))}, CodeBadRequest)
	}
}
