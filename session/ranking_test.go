package session

import (
	"strings"
	"testing"
)

// ranked is a rank command with the order written as JSON ("2, 0, 1").
func ranked(t *testing.T, order string) Command {
	t.Helper()
	return scWire(t, `{"type":"cmd","op":"rank","order":[`+order+`]}`)
}

var measures = ActivitySpec{Kind: KindRanking, Title: "Rank these measures",
	Options: []string{"Bus lanes", "Tree planting", "Rent caps", "Night buses"}}

type rankedOption struct {
	Label  string `json:"label"`
	Score  *int   `json:"score"`
	Firsts *int   `json:"firsts"`
}

type rankingResults struct {
	Options   []rankedOption `json:"options"`
	Order     []int          `json:"order"`
	Voters    *int           `json:"voters"`
	Responses int            `json:"responses"`
}

func (r *scScript) ranking(role Role) rankingResults {
	r.t.Helper()
	return scInto[rankingResults](r.t, r.s.Activity(r.act).View(role))
}

func scores(v rankingResults) (scores, firsts []int) {
	for _, o := range v.Options {
		scores, firsts = append(scores, *o.Score), append(firsts, *o.Firsts)
	}
	return scores, firsts
}

// A facilitator asks the room to rank four measures; people rank some or
// all of them; the display shows Borda scores and the order at once, the
// phones once revealed.
func TestRankingFacilitation(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben", "Cleo", "Dan", "Eve")
	r.show(measures)
	r.refused("Ana", ranked(t, "2, 0, 1"), CodeActivityClosed)
	r.host(Command{Op: "activity.open"})

	// Nobody has ranked: every score 0, the order as listed.
	scEqual(t, "order before any ranking", r.ranking(Display).Order, []int{0, 1, 2, 3})

	r.by("Ana", ranked(t, "2, 0, 1"))     // of 3: rent caps 3, bus lanes 2, trees 1
	r.by("Ben", ranked(t, "0"))           // of 1: bus lanes 1
	r.by("Cleo", ranked(t, "1, 0, 2, 3")) // of 4: trees 4, bus lanes 3, rent caps 2, night buses 1
	d := r.ranking(Display)
	s, f := scores(d)
	scEqual(t, "scores", s, []int{6, 5, 5, 1})
	scEqual(t, "firsts", f, []int{1, 1, 1, 0})
	// Trees and rent caps tie on score and on firsts: listed order.
	scEqual(t, "order", d.Order, []int{0, 1, 2, 3})
	scEqual(t, "voters", []int{*d.Voters, d.Responses}, []int{3, 3})

	// Dan puts rent caps first: it ties with bus lanes on score and wins
	// on firsts.
	r.by("Dan", ranked(t, "2"))
	d = r.ranking(Display)
	s, f = scores(d)
	scEqual(t, "scores with Dan", s, []int{6, 5, 6, 1})
	scEqual(t, "firsts with Dan", f, []int{1, 1, 2, 0})
	scEqual(t, "order with Dan", d.Order, []int{2, 0, 1, 3})

	// The phones see the options and how many answered, nothing else.
	att := r.view(Attendee)
	scEqual(t, "attendee sees no order", att["order"], nil)
	scEqual(t, "attendee sees no voters", att["voters"], nil)
	scEqual(t, "attendee's responses", att["responses"], any(4.0))
	for _, o := range att["options"].([]any) {
		if len(o.(map[string]any)) != 1 {
			t.Fatalf("an attendee sees results before the reveal: %v", o)
		}
	}

	// Ben changes his mind: his new ranking replaces the first.
	r.by("Ben", ranked(t, "3, 2, 1, 0"))
	scEqual(t, "Ben's own", r.you("Ben"), `{"order":[3,2,1,0]}`)
	scEqual(t, "Eve has not ranked", r.you("Eve"), `{"order":[]}`)
	d = r.ranking(Facilitator)
	s, f = scores(d)
	scEqual(t, "scores after Ben's change", s, []int{6, 7, 9, 5})
	scEqual(t, "firsts after Ben's change", f, []int{0, 1, 2, 1})
	scEqual(t, "order after Ben's change", d.Order, []int{2, 1, 0, 3})
	scEqual(t, "voters after Ben's change", *d.Voters, 4)

	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	scEqual(t, "revealed to attendees", r.ranking(Attendee), r.ranking(Display))

	r.host(Command{Op: "activity.close"})
	r.refused("Eve", ranked(t, "0, 1"), CodeActivityClosed)
	r.refused("Ana", ranked(t, "0, 1"), CodeActivityClosed)
	scEqual(t, "Ana's ranking kept", r.you("Ana"), `{"order":[2,0,1]}`)
}

