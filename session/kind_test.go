package session

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Every kind is in the one table, and every op of a kind is known.
func TestKindsAreRegistered(t *testing.T) {
	t.Parallel()
	got := strings.Join(Kinds(), ",")
	for _, k := range []string{KindPoll, KindQA, KindQueue, KindWordcloud} {
		if !strings.Contains(","+got+",", ","+k+",") {
			t.Errorf("kind %s is not registered (have %s)", k, got)
		}
	}
	for name, k := range kinds {
		if k.New == nil || k.Empty == nil || k.Field == "" {
			t.Errorf("kind %s is incomplete", name)
		}
		for op := range k.Ops {
			if !KnownOp(op) {
				t.Errorf("op %s of %s is not known", op, name)
			}
		}
	}
	if KnownOp("vote.twice") {
		t.Error("an op nobody registered is known")
	}
}

// A snapshot of a session with one activity of every kind reads back to
// the same views, exports and own data.
func TestSnapshotKeepsEveryKind(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana", "Bo")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{1}})
	r.show(ActivitySpec{Kind: KindWordcloud, Title: "One word"})
	r.host(Command{Op: "activity.open"})
	r.by("Bo", Command{Op: "word.submit", Text: "Water"})
	r.show(ActivitySpec{Kind: KindQA, Title: "Ask"})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "qa.ask", Text: "Why?"})
	r.show(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	r.host(Command{Op: "activity.open"})
	r.by("Bo", Command{Op: "hand.raise", Kind: "speak", Name: "Bo"})

	back, raw := r.snapshot()
	again, _ := json.Marshal(back)
	if string(again) != string(raw) {
		t.Fatalf("snapshot changed on a round trip:\n%s\n%s", raw, again)
	}
	for _, a := range r.s.Activities {
		b := back.Activity(a.ID)
		for _, role := range []Role{Facilitator, Display, Attendee} {
			if !reflect.DeepEqual(scDecode(t, a.View(role)), scDecode(t, b.View(role))) {
				t.Errorf("%s view of %s differs after restore", role, a.Kind)
			}
		}
		if !reflect.DeepEqual(a.CSV(), b.CSV()) || !reflect.DeepEqual(scDecode(t, a.Export()), scDecode(t, b.Export())) {
			t.Errorf("export of %s differs after restore", a.Kind)
		}
		for _, n := range r.names {
			if !reflect.DeepEqual(scDecode(t, a.You(r.who[n])), scDecode(t, b.You(r.who[n]))) {
				t.Errorf("%s's own data in %s differs after restore", n, a.Kind)
			}
		}
	}
	// The restored state goes on where the first one was.
	if out := back.Apply(Event{Offset: r.off + 1, Time: r.now, Actor: r.who["Ana"], Cmd: Command{ID: "x", Op: "hand.raise", Activity: r.act, Kind: "speak", Name: "Ana"}}); out.Result.Err != nil {
		t.Fatal(out.Result.Err)
	}
}

