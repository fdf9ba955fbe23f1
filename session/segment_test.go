package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// segScript is a session with three constituencies and attendees in each:
// six local governments, five from civil society, two from academia, one
// "other" and one who gave none.
func segScript(t *testing.T) *scScript {
	t.Helper()
	r := scNew(t)
	r.host(Command{Op: OpUpdate, Constituencies: plainTexts("Local governments", "Civil society", "Academia")})
	groups := []struct {
		chosen string
		n      int
	}{{"Local governments", 6}, {"civil SOCIETY", 5}, {"Academia", 2}, {"Other", 1}, {"", 1}}
	for g, grp := range groups {
		for i := range grp.n {
			name := fmt.Sprintf("g%d-%d", g, i)
			r.apply("", Command{Op: OpJoin, Name: name, Constituency: grp.chosen})
			r.who[name] = fmt.Sprintf("p%d", r.off)
			r.names = append(r.names, name)
		}
	}
	return r
}

func segmented(spec ActivitySpec, extra string) ActivitySpec {
	if err := json.Unmarshal([]byte(extra), &spec.Extra); err != nil {
		panic(err)
	}
	return spec
}

// segRow is one segment as a test reads it.
type segRow struct {
	Constituency string
	Responses    int
	Votes        []int
}

func segRows(t *testing.T, v map[string]any) ([]segRow, int, bool) {
	t.Helper()
	raw, ok := v["segments"].([]any)
	if !ok {
		if _, there := v["segmentsHidden"]; there {
			t.Fatalf("segmentsHidden without segments: %v", v)
		}
		return nil, 0, false
	}
	var out []segRow
	for _, x := range raw {
		m := x.(map[string]any)
		row := segRow{Constituency: m["constituency"].(string), Responses: int(m["responses"].(float64))}
		if opts, ok := m["options"].([]any); ok {
			for _, o := range opts {
				row.Votes = append(row.Votes, int(o.(map[string]any)["votes"].(float64)))
			}
		}
		out = append(out, row)
	}
	hidden := -1
	if h, ok := v["segmentsHidden"].(float64); ok {
		hidden = int(h)
	}
	return out, hidden, true
}

// TestSegmentedPoll: a poll with "segment": true gives facilitators and
// displays each constituency's counts, leaving out and counting the groups
// under minSegment; the export has every group; attendees get none; the
// counts add up to the poll's.
func TestSegmentedPoll(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(segmented(ActivitySpec{Kind: KindPoll, Title: "First?", Options: []string{"Housing", "Transport", "Parks"}}, `{"segment": true}`))
	r.host(Command{Op: "activity.open"})
	// Before any vote: no group has answers, none is hidden.
	rows, hidden, ok := segRows(t, r.view(Facilitator))
	if !ok || len(rows) != 0 || hidden != 0 {
		t.Fatalf("before votes: %v hidden %d", rows, hidden)
	}
	for i, name := range r.names {
		r.by(name, Command{Op: "vote", Choices: []int{i % 3}})
	}
	// Participants joined in order: local governments 0-5, civil society
	// 6-10, academia 11-12, other 13, none 14; each voted i % 3.
	want := []segRow{
		{"Local governments", 6, []int{2, 2, 2}},
		{"Civil society", 5, []int{2, 2, 1}},
	}
	for _, role := range []Role{Facilitator, Display} {
		rows, hidden, ok := segRows(t, r.view(role))
		if !ok || !reflect.DeepEqual(rows, want) || hidden != 3 {
			t.Errorf("%s: segments %v, hidden %d; want %v, 3 hidden (academia, other, none)", role, rows, hidden, want)
		}
		if v := r.view(role); v["segment"] != true || v["minSegment"] != float64(DefaultMinSegment) {
			t.Errorf("%s: segment %v minSegment %v", role, v["segment"], v["minSegment"])
		}
	}
	if _, _, ok := segRows(t, r.view(Attendee)); ok {
		t.Error("attendees get segments")
	}
	yes, no := true, false
	r.host(Command{Op: "activity.reveal", Attendees: &yes, Display: &yes})
	if _, _, ok := segRows(t, r.view(Attendee)); ok {
		t.Error("attendees get segments once results are revealed to them")
	}
	// Hidden from the display: no segments there either.
	r.host(Command{Op: "activity.reveal", Attendees: &no, Display: &no})
	if _, _, ok := segRows(t, r.view(Display)); ok {
		t.Error("the display gets segments of results hidden from it")
	}

	rows, _, _ = segRows(t, r.view("export"))
	wantAll := append(want, segRow{"Academia", 2, []int{1, 0, 1}}, segRow{"other", 1, []int{0, 1, 0}}, segRow{"", 1, []int{0, 0, 1}})
	if !reflect.DeepEqual(rows, wantAll) {
		t.Fatalf("export: %v\nwant %v", rows, wantAll)
	}
	total := make([]int, 3)
	for _, s := range rows {
		for i, v := range s.Votes {
			total[i] += v
		}
	}
	if got := scPollCounts(r.view("export")); !reflect.DeepEqual(got[:3], total) {
		t.Errorf("segments add up to %v, the poll says %v", total, got)
	}
	// A vote changed moves between options within its group.
	r.by(r.names[0], Command{Op: "vote", Choices: []int{2}})
	rows, _, _ = segRows(t, r.view(Facilitator))
	if !reflect.DeepEqual(rows[0].Votes, []int{1, 2, 3}) {
		t.Errorf("after a changed vote: %v", rows[0])
	}
}

