package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// quizSpec reads an activity.create spec as the wire sends it.
func scSpec(t *testing.T, js string) ActivitySpec {
	t.Helper()
	c, err := ParseCommand([]byte(`{"type":"cmd","id":"x","op":"activity.create","activity":` + js + `}`))
	if err != nil {
		t.Fatal(err)
	}
	return *c.Spec
}

// answer is an attendee's "answer" with its choice written as JSON, as
// the wire sends it.
func answer(choice string) Command {
	return Command{Op: "answer", Args: json.RawMessage(`{"type":"cmd","op":"answer","choice":` + choice + `}`)}
}

// anonymous joins a participant without a name, as "Participant N".
func (r *scScript) anonymous(as string) {
	r.t.Helper()
	r.apply("", Command{Op: OpJoin})
	r.who[as] = fmt.Sprintf("p%d", r.off)
	r.names = append(r.names, as)
}

// options are the quiz's options as role sees them.
func scOptions(v map[string]any) []any { return v["options"].([]any) }

// A quiz question runs from the console to the phones: the clock starts
// at the open, the correct answer stays hidden until the time is up,
// faster right answers score more, and the close gives every phone its
// result, total and rank.
func TestQuizRound(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben", "Chloé")
	r.anonymous("someone")
	r.join("Dan")
	r.show(scSpec(t, `{"kind":"quiz","title":"Capital of France?","options":["Paris","Lyon","Nice"],"correct":[0],"seconds":20,"points":1000}`))

	// Prepared: everyone sees the question, nobody the answer; no clock yet.
	for _, role := range []Role{Attendee, Display} {
		v := r.view(role)
		scEqual(t, string(role)+" draft", []any{v["state"], v["openedAt"], v["endsAt"], v["responses"], v["correct"], v["seconds"], v["points"]},
			[]any{"draft", nil, nil, float64(0), nil, float64(20), float64(1000)})
		scEqual(t, string(role)+" options", scOptions(v), []any{map[string]any{"label": "Paris"}, map[string]any{"label": "Lyon"}, map[string]any{"label": "Nice"}})
	}
	scEqual(t, "the facilitator knows the answer", r.view(Facilitator)["correct"], any([]any{float64(0)}))
	r.refused("Ana", answer("0"), CodeActivityClosed)

	r.wait(3 * time.Second)
	opened := r.now
	r.host(Command{Op: "activity.open"})
	at := func(d time.Duration) string { return opened.Add(d).UTC().Format("2006-01-02T15:04:05.000Z07:00") }
	scEqual(t, "the clock in the view", []any{r.view(Attendee)["openedAt"], r.view(Display)["endsAt"]}, []any{at(0), at(20 * time.Second)})
	deadline, ok := r.s.Activity(r.act).Deadline()
	scEqual(t, "the deadline", []any{deadline, ok}, []any{opened.Add(20 * time.Second), true})

	out := r.by("Ana", answer("0")) // at once: all the points
	scEqual(t, "whose own data changed", out.Change.You, []string{r.who["Ana"]})
	scEqual(t, "Ana's answer", r.you("Ana"), `{"choice":0}`)
	r.refused("Ana", answer("1"), CodeConflict)
	r.refused("Ana", answer("0"), CodeConflict)
	r.wait(5 * time.Second)
	r.by("Ben", answer("2"))
	r.wait(5 * time.Second)
	r.by("Chloé", answer("0")) // 10 s of 20: three quarters
	r.wait(10 * time.Second)
	r.by("someone", answer("0")) // the last moment: half
	r.wait(time.Millisecond)
	r.refused("Dan", answer("0"), CodeActivityClosed)

	// While open: the count of answers, nothing that tells the answer.
	for _, role := range []Role{Attendee, Display} {
		v := r.view(role)
		scEqual(t, string(role)+" while open", []any{v["state"], v["responses"], v["correct"], v["leaderboard"]}, []any{"open", float64(4), nil, nil})
		for _, o := range scOptions(v) {
			if _, ok := o.(map[string]any)["count"]; ok {
				t.Fatalf("%s sees counts while the quiz is open: %v", role, v)
			}
		}
	}
	f := r.view(Facilitator)
	scEqual(t, "the facilitator's counts", scOptions(f)[0], any(map[string]any{"label": "Paris", "count": float64(3)}))
	scEqual(t, "no leaderboard before the close", f["leaderboard"], nil)
	scEqual(t, "Ben's answer", r.you("Ben"), `{"choice":2}`)

	// The server closes it once the time is up (hub/deadline.go).
	out = r.host(Command{Op: "activity.close"})
	if len(out.Change.You) != 5 {
		t.Fatalf("the close reaches %v, want every participant", out.Change.You)
	}
	if _, ok := r.s.Activity(r.act).Deadline(); ok {
		t.Fatal("a closed quiz has a deadline")
	}
	board := []any{
		map[string]any{"rank": float64(1), "name": "Ana", "points": float64(1000)},
		map[string]any{"rank": float64(2), "name": "Chloé", "points": float64(750)},
		// Without a join name: "Participant N", and N for the pages' own words.
		map[string]any{"rank": float64(3), "name": "Participant 4", "number": float64(4), "points": float64(500)},
		map[string]any{"rank": float64(4), "name": "Ben", "points": float64(0)},
	}
	for _, role := range []Role{Attendee, Display, Facilitator} {
		v := r.view(role)
		scEqual(t, string(role)+" correct", v["correct"], any([]any{float64(0)}))
		scEqual(t, string(role)+" counts", scOptions(v), []any{
			map[string]any{"label": "Paris", "count": float64(3)},
			map[string]any{"label": "Lyon", "count": float64(0)},
			map[string]any{"label": "Nice", "count": float64(1)}})
		scEqual(t, string(role)+" leaderboard", v["leaderboard"], any(board))
	}
	scEqual(t, "Ana", r.you("Ana"), `{"choice":0,"correct":true,"name":"Ana","points":1000,"rank":1,"total":1000}`)
	scEqual(t, "Ben", r.you("Ben"), `{"choice":2,"correct":false,"name":"Ben","points":0,"rank":4,"total":0}`)
	scEqual(t, "the nameless one", r.you("someone"), `{"choice":0,"correct":true,"name":"Participant 4","number":4,"points":500,"rank":3,"total":500}`)
	scEqual(t, "Dan, who was too late", r.you("Dan"), `{"choice":null,"correct":false,"name":"Dan","points":0,"rank":4,"total":0}`)
	r.refused("Dan", answer("0"), CodeActivityClosed)
	r.refused(Host, Command{Op: "activity.open"}, CodeConflict)

	// The export has every answer with its time and points.
	x := r.view("export")
	answers := x["answers"].([]any)
	scEqual(t, "answers exported", len(answers), 4)
	scEqual(t, "Chloé's answer", answers[2], any(map[string]any{"participant": r.who["Chloé"], "name": "Chloé", "choice": float64(0),
		"correct": true, "points": float64(750), "at": at(10 * time.Second), "seconds": float64(10)}))
	rows := r.s.Activity(r.act).CSV()
	scEqual(t, "CSV rows", len(rows), 3+4)
	scEqual(t, "the correct option's row", rows[0][3:8], []string{"Paris", "3", "correct", "4", ""})
	scEqual(t, "Ben's row", rows[4][3:13], []string{"Nice", "0", "answer incorrect", "", "Ben", "", at(5 * time.Second), "", "", "5"})
}