// A spec keeps the fields a kind reads on its own, through the log's
// encoding, and the kind decodes them.
func TestSpecKeepsFieldsOfKinds(t *testing.T) {
	t.Parallel()
	c, err := ParseCommand([]byte(`{"type":"cmd","id":"c1","op":"activity.create","activity":{"kind":"poll","title":"T","options":["a","b"],"statements":["x","y"],"labels":{"min":"low"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Spec == nil || len(c.Spec.Options) != 2 || string(c.Spec.Extra["statements"]) != `["x","y"]` {
		t.Fatalf("spec: %+v", c.Spec)
	}
	logged, _ := json.Marshal(Event{Offset: 2, Cmd: c})
	var back Event
	if err := json.Unmarshal(logged, &back); err != nil {
		t.Fatal(err)
	}
	var own struct {
		Statements []string          `json:"statements"`
		Labels     map[string]string `json:"labels"`
		Options    []string          `json:"options"`
	}
	if err := back.Cmd.Spec.Decode(&own); err != nil {
		t.Fatal(err)
	}
	if strings.Join(own.Statements, ",") != "x,y" || own.Labels["min"] != "low" || len(own.Options) != 2 {
		t.Fatalf("decoded from the log: %+v", own)
	}
}

// session.update changes only what it names, and a refused one nothing.
func TestSessionUpdate(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana")
	r.refused(Host, Command{Op: OpUpdate}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Languages: []string{"en", "not a tag"}}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Languages: []string{"en", "EN"}}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Languages: []string{}}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Constituencies: plainTexts("Cities", "cities")}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Constituencies: plainTexts("Cities", "Other")}, CodeBadRequest)
	r.refused(Host, Command{Op: OpUpdate, Constituencies: plainTexts("Cities", "  ")}, CodeBadRequest)
	// A bad field refuses the good ones beside it.
	r.refused(Host, Command{Op: OpUpdate, Title: "New", Languages: []string{"xx-!!"}}, CodeBadRequest)
	r.refused("Ana", Command{Op: OpUpdate, Title: "Mine now"}, CodeForbidden)

	yes := true
	out := r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr-ca", "es"}, Constituencies: plainTexts(" Local  governments ", "Civil society"), Reactions: &yes})
	if !out.Change.Header {
		t.Error("an update does not push the header")
	}
	v := r.session(Attendee)
	if v["title"] != "After the crisis" || !reflect.DeepEqual(v["languages"], []any{"en", "fr-CA", "es"}) ||
		!reflect.DeepEqual(v["constituencies"], []any{"Local governments", "Civil society"}) || v["reactions"] != true {
		t.Fatalf("after update: %v", v)
	}
	r.host(Command{Op: OpUpdate, Title: "Next"})
	if v := r.session(Display); v["title"] != "Next" || v["reactions"] != true || len(v["languages"].([]any)) != 3 {
		t.Fatalf("a title update changed more: %v", v)
	}
	r.host(Command{Op: OpEnd})
	r.refused(Host, Command{Op: OpUpdate, Title: "After"}, CodeSessionEnded)
}

// sayKind is a kind that exists in this test only: its op reads a field of
// its own, as the kinds of version 1.2 do.
type sayBody struct {
	Said []string `json:"said"`
}

func (b *sayBody) View(a *Activity, role Role, lang string) any { return b }
func (b *sayBody) Export(a *Activity) any                       { return b }
func (b *sayBody) You(a *Activity, p string) map[string]any {
	return nil
}
func (b *sayBody) CSV(a *Activity) []CSVRow { return nil }

func init() {
	register(Kind{Name: "say", Field: "say", New: func(*ActivitySpec) (Body, *Error) { return &sayBody{}, nil },
		Empty: func() Body { return &sayBody{} },
		Ops: map[string]Op{"say.it": {Role: Attendee, Args: true, Fn: func(a *Activity, e *Event, dry bool) (Result, []string, *Error) {
			var args struct {
				Words []string `json:"words"`
			}
			if err := e.Cmd.Decode(&args); err != nil || len(args.Words) == 0 {
				return Result{}, nil, errorf(CodeBadRequest, "say.it needs words.")
			}
			if !dry {
				b := a.Body.(*sayBody)
				b.Said = append(b.Said, args.Words...)
			}
			return Result{}, nil, nil
		}}}})
}

// An op's own fields go through the log with the command and are read
// back from it alike.
func TestOpArgsGoThroughTheLog(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.join("Ana")
	r.show(ActivitySpec{Kind: "say"})
	c, err := ParseCommand([]byte(`{"type":"cmd","id":"s1","op":"say.it","activity":"` + r.act + `","words":["hello","world"]}`))
	if err != nil {
		t.Fatal(err)
	}
	logged, _ := json.Marshal(c)
	var back Command
	if err := json.Unmarshal(logged, &back); err != nil {
		t.Fatal(err)
	}
	r.by("Ana", back)
	if got := r.s.Activity(r.act).Body.(*sayBody).Said; strings.Join(got, " ") != "hello world" {
		t.Fatalf("said %v", got)
	}
	// Built without ParseCommand, the op has no fields of its own.
	r.refused("Ana", Command{Op: "say.it", ID: "s2"}, CodeBadRequest)
	// A vote keeps no copy of its message in the log.
	v, _ := ParseCommand([]byte(`{"type":"cmd","id":"v","op":"vote","activity":"a1","choices":[1]}`))
	if v.Args != nil {
		t.Errorf("vote kept its message: %s", v.Args)
	}
}