// TestSegmentMinimum: minSegment decides which groups a view shows; a
// group reaching it appears, and the hidden count goes down.
func TestSegmentMinimum(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(segmented(ActivitySpec{Kind: KindPoll, Title: "First?", Options: []string{"A", "B"}}, `{"segment": true, "minSegment": 2}`))
	r.host(Command{Op: "activity.open"})
	for i, name := range r.names {
		if i >= 11 && i <= 12 { // academia votes later
			continue
		}
		r.by(name, Command{Op: "vote", Choices: []int{0}})
	}
	rows, hidden, _ := segRows(t, r.view(Display))
	if len(rows) != 2 || hidden != 2 {
		t.Fatalf("minSegment 2, academia silent: %v, %d hidden (other, none)", rows, hidden)
	}
	r.by(r.names[11], Command{Op: "vote", Choices: []int{1}})
	if rows, hidden, _ := segRows(t, r.view(Display)); len(rows) != 2 || hidden != 3 {
		t.Fatalf("one academic voted: %v, %d hidden", rows, hidden)
	}
	r.by(r.names[12], Command{Op: "vote", Choices: []int{1}})
	rows, hidden, _ = segRows(t, r.view(Display))
	if len(rows) != 3 || rows[2].Constituency != "Academia" || !reflect.DeepEqual(rows[2].Votes, []int{0, 2}) || hidden != 2 {
		t.Fatalf("two academics voted: %v, %d hidden", rows, hidden)
	}
}

// TestSegmentBadSpecs: minSegment out of range, or without "segment",
// and a "segment" that is not a boolean, are refused and create nothing.
func TestSegmentBadSpecs(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	for _, extra := range []string{`{"segment": true, "minSegment": -1}`, `{"segment": true, "minSegment": 1001}`,
		`{"minSegment": 3}`, `{"segment": "yes"}`, `{"segment": true, "minSegment": 2.5}`} {
		for _, kind := range []string{KindPoll, KindWordcloud} {
			spec := segmented(ActivitySpec{Kind: kind, Title: "T", Options: []string{"A", "B"}}, extra)
			r.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
		}
	}
	if len(r.s.Activities) != 0 {
		t.Fatalf("refused specs made %d activities", len(r.s.Activities))
	}
	// Not segmented: no segment fields at all.
	r.show(ActivitySpec{Kind: KindPoll, Title: "Plain", Options: []string{"A", "B"}})
	for _, role := range []Role{Facilitator, Display, "export"} {
		v := r.view(role)
		for _, f := range []string{"segment", "minSegment", "segments", "segmentsHidden"} {
			if _, ok := v[f]; ok {
				t.Errorf("%s: a plain poll has %q", role, f)
			}
		}
	}
}

// TestSegmentedCloud: a word cloud's segments count each group's words,
// shown as the whole cloud shows them; hidden words stay out of views.
func TestSegmentedCloud(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(segmented(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 2}, `{"segment": true}`))
	r.host(Command{Op: "activity.open"})
	for i, name := range r.names {
		r.by(name, Command{Op: "word.submit", Text: []string{"Housing", "housing", "Water"}[i%3]})
		if i < 6 {
			r.by(name, Command{Op: "word.submit", Text: "secret"})
		}
	}
	r.host(Command{Op: "word.hide", Text: "secret"})
	v := r.view(Display)
	segs := v["segments"].([]any)
	if len(segs) != 2 || v["segmentsHidden"] != float64(3) {
		t.Fatalf("cloud segments: %v hidden %v", segs, v["segmentsHidden"])
	}
	lg := segs[0].(map[string]any)
	words := lg["words"].([]any)
	if lg["constituency"] != "Local governments" || lg["responses"] != float64(6) || lg["entries"] != float64(12) || len(words) != 2 {
		t.Fatalf("local governments: %v", lg)
	}
	if w := words[0].(map[string]any); w["text"] != "Housing" || w["count"] != float64(4) {
		t.Errorf("first word %v; want Housing 4 (two spellings, one word)", w)
	}
	x := r.view("export")["segments"].([]any)[0].(map[string]any)["words"].([]any)
	found := false
	for _, w := range x {
		if m := w.(map[string]any); m["key"] == "secret" && m["hidden"] == true && m["count"] == float64(6) {
			found = true
		}
	}
	if !found {
		t.Errorf("the export's segment lacks the hidden word, marked: %v", x)
	}
}