// Points add up over the session's quizzes; each quiz's leaderboard is
// the standings after it, so a later quiz changes no earlier one's view.
func TestQuizLeaderboardOverTheSession(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	first := r.show(scSpec(t, `{"kind":"quiz","title":"One","options":["a","b"],"correct":[1],"seconds":10,"points":100}`))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", answer("1"))
	r.wait(10 * time.Second)
	r.by("Ben", answer("1"))
	r.host(Command{Op: "activity.close"})
	after1 := r.view(Attendee)["leaderboard"]
	scEqual(t, "after one", after1, any([]any{
		map[string]any{"rank": float64(1), "name": "Ana", "points": float64(100)},
		map[string]any{"rank": float64(2), "name": "Ben", "points": float64(50)}}))

	// A poll between two quizzes does not count.
	r.show(ActivitySpec{Kind: KindPoll, Title: "Break?", Options: []string{"yes", "no"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ben", Command{Op: "vote", Choices: []int{0}})

	// Two right answers in the second one: both correct options count.
	second := r.show(scSpec(t, `{"kind":"quiz","title":"Two","options":["x","y","z"],"correct":[0,2],"seconds":10}`))
	r.host(Command{Op: "activity.open"})
	r.wait(2 * time.Second)
	r.by("Ben", answer("2")) // 1000 × (1 − 2/20) = 900
	r.by("Ana", answer("1"))
	scEqual(t, "the second quiz's deadline", r.s.Activity(second).Body.(*Quiz).endsAt(), r.now.Add(8*time.Second))
	r.host(Command{Op: "activity.close"})
	scEqual(t, "after two", r.view(Display)["leaderboard"], any([]any{
		map[string]any{"rank": float64(1), "name": "Ben", "points": float64(950)},
		map[string]any{"rank": float64(2), "name": "Ana", "points": float64(100)}}))
	scEqual(t, "Ben", r.you("Ben"), `{"choice":2,"correct":true,"name":"Ben","points":900,"rank":1,"total":950}`)
	scEqual(t, "Ana", r.you("Ana"), `{"choice":1,"correct":false,"name":"Ana","points":0,"rank":2,"total":100}`)
	r.act = first
	scEqual(t, "the first quiz's standings stay", r.view(Attendee)["leaderboard"], after1)
	scEqual(t, "Ben after the first", r.you("Ben"), `{"choice":1,"correct":true,"name":"Ben","points":50,"rank":2,"total":50}`)
}

// Players on the same total share a rank; the list is in join order
// among them, and has the best ten.
func TestQuizTiesAndTopTen(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("P%02d", i))
	}
	r.join(names...)
	r.show(scSpec(t, `{"kind":"quiz","title":"Tie","options":["a","b"],"correct":[0],"seconds":10,"points":10}`))
	r.host(Command{Op: "activity.open"})
	for i := len(names) - 1; i >= 0; i-- {
		choice := "0"
		if i == 5 {
			choice = "1"
		}
		r.by(names[i], answer(choice))
	}
	r.host(Command{Op: "activity.close"})
	lb := scInto[[]LeaderView](t, r.view(Attendee)["leaderboard"])
	scEqual(t, "top ten", len(lb), 10)
	for i, l := range lb {
		want := names[i]
		if i >= 5 {
			want = names[i+1] // P05 answered wrong: last
		}
		if l.Rank != 1 || l.Points != 10 || l.Name != want {
			t.Fatalf("line %d: %+v, want rank 1 %s 10", i, l, want)
		}
	}
	scEqual(t, "the wrong one's rank", r.you("P05"), `{"choice":1,"correct":false,"name":"P05","points":0,"rank":12,"total":0}`)
}

// Every bad quiz and every bad answer is refused with the contract's code
// and changes nothing.
func TestQuizRefusals(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	creates := []struct{ name, spec string }{
		{"one option", `{"kind":"quiz","title":"q","options":["a"],"correct":[0]}`},
		{"eleven options", `{"kind":"quiz","title":"q","options":["1","2","3","4","5","6","7","8","9","10","11"],"correct":[0]}`},
		{"an empty option", `{"kind":"quiz","title":"q","options":["a"," "],"correct":[0]}`},
		{"no correct option", `{"kind":"quiz","title":"q","options":["a","b"]}`},
		{"an empty correct list", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[]}`},
		{"a correct index out of range", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[2]}`},
		{"a negative correct index", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[-1]}`},
		{"a correct index twice", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[1,1]}`},
		{"a correct index as text", `{"kind":"quiz","title":"q","options":["a","b"],"correct":["1"]}`},
		{"too few seconds", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"seconds":4}`},
		{"too many seconds", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"seconds":601}`},
		{"a fraction of a second", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"seconds":7.5}`},
		{"negative points", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"points":-1}`},
		{"too many points", `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"points":10001}`},
	}
	for _, tt := range creates {
		t.Run("create with "+tt.name, func(t *testing.T) {
			r.t = t
			spec := scSpec(t, tt.spec)
			r.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
		})
	}
	r.t = t
	// The bounds themselves are fine.
	r.create(scSpec(t, `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0,1],"seconds":5,"points":0}`))
	r.create(scSpec(t, `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"seconds":600,"points":10000}`))

	other := r.show(scSpec(t, `{"kind":"quiz","title":"Other","options":["a","b"],"correct":[0]}`))
	quiz := r.show(scSpec(t, `{"kind":"quiz","title":"Now","options":["a","b","c"],"correct":[2],"seconds":10}`))
	r.refused("Ana", answer("2"), CodeActivityClosed) // not open yet
	r.host(Command{Op: "activity.open", Activity: other})
	r.host(Command{Op: "activity.open", Activity: quiz})
	r.by("Ben", answer("2"))
	answers := []struct {
		name, actor string
		c           Command
		code        string
	}{
		{"a choice out of range", "Ana", answer("3"), CodeInvalidChoice},
		{"a negative choice", "Ana", answer("-1"), CodeInvalidChoice},
		{"no choice", "Ana", answer("null"), CodeInvalidChoice},
		{"a fraction", "Ana", answer("1.5"), CodeBadRequest},
		{"a choice as text", "Ana", answer(`"1"`), CodeBadRequest},
		{"a list of choices", "Ana", answer(`[1]`), CodeBadRequest},
		{"no fields at all", "Ana", Command{Op: "answer"}, CodeBadRequest},
		{"a second answer", "Ben", answer("1"), CodeConflict},
		{"the same answer again", "Ben", answer("2"), CodeConflict},
		{"an answer by the facilitator", Host, answer("2"), CodeForbidden},
		{"an answer to a quiz not on screen", "Ana", func() Command { c := answer("0"); c.Activity = other; return c }(), CodeForbidden},
		{"a vote on a quiz", "Ana", Command{Op: "vote", Choices: []int{0}}, CodeBadRequest},
		{"opening it again", Host, Command{Op: "activity.open"}, CodeConflict},
	}
	for _, tt := range answers {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused(tt.actor, tt.c, tt.code)
		})
	}
	r.t = t
	// At the last moment it counts; a millisecond later it does not, on
	// every replica, whatever the close.
	r.wait(10 * time.Second)
	r.wait(time.Millisecond)
	r.refused("Ana", answer("2"), CodeActivityClosed)
	out := r.apply("Ana", answer("2"))
	scEqual(t, "the reason a page says", out.Result.Err.Reason, ReasonTimeUp)

	// Closed, a quiz does not open again: its answers were scored against
	// the clock of its run.
	r.host(Command{Op: "activity.close"})
	r.refused(Host, Command{Op: "activity.open"}, CodeConflict)
	r.refused("Ana", answer("2"), CodeActivityClosed)
	r.host(Command{Op: "session.end"})
	r.refused("Ana", answer("2"), CodeSessionEnded)
}