// Every bad ranking gets the contract's code and changes nothing.
func TestRankingRefusesBadOrders(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(measures)
	r.host(Command{Op: "activity.open"})
	r.by("Ana", ranked(t, "1, 0"))
	for _, tc := range []struct {
		why, msg, code string
	}{
		{"empty", `"order":[]`, CodeInvalidChoice},
		{"duplicate", `"order":[1,0,1]`, CodeInvalidChoice},
		{"duplicate, first", `"order":[2,2]`, CodeInvalidChoice},
		{"unknown", `"order":[4]`, CodeInvalidChoice},
		{"negative", `"order":[0,-1]`, CodeInvalidChoice},
		{"longer than the options", `"order":[0,1,2,3,0]`, CodeInvalidChoice},
		{"null", `"order":[null]`, CodeBadRequest},
		{"not a whole number", `"order":[1.5]`, CodeBadRequest},
		{"a label", `"order":["Bus lanes"]`, CodeBadRequest},
		{"not a list", `"order":2`, CodeBadRequest},
		{"order missing", `"choices":[2]`, CodeBadRequest},
		{"order null", `"order":null`, CodeBadRequest},
	} {
		for _, who := range []string{"Ana", "Ben"} {
			r.refused(who, scWire(t, `{"type":"cmd","op":"rank",`+tc.msg+`}`), tc.code)
		}
	}
	r.refused(Host, ranked(t, "0"), CodeForbidden)
	r.refused("Ben", Command{Op: OpRank}, CodeBadRequest)
	r.refused("Ben", rating(t, "1"), CodeBadRequest)
	scEqual(t, "Ana's ranking kept", r.you("Ana"), `{"order":[1,0]}`)
}

// A ranking's spec: 2 to 20 options of text.
func TestRankingSpec(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	twenty := make([]string, 20)
	for i := range twenty {
		twenty[i] = strings.Repeat("o", i+1)
	}
	r.create(ActivitySpec{Kind: KindRanking, Title: "Twenty", Options: twenty})
	r.create(ActivitySpec{Kind: KindRanking, Title: "Two", Options: []string{"  left ", "right"}})
	scEqual(t, "cleaned labels", r.ranking(Facilitator).Options[0].Label, "left")
	for _, opts := range [][]string{
		nil,
		{"only one"},
		append(append([]string{}, twenty...), "twenty-one"),
		{"a", ""},
		{"a", strings.Repeat("x", 201)},
		{"a", "b\x00c"},
	} {
		r.refused(Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindRanking, Title: "T", Options: opts}}, CodeBadRequest)
	}
}

// The display sees scores only when the facilitator lets it.
func TestRankingHiddenFromDisplay(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana")
	r.show(measures)
	r.host(Command{Op: "activity.reveal", Display: scPtr(false)})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", ranked(t, "3"))
	for _, role := range []Role{Display, Attendee} {
		v := r.view(role)
		for _, field := range []string{"order", "voters"} {
			if _, ok := v[field]; ok {
				t.Errorf("%s sees %s", role, field)
			}
		}
		scEqual(t, string(role)+" responses", v["responses"], any(1.0))
		for _, o := range v["options"].([]any) {
			if len(o.(map[string]any)) != 1 {
				t.Errorf("%s sees %v", role, o)
			}
		}
	}
	scEqual(t, "facilitator's order", r.ranking(Facilitator).Order, []int{3, 0, 1, 2})
}

// The export has every score and every participant's ranking; the CSV a
// row per option in the order of the results.
func TestRankingExportAndCSV(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(ActivitySpec{Kind: KindRanking, Title: "Order", Options: []string{"+Tax", "Parks", "Bikes"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ben", ranked(t, "2, 1"))
	r.by("Ana", ranked(t, "1, 0, 2"))
	x := r.view("export")
	scEqual(t, "answers", x["answers"], any([]any{
		map[string]any{"participant": r.who["Ana"], "order": []any{1.0, 0.0, 2.0}},
		map[string]any{"participant": r.who["Ben"], "order": []any{2.0, 1.0}},
	}))
	scEqual(t, "exported order", x["order"], any([]any{1.0, 2.0, 0.0}))
	scEqual(t, "csv", r.s.Activity(r.act).CSV(), [][]string{
		{r.act, "ranking", "Order", "Parks", "4", "firsts 1", "2", "", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "Bikes", "3", "firsts 1", "2", "", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "+Tax", "2", "firsts 0", "2", "", "", "", "", "", "", ""},
		// Every answer: each participant's places.
		{r.act, "ranking", "Order", "Parks", "1", "answer place", "", "p2", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "+Tax", "2", "answer place", "", "p2", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "Bikes", "3", "answer place", "", "p2", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "Bikes", "1", "answer place", "", "p3", "", "", "", "", "", ""},
		{r.act, "ranking", "Order", "Parks", "2", "answer place", "", "p3", "", "", "", "", "", ""},
	})
}