// TestJoinConstituency: with a session list, a join's constituency is one
// of it (as the list spells it), "other", or none; anything else is
// bad_request and adds no one.
func TestJoinConstituency(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	// Without a list, any text is kept, as before version 1.2.
	r.apply("", Command{Op: OpJoin, Name: "Early", Constituency: "Lyon"})
	if p := r.s.Participants[fmt.Sprintf("p%d", r.off)]; p == nil || p.Constituency != "Lyon" {
		t.Fatalf("without a list: %+v", p)
	}
	r.host(Command{Op: OpUpdate, Constituencies: plainTexts("Local governments", "Civil society")})
	for chosen, want := range map[string]string{"civil  society": "Civil society", "LOCAL GOVERNMENTS": "Local governments", "Other": "other", "": ""} {
		r.apply("", Command{Op: OpJoin, Name: "x", Constituency: chosen})
		if p := r.s.Participants[fmt.Sprintf("p%d", r.off)]; p == nil || p.Constituency != want {
			t.Errorf("join as %q: %+v; want %q", chosen, p, want)
		}
	}
	n := len(r.s.Participants)
	for _, bad := range []string{"Academia", "Civil", "other ones", "Local\u0007governments"} {
		r.refused("", Command{Op: OpJoin, Name: "y", Constituency: bad}, CodeBadRequest)
	}
	if len(r.s.Participants) != n {
		t.Fatalf("refused joins added participants: %d, want %d", len(r.s.Participants), n)
	}
	if _, err := r.s.JoinConstituency("Academia"); err == nil || err.Code != CodeBadRequest {
		t.Errorf("JoinConstituency(Academia) = %v", err)
	}
}

// TestQueueTakesTheSessionsConstituencies: a queue created without its own
// list takes the session's; one with its own keeps it.
func TestQueueTakesTheSessionsConstituencies(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	if got := r.view(Facilitator)["constituencies"]; !reflect.DeepEqual(got, []any{"Local governments", "Civil society", "Academia"}) {
		t.Fatalf("queue constituencies %v", got)
	}
	r.host(Command{Op: "activity.open"})
	r.by(r.names[0], Command{Op: "hand.raise", Name: "Ana", Constituency: "academia"})
	r.refused(r.names[1], Command{Op: "hand.raise", Name: "Ben", Constituency: "Lyon"}, CodeBadRequest)
	r.show(ActivitySpec{Kind: KindQueue, Title: "Own", Constituencies: []string{"North", "South"}})
	if got := r.view(Facilitator)["constituencies"]; !reflect.DeepEqual(got, []any{"North", "South"}) {
		t.Fatalf("own constituencies %v", got)
	}
}

// TestQueueRecordKeepsKindAndFirstTime: the export says each turn's kind
// and whether it was the speaker's first.
func TestQueueRecordKeepsKindAndFirstTime(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	r.host(Command{Op: "activity.open"})
	r.by(r.names[0], Command{Op: "hand.raise", Name: "Ana", Constituency: "Academia"})
	r.by(r.names[6], Command{Op: "hand.raise", Name: "Ben", Constituency: "Civil society", Kind: HandOrder})
	r.host(Command{Op: "queue.next"})
	r.host(Command{Op: "queue.next"})
	r.by(r.names[6], Command{Op: "hand.raise", Name: "Ben", Constituency: "Civil society"})
	r.host(Command{Op: "queue.next"})
	r.host(Command{Op: "queue.next"})
	var got []string
	for _, s := range r.view("export")["speakers"].([]any) {
		m := s.(map[string]any)
		got = append(got, fmt.Sprintf("%s %s %v", m["name"], m["kind"], m["firstTime"]))
	}
	want := []string{"Ben order true", "Ana speak true", "Ben speak false"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("speakers %v; want %v", got, want)
	}
}

// TestSegmentJSONIsFlat: a segment's counts sit beside its constituency.
func TestSegmentJSONIsFlat(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Segment{Constituency: "Cities", Responses: 2, Counts: pollCounts{Voters: 2, Options: []optionView{}}})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"constituency":"Cities","responses":2,"options":[],"voters":2}` {
		t.Fatalf("segment JSON %s", b)
	}
	if b, _ := json.Marshal(Segment{Constituency: "", Responses: 0, Counts: struct{}{}}); string(b) != `{"constituency":"","responses":0}` {
		t.Fatalf("empty counts: %s", b)
	}
	if _, err := json.Marshal(Segment{Counts: []int{1}}); err == nil {
		t.Fatal("counts that are not an object were written")
	}
}