// A dry check without a time leaves the clock to the reducer; with one it
// judges as the reducer will.
func TestQuizCheckWithAndWithoutATime(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana")
	r.show(scSpec(t, `{"kind":"quiz","title":"q","options":["a","b"],"correct":[0],"seconds":5}`))
	r.host(Command{Op: "activity.open"})
	late := answer("0")
	late.Activity, late.ID = r.act, "late"
	if err := r.s.Check(r.who["Ana"], late); err != nil {
		t.Fatalf("a check without a time: %v", err)
	}
	if err := r.s.CheckAt(r.who["Ana"], late, r.now.Add(5*time.Second)); err != nil {
		t.Fatalf("a check at the last moment: %v", err)
	}
	if err := r.s.CheckAt(r.who["Ana"], late, r.now.Add(5*time.Second+time.Nanosecond)); err == nil || err.Code != CodeActivityClosed {
		t.Fatalf("a check after the time: %v", err)
	}
}

// A session that ends during a quiz closes it with its results; a
// snapshot and a replay of the log give the same quiz.
func TestQuizEndsWithTheSessionAndReplays(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(scSpec(t, `{"kind":"quiz","title":"q","options":["a","b"],"correct":[1],"seconds":30}`))
	r.host(Command{Op: "activity.open"})
	r.wait(1500 * time.Millisecond)
	r.by("Ana", answer("1"))
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false)})
	r.host(Command{Op: "session.end"})
	v := r.view(Attendee)
	scEqual(t, "attendees kept from the results", []any{v["state"], v["correct"], v["leaderboard"], v["responses"]}, []any{"closed", nil, nil, float64(1)})
	scEqual(t, "but told their own", r.you("Ana"), `{"choice":1,"correct":true,"name":"Ana","points":975,"rank":1,"total":975}`)
	scEqual(t, "the display's board", r.view(Display)["leaderboard"], any([]any{map[string]any{"rank": float64(1), "name": "Ana", "points": float64(975)}}))

	back, raw := r.snapshot()
	for name, s := range map[string]*State{"snapshot": back, "replay": r.replayed()} {
		again, _ := json.Marshal(s)
		if string(again) != string(raw) {
			t.Fatalf("%s differs:\n%s\n%s", name, raw, again)
		}
		a, b := r.s.Activity(r.act), s.Activity(r.act)
		for _, role := range []Role{Facilitator, Display, Attendee} {
			if !reflect.DeepEqual(scDecode(t, a.View(role)), scDecode(t, b.View(role))) {
				t.Errorf("%s: the %s view differs", name, role)
			}
		}
		if !reflect.DeepEqual(a.CSV(), b.CSV()) || !reflect.DeepEqual(scDecode(t, a.Export()), scDecode(t, b.Export())) {
			t.Errorf("%s: the export differs", name)
		}
		for _, n := range r.names {
			if !reflect.DeepEqual(a.You(r.who[n]), b.You(r.who[n])) {
				t.Errorf("%s: %s's own data differs", name, n)
			}
		}
	}
	if !strings.Contains(string(raw), `"quiz":{`) {
		t.Fatalf("the snapshot does not keep the quiz under its field: %s", raw)
	}
}

// A quiz's options are texts like a poll's: each phone reads them in its
// language, facilitators and displays get every translation, and the
// answers count per option whatever the language.
func TestQuizInTwoLanguages(t *testing.T) {
	t.Parallel()
	r := trilingual(t)
	r.show(scSpec(t, `{"kind":"quiz","title":{"en":"Capital?","fr":"Capitale ?"},
		"options":[{"en":"Bern","fr":"Berne"},{"en":"Zurich","fr":"Zurich"}],"correct":[0]}`))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", answer("0"))
	r.by("Bruno", answer("0"))
	r.host(Command{Op: "activity.close"})
	fr := scDecode(t, r.s.Activity(r.act).ViewIn(Attendee, "fr"))
	scEqual(t, "a French phone", []any{fr["title"], scOptions(fr)[0]}, []any{"Capitale ?", map[string]any{"label": "Berne", "count": float64(2)}})
	d := scDecode(t, r.s.Activity(r.act).ViewIn(Display, "en"))
	scEqual(t, "the display's translations", scOptions(d)[0].(map[string]any)["labels"], any(map[string]any{"en": "Bern", "fr": "Berne"}))
	// A translation into a language the session lacks is refused.
	spec := scSpec(t, `{"kind":"quiz","title":"q","options":[{"de":"Bern"},"Zurich"],"correct":[0]}`)
	r.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
}
