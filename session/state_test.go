package session

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// scScript plays a facilitation script against a State, like the hub
// would: every event gets the next offset and the script's clock. Each
// command is first judged by State.Check, which must change nothing and
// agree with what Apply then answers. The events are kept so that a test
// can replay the log.
type scScript struct {
	t      *testing.T
	s      *State
	now    time.Time
	off    uint64
	events []Event
	act    string            // the activity commands go to unless they name one
	who    map[string]string // attendee name → participant id
	names  []string          // attendees in join order
}

var scStart = time.Date(2025, 6, 2, 14, 0, 0, 0, time.UTC)

// scNew starts a session.
func scNew(t *testing.T) *scScript {
	t.Helper()
	r := &scScript{t: t, s: &State{}, now: scStart, who: map[string]string{}}
	r.apply("", Command{Op: OpCreate, Session: "s1", Code: "87654321", Title: "After the crisis", Rules: CurrentRules})
	return r
}

// join adds attendees; each becomes "p<offset of its join>".
func (r *scScript) join(names ...string) {
	r.t.Helper()
	for _, n := range names {
		r.apply("", Command{Op: OpJoin, Name: n})
		r.who[n] = fmt.Sprintf("p%d", r.off)
		r.names = append(r.names, n)
	}
}

// create adds an activity, which becomes the script's current one.
func (r *scScript) create(spec ActivitySpec) string {
	r.t.Helper()
	r.act = r.host(Command{Op: "activity.create", Spec: &spec}).Result.Activity
	return r.act
}

// show creates an activity and presents it: attendees answer only the
// activity on screen.
func (r *scScript) show(spec ActivitySpec) string {
	r.t.Helper()
	id := r.create(spec)
	r.host(Command{Op: "activity.present", Activity: id})
	return id
}

func (r *scScript) wait(d time.Duration) { r.now = r.now.Add(d) }

// scNeedsActivity lists the ops that the script points at its current
// activity when they name none.
func scNeedsActivity(op string) bool {
	switch op {
	case OpCreate, OpJoin, "activity.create", "activity.present", "session.end":
		return false
	}
	return true
}

// apply appends one event. actor is "", Host or an attendee's name.
func (r *scScript) apply(actor string, c Command) Outcome {
	r.t.Helper()
	if p, ok := r.who[actor]; ok {
		actor = p
	}
	if c.Activity == "" && scNeedsActivity(c.Op) {
		c.Activity = r.act
	}
	if actor != "" && c.ID == "" {
		c.ID = fmt.Sprintf("c%d", r.off+1)
	}
	_, seen := r.s.Seen(actor, c.ID)
	judge := !seen && c.Op != OpCreate && c.Op != OpJoin
	var checked *Error
	if judge {
		before := r.stateJSON()
		checked = r.s.CheckAt(actor, c, r.now)
		if after := r.stateJSON(); after != before {
			r.t.Fatalf("Check(%s %s) changed the state", actor, c.Op)
		}
	}
	r.off++
	e := Event{Offset: r.off, Time: r.now, Actor: actor, Cmd: c}
	r.events = append(r.events, e)
	out := r.s.Apply(e)
	if judge && !reflect.DeepEqual(checked, out.Result.Err) {
		r.t.Fatalf("%s by %s: Check said %v, Apply said %v", c.Op, actor, checked, out.Result.Err)
	}
	return out
}

// quick applies an attendee's command that must succeed, without asking
// Check first: for the long loops of a test, where comparing the whole
// state before and after each Check would take most of the time.
func (r *scScript) quick(name string, c Command) Outcome {
	r.t.Helper()
	if c.Activity == "" && scNeedsActivity(c.Op) {
		c.Activity = r.act
	}
	if c.ID == "" {
		c.ID = fmt.Sprintf("c%d", r.off+1)
	}
	r.off++
	e := Event{Offset: r.off, Time: r.now, Actor: r.who[name], Cmd: c}
	r.events = append(r.events, e)
	out := r.s.Apply(e)
	if out.Result.Err != nil || out.Duplicate {
		r.t.Fatalf("%s by %s: %+v", c.Op, name, out)
	}
	return out
}

// host runs a facilitator command that must succeed.
func (r *scScript) host(c Command) Outcome {
	r.t.Helper()
	out := r.apply(Host, c)
	if out.Result.Err != nil {
		r.t.Fatalf("%s: %v", c.Op, out.Result.Err)
	}
	return out
}

// by runs an attendee's command that must succeed.
func (r *scScript) by(name string, c Command) Outcome {
	r.t.Helper()
	out := r.apply(name, c)
	if out.Result.Err != nil {
		r.t.Fatalf("%s by %s: %v", c.Op, name, out.Result.Err)
	}
	return out
}

// refused runs a command that must fail with code and change nothing: not
// the state (but for the memory of answers and the offset), not any view.
func (r *scScript) refused(actor string, c Command, code string) {
	r.t.Helper()
	before, beforeViews := r.stateJSONWithoutMemory(), r.everything()
	out := r.apply(actor, c)
	if out.Result.Err == nil || out.Result.Err.Code != code {
		r.t.Fatalf("%s by %s: got %v, want %s", c.Op, actor, out.Result.Err, code)
	}
	if out.Change.Header || out.Change.Activity != "" || len(out.Change.You) > 0 {
		r.t.Fatalf("%s by %s was refused but reports a change: %+v", c.Op, actor, out.Change)
	}
	if after := r.stateJSONWithoutMemory(); after != before {
		r.t.Fatalf("%s by %s was refused but changed the state:\nbefore %s\nafter  %s", c.Op, actor, before, after)
	}
	if after := r.everything(); after != beforeViews {
		r.t.Fatalf("%s by %s was refused but changed the views:\nbefore %s\nafter  %s", c.Op, actor, beforeViews, after)
	}
}

func (r *scScript) stateJSON() string {
	r.t.Helper()
	b, err := json.Marshal(r.s)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// stateJSONWithoutMemory is the state's JSON without what every event
// changes, refused or not: the offset and the answers remembered per id.
func (r *scScript) stateJSONWithoutMemory() string {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.stateJSON()), &m); err != nil {
		r.t.Fatal(err)
	}
	delete(m, "offset")
	delete(m, "results")
	b, err := json.Marshal(m)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// everything is what any role or participant can see, as JSON.
func (r *scScript) everything() string {
	r.t.Helper()
	parts := []any{r.s.View(Facilitator), r.s.View(Attendee), r.s.View(Display)}
	for _, a := range r.s.Activities {
		parts = append(parts, a.View(Facilitator), a.View(Attendee), a.View(Display), a.Export())
		for _, n := range r.names {
			parts = append(parts, a.You(r.who[n]))
		}
	}
	b, err := json.Marshal(parts)
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// everythingOf is what role sees of the session and the current activity,
// as JSON.
func (r *scScript) everythingOf(role Role) string {
	r.t.Helper()
	b, err := json.Marshal([]any{r.s.View(role), r.s.Activity(r.act).View(role)})
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// view is the current activity's view for role ("export" for the export),
// decoded generically so that absent fields stay absent.
func (r *scScript) view(role Role) map[string]any {
	r.t.Helper()
	a := r.s.Activity(r.act)
	if a == nil {
		r.t.Fatalf("no activity %q", r.act)
	}
	var x any = a.View(role)
	if role == "export" {
		x = a.Export()
	}
	return scDecode(r.t, x)
}

// session is the session view for role, decoded generically.
func (r *scScript) session(role Role) map[string]any {
	r.t.Helper()
	return scDecode(r.t, r.s.View(role))
}

// you is a participant's own data in the current activity, as JSON.
func (r *scScript) you(name string) string {
	r.t.Helper()
	b, err := json.Marshal(r.s.Activity(r.act).You(r.who[name]))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func scDecode(t *testing.T, x any) map[string]any {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// scInto decodes x's JSON into a typed value, as a client would.
func scInto[T any](t *testing.T, x any) T {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func scEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func scPtr[T any](v T) *T { return &v }

// scIDs lists the ids of the activities in a decoded session view.
func scIDs(v map[string]any) []string {
	out := []string{}
	for _, a := range v["activities"].([]any) {
		out = append(out, a.(map[string]any)["id"].(string))
	}
	return out
}

func TestSessionCreateAndJoin(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	scEqual(t, "participant ids", []string{r.who["Ana"], r.who["Ben"]}, []string{"p2", "p3"})
	for _, role := range []Role{Facilitator, Display, Attendee} {
		v := r.session(role)
		scEqual(t, string(role)+" header", []any{v["id"], v["code"], v["title"], v["state"], v["presented"], v["participants"]},
			[]any{"s1", "87654321", "After the crisis", "live", "", float64(2)})
		scEqual(t, string(role)+" activities", scIDs(v), []string{})
	}
	out := r.apply("", Command{Op: OpCreate, Session: "s2", Code: "1", Title: "again"})
	scEqual(t, "second create", out.Result.Err.Code, CodeForbidden)
	r.refused(Host, Command{Op: OpJoin, Name: "Mallory"}, CodeForbidden)
	r.refused("Ana", Command{Op: OpCreate, Session: "s3"}, CodeForbidden)
	scEqual(t, "title kept", r.s.Title, "After the crisis")
}

// An event at or below the state's offset was applied already (a replica
// catching up from a snapshot sees it again): it is ignored.
func TestApplyIgnoresOldOffsets(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Bikes?", Options: []string{"yes", "no"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{0}})
	before := r.stateJSON()
	old := r.events[len(r.events)-1]
	old.Cmd.ID = "another id"
	old.Cmd.Choices = []int{1}
	if out := r.s.Apply(old); !out.Duplicate || out.Result.Err != nil {
		t.Fatalf("old offset: %+v", out)
	}
	old.Offset = 2
	r.s.Apply(old)
	scEqual(t, "state after old events", r.stateJSON(), before)
}

// Check judges a command as Apply would, and changes nothing; the script
// asserts both for every command, so this test walks through accepted and
// refused commands of every kind here.
func TestCheckAgreesWithApply(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b", "c"}, Multi: true, MaxChoices: 2})
	cloud := r.create(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 1})
	qa := r.create(ActivitySpec{Kind: KindQA, Title: "Questions", Moderated: true})
	type step struct {
		actor string
		c     Command
		code  string // "" when accepted
	}
	steps := []step{
		{"Ana", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden},
		{Host, Command{Op: "activity.present", Activity: poll}, ""},
		{"Ana", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeActivityClosed},
		{Host, Command{Op: "activity.open", Activity: poll}, ""},
		{Host, Command{Op: "activity.open", Activity: poll}, CodeConflict},
		{"Ana", Command{Op: "vote", Activity: poll, Choices: []int{0, 2}}, ""},
		{"Ana", Command{Op: "vote", Activity: poll, Choices: []int{0, 1, 2}}, CodeInvalidChoice},
		{"Ben", Command{Op: "vote", Activity: poll, Choices: []int{1}}, ""},
		{Host, Command{Op: "activity.present", Activity: cloud, Current: scPtr(qa)}, CodeConflict},
		{Host, Command{Op: "activity.present", Activity: cloud, Current: scPtr(poll)}, ""},
		{"Ben", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden},
		{"Ben", Command{Op: "word.submit", Activity: cloud, Text: "air"}, CodeActivityClosed},
		{Host, Command{Op: "activity.close", Activity: cloud}, CodeConflict},
		{Host, Command{Op: "activity.open", Activity: cloud}, ""},
		{"Ben", Command{Op: "word.submit", Activity: cloud, Text: "air"}, ""},
		{"Ben", Command{Op: "word.submit", Activity: cloud, Text: "water"}, CodeBadRequest},
		{Host, Command{Op: "word.approve", Activity: cloud, Text: "fire"}, CodeNotFound},
		{Host, Command{Op: "word.hide", Activity: cloud, Text: "AIR"}, ""},
		{Host, Command{Op: "activity.open", Activity: qa}, ""},
		{Host, Command{Op: "activity.present", Activity: qa}, ""},
		{"Ana", Command{Op: "qa.ask", Activity: qa, Text: "Why?"}, ""},
		{"Ben", Command{Op: "qa.upvote", Activity: qa, Entry: "q27"}, CodeNotFound},
		{Host, Command{Op: "qa.moderate", Activity: qa, Entry: "q27", Action: "approve"}, ""},
		{"Ben", Command{Op: "qa.upvote", Activity: qa, Entry: "q27"}, ""},
		{"Ben", Command{Op: "qa.moderate", Activity: qa, Entry: "q27", Action: "hide"}, CodeForbidden},
		{Host, Command{Op: "activity.present", Activity: "nope"}, CodeNotFound},
		{Host, Command{Op: "activity.present", Activity: qa}, CodeConflict},
		{Host, Command{Op: "activity.close", Activity: poll}, ""},
		{Host, Command{Op: "activity.close", Activity: poll}, CodeConflict},
		{"Ana", Command{Op: "no.such.op", Activity: qa}, CodeBadRequest},
		{Host, Command{Op: "session.end"}, ""},
		{"Ana", Command{Op: "qa.ask", Activity: qa, Text: "Late"}, CodeSessionEnded},
	}
	for i, st := range steps {
		out := r.apply(st.actor, st.c)
		got := ""
		if out.Result.Err != nil {
			got = out.Result.Err.Code
		}
		if got != st.code {
			t.Fatalf("step %d (%s by %s): got %q, want %q (%v)", i, st.c.Op, st.actor, got, st.code, out.Result.Err)
		}
	}
}

// Every refused command changes nothing, whoever sends it and whatever the
// activity.
func TestRefusedCommandsChangeNothing(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b", "c"}})
	cloud := r.create(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 2, MaxLength: 10})
	qa := r.create(ActivitySpec{Kind: KindQA, Title: "Questions"})
	for _, id := range []string{poll, cloud, qa} {
		r.host(Command{Op: "activity.open", Activity: id})
	}
	r.host(Command{Op: "activity.present", Activity: poll})
	r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{2}})
	r.host(Command{Op: "activity.present", Activity: qa})
	q := r.by("Ben", Command{Op: "qa.ask", Activity: qa, Text: "Where is the money?"}).Result.Entry
	r.by("Ana", Command{Op: "qa.upvote", Activity: qa, Entry: q})
	r.host(Command{Op: "activity.present", Activity: cloud})
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "air"})
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "Air"})

	tests := []struct {
		name  string
		actor string
		c     Command
		code  string
	}{
		{"create by attendee", "Ana", Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindPoll, Title: "x", Options: []string{"a", "b"}}}, CodeForbidden},
		{"create without spec", Host, Command{Op: "activity.create"}, CodeBadRequest},
		{"create of an unknown kind", Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: "survey"}}, CodeBadRequest},
		{"create with a control character in the title", Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "a\x00"}}, CodeBadRequest},
		{"open by attendee", "Ana", Command{Op: "activity.open", Activity: poll}, CodeForbidden},
		{"close by attendee", "Ana", Command{Op: "activity.close", Activity: poll}, CodeForbidden},
		{"reveal by attendee", "Ana", Command{Op: "activity.reveal", Activity: poll, Attendees: scPtr(true)}, CodeForbidden},
		{"present by attendee", "Ana", Command{Op: "activity.present", Activity: poll}, CodeForbidden},
		{"present an unknown activity", Host, Command{Op: "activity.present", Activity: "a999"}, CodeNotFound},
		{"end by attendee", "Ana", Command{Op: "session.end"}, CodeForbidden},
		{"no actor", "", Command{Op: "activity.close", Activity: poll}, CodeForbidden},
		{"vote by host", Host, Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden},
		{"vote without activity", "Ana", Command{Op: "vote", Activity: "", Choices: []int{0}}, CodeBadRequest},
		{"vote on an unknown activity", "Ana", Command{Op: "vote", Activity: "a999", Choices: []int{0}}, CodeForbidden},
		{"vote on a poll not on screen", "Ben", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden},
		{"upvote on a board not on screen", "Ana", Command{Op: "qa.upvote", Activity: qa, Entry: q}, CodeForbidden},
		{"open of an open poll", Host, Command{Op: "activity.open", Activity: poll}, CodeConflict},
		{"present what is on screen", Host, Command{Op: "activity.present", Activity: cloud}, CodeConflict},
		{"present after the screen changed", Host, Command{Op: "activity.present", Activity: poll, Current: scPtr(qa)}, CodeConflict},
		{"vote on a word cloud", "Ana", Command{Op: "vote", Activity: cloud, Choices: []int{0}}, CodeBadRequest},
		{"vote out of range", "Ben", Command{Op: "vote", Activity: poll, Choices: []int{3}}, CodeInvalidChoice},
		{"vote replacing with too many", "Ana", Command{Op: "vote", Activity: poll, Choices: []int{0, 1}}, CodeInvalidChoice},
		{"unknown op", "Ana", Command{Op: "poll.stuff", Activity: poll}, CodeBadRequest},
		{"unknown op without activity", "Ana", Command{Op: "poll.stuff", Activity: ""}, CodeBadRequest},
		{"unknown op on an unknown activity", "Ana", Command{Op: "poll.stuff", Activity: "a999"}, CodeBadRequest},
		{"word submit by host", Host, Command{Op: "word.submit", Activity: cloud, Text: "x"}, CodeForbidden},
		{"word over maxEntries", "Ana", Command{Op: "word.submit", Activity: cloud, Text: "fire"}, CodeBadRequest},
		{"word too long", "Ben", Command{Op: "word.submit", Activity: cloud, Text: "abcdefghijk"}, CodeBadRequest},
		{"word empty", "Ben", Command{Op: "word.submit", Activity: cloud, Text: " \t "}, CodeBadRequest},
		{"word with control", "Ben", Command{Op: "word.submit", Activity: cloud, Text: "a\x07b"}, CodeBadRequest},
		{"word hide by attendee", "Ana", Command{Op: "word.hide", Activity: cloud, Text: "air"}, CodeForbidden},
		{"word unhide by attendee", "Ana", Command{Op: "word.unhide", Activity: cloud, Text: "air"}, CodeForbidden},
		{"word approve by attendee", "Ana", Command{Op: "word.approve", Activity: cloud, Text: "air"}, CodeForbidden},
		{"word approve of an unknown word", Host, Command{Op: "word.approve", Activity: cloud, Text: "fire"}, CodeNotFound},
		{"word hide of nothing", Host, Command{Op: "word.hide", Activity: cloud, Text: ""}, CodeBadRequest},
		{"ask by host", Host, Command{Op: "qa.ask", Activity: qa, Text: "x"}, CodeForbidden},
		{"ask empty", "Ben", Command{Op: "qa.ask", Activity: qa, Text: ""}, CodeBadRequest},
		{"ask on a poll", "Ben", Command{Op: "qa.ask", Activity: poll, Text: "x"}, CodeBadRequest},
		{"upvote unknown entry", "Ben", Command{Op: "qa.upvote", Activity: qa, Entry: "q1"}, CodeNotFound},
		{"moderate by attendee", "Ben", Command{Op: "qa.moderate", Activity: qa, Entry: q, Action: "hide"}, CodeForbidden},
		{"moderate with an unknown action", Host, Command{Op: "qa.moderate", Activity: qa, Entry: q, Action: "delete"}, CodeBadRequest},
		{"moderate an unknown entry", Host, Command{Op: "qa.moderate", Activity: qa, Entry: "q1", Action: "hide"}, CodeNotFound},
	}
	// Attendees answer what is on screen: each case is played with its
	// activity presented, but those about the screen itself.
	offScreen := map[string]bool{"vote on a poll not on screen": true, "upvote on a board not on screen": true,
		"present what is on screen": true, "present after the screen changed": true}
	// Commands without an activity must reach the reducer without one.
	r.act = ""
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			if a := r.s.Activity(tt.c.Activity); offScreen[tt.name] {
				if r.s.Presented != cloud {
					r.host(Command{Op: "activity.present", Activity: cloud})
				}
			} else if a != nil && r.s.Presented != a.ID {
				r.host(Command{Op: "activity.present", Activity: a.ID})
			}
			r.refused(tt.actor, tt.c, tt.code)
		})
	}
	r.t = t
	r.host(Command{Op: "session.end"})
	r.refused(Host, Command{Op: "activity.open", Activity: poll}, CodeSessionEnded)
	r.refused("Ben", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeSessionEnded)
}

// A command id is remembered with its answer per participant: a retry
// takes effect once and gets the same answer, even a refusal.
func TestCommandIDsDeduplicated(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b", "c"}})
	closed := r.apply("Ana", Command{ID: "early", Op: "vote", Choices: []int{0}})
	scEqual(t, "vote in draft", closed.Result.Err.Code, CodeActivityClosed)
	r.host(Command{Op: "activity.open"})
	again := r.apply("Ana", Command{ID: "early", Op: "vote", Choices: []int{0}})
	if !again.Duplicate || !reflect.DeepEqual(again.Result, closed.Result) {
		t.Fatalf("retry of a refused command: %+v, want the first answer %+v", again, closed.Result)
	}
	scEqual(t, "nobody voted yet", r.view(Facilitator)["voters"], any(float64(0)))

	first := r.by("Ana", Command{ID: "v1", Op: "vote", Choices: []int{1}})
	if first.Duplicate || len(first.Change.You) != 1 {
		t.Fatalf("first vote: %+v", first)
	}
	before := r.stateJSONWithoutMemory()
	retry := r.apply("Ana", Command{ID: "v1", Op: "vote", Choices: []int{2}})
	if !retry.Duplicate || !reflect.DeepEqual(retry.Result, first.Result) || !reflect.DeepEqual(retry.Change, Change{}) {
		t.Fatalf("retry: %+v", retry)
	}
	scEqual(t, "state after the retry", r.stateJSONWithoutMemory(), before)
	scEqual(t, "Ana's choice", r.you("Ana"), `{"choices":[1]}`)

	// The same id from someone else is another command.
	other := r.apply("Ben", Command{ID: "v1", Op: "vote", Choices: []int{1}})
	if other.Duplicate || other.Result.Err != nil {
		t.Fatalf("Ben's v1: %+v", other)
	}
	type poll struct {
		Options []struct{ Votes int }
		Voters  int
	}
	p := scInto[poll](t, r.view(Facilitator))
	scEqual(t, "counts", []int{p.Options[0].Votes, p.Options[1].Votes, p.Options[2].Votes, p.Voters}, []int{0, 2, 0, 2})

	// The host's ids are its own too.
	h := r.host(Command{ID: "v1", Op: "activity.reveal", Attendees: scPtr(true)})
	if h.Duplicate {
		t.Fatal("the host's v1 was taken for Ana's")
	}

	// Commands without an id are never taken for retries.
	r.by("Ben", Command{ID: "", Op: "vote", Choices: []int{0}})
}

// The window keeps at least a participant's last 1,000 ids.
func TestCommandIDWindow(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open"})
	const n = 1001
	for i := range n {
		r.quick("Ana", Command{ID: fmt.Sprintf("id-%d", i), Op: "vote", Choices: []int{i % 2}})
	}
	r.by("Ben", Command{ID: "id-0", Op: "vote", Choices: []int{0}})
	scEqual(t, "Ana's last vote", r.you("Ana"), `{"choices":[0]}`)
	// The last 1,000 are answered from memory: they would otherwise
	// change Ana's vote back to 1 half of the time.
	for i := n - 1000; i < n; i++ {
		r.off++
		out := r.s.Apply(Event{Offset: r.off, Time: r.now, Actor: r.who["Ana"],
			Cmd: Command{ID: fmt.Sprintf("id-%d", i), Op: "vote", Activity: r.act, Choices: []int{1}}})
		if !out.Duplicate {
			t.Fatalf("id-%d was forgotten", i)
		}
	}
	scEqual(t, "Ana's vote after the retries", r.you("Ana"), `{"choices":[0]}`)
	if _, ok := r.s.Seen(r.who["Ben"], "id-0"); !ok {
		t.Fatal("Ana's ids pushed out Ben's")
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
		err  bool
	}{
		{`{"type":"cmd","id":"c-1","op":"vote","activity":"a3","choices":[0,2]}`,
			Command{ID: "c-1", Op: "vote", Activity: "a3", Choices: []int{0, 2}}, false},
		{`{"type":"cmd","id":"c-2","op":"activity.create","activity":{"kind":"wordcloud","title":"One word","maxEntries":3,"moderation":"show"}}`,
			Command{ID: "c-2", Op: "activity.create", Spec: &ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 3, Moderation: "show"}}, false},
		{`{"type":"cmd","id":"c-3","op":"activity.present","activity":""}`, Command{ID: "c-3", Op: "activity.present"}, false},
		{`{"type":"cmd","op":"activity.reveal","activity":"a1","attendees":true}`,
			Command{Op: "activity.reveal", Activity: "a1", Attendees: scPtr(true)}, false},
		{`{"type":"cmd","op":"vote","spec":{"kind":"poll"},"activity":"a1"}`, Command{Op: "vote", Activity: "a1"}, false},
		{`{"type":"cmd","op":"vote","activity":{"kind":"poll"}}`, Command{}, true},
		{`{"type":"cmd","op":"activity.create","activity":"a1"}`, Command{}, true},
		{`{"type":"cmd","op":"vote","choices":"all"}`, Command{}, true},
		{`not json`, Command{}, true},
	}
	for _, tt := range tests {
		got, err := ParseCommand([]byte(tt.in))
		if (err != nil) != tt.err {
			t.Fatalf("%s: error %v", tt.in, err)
		}
		if tt.err {
			if !strings.Contains(err.Error(), ErrMalformed.Error()) {
				t.Fatalf("%s: error %v does not wrap ErrMalformed", tt.in, err)
			}
			continue
		}
		scEqual(t, tt.in, got, tt.want)
	}
}

// scMixed plays a session with a poll, a word cloud and a Q&A board, with
// refused commands and retries among the accepted ones.
func scMixed(t *testing.T) (r *scScript, poll, cloud, qa string) {
	r = scNew(t)
	r.join("Ana", "Ben", "Chloé", "Dan")
	poll = r.create(ActivitySpec{Kind: KindPoll, Title: "Priorities", Options: []string{"Housing", "Transport", "Parks"}, Multi: true, MaxChoices: 2})
	cloud = r.create(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 2})
	qa = r.create(ActivitySpec{Kind: KindQA, Title: "Questions", Moderated: true})
	r.host(Command{Op: "activity.present", Activity: poll})
	r.host(Command{Op: "activity.open", Activity: poll})
	r.wait(time.Second)
	r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{0, 2}})
	r.by("Ben", Command{ID: "b1", Op: "vote", Activity: poll, Choices: []int{1}})
	r.apply("Ben", Command{ID: "b1", Op: "vote", Activity: poll, Choices: []int{2}})
	r.apply("Chloé", Command{Op: "vote", Activity: poll, Choices: []int{0, 1, 2}})
	r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{1}})
	r.host(Command{Op: "activity.reveal", Activity: poll, Attendees: scPtr(true)})
	r.host(Command{Op: "activity.close", Activity: poll})
	r.host(Command{Op: "activity.present", Activity: cloud})
	r.host(Command{Op: "activity.open", Activity: cloud})
	r.wait(time.Second)
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "Water"})
	r.by("Ben", Command{Op: "word.submit", Activity: cloud, Text: " water "})
	r.by("Chloé", Command{Op: "word.submit", Activity: cloud, Text: "merde"})
	r.by("Dan", Command{Op: "word.submit", Activity: cloud, Text: "Straße"})
	r.by("Dan", Command{Op: "word.submit", Activity: cloud, Text: "shit"})
	r.apply("Dan", Command{Op: "word.submit", Activity: cloud, Text: "air"})
	r.host(Command{Op: "word.approve", Activity: cloud, Text: "MERDE"})
	r.host(Command{Op: "word.hide", Activity: cloud, Text: "strasse"})
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "STRASSE"})
	r.host(Command{Op: "activity.present", Activity: qa})
	r.host(Command{Op: "activity.open", Activity: qa})
	r.wait(time.Second)
	q1 := r.by("Ana", Command{Op: "qa.ask", Activity: qa, Text: "Who pays?"}).Result.Entry
	r.wait(time.Second)
	q2 := r.by("Ben", Command{Op: "qa.ask", Activity: qa, Text: "When?"}).Result.Entry
	q3 := r.by("Chloé", Command{Op: "qa.ask", Activity: qa, Text: "Why not trams?"}).Result.Entry
	r.host(Command{Op: "qa.moderate", Activity: qa, Entry: q1, Action: "approve"})
	r.host(Command{Op: "qa.moderate", Activity: qa, Entry: q3, Action: "approve"})
	r.apply("Dan", Command{Op: "qa.upvote", Activity: qa, Entry: q2})
	r.by("Dan", Command{Op: "qa.upvote", Activity: qa, Entry: q3})
	r.by("Ben", Command{Op: "qa.upvote", Activity: qa, Entry: q3})
	r.by("Ben", Command{Op: "qa.upvote", Activity: qa, Entry: q1})
	r.by("Ben", Command{Op: "qa.upvote", Activity: qa, Entry: q1})
	r.host(Command{Op: "qa.moderate", Activity: qa, Entry: q1, Action: "pin"})
	r.host(Command{Op: "qa.moderate", Activity: qa, Entry: q3, Action: "answered"})
	r.join("Eva")
	r.by("Eva", Command{Op: "qa.upvote", Activity: qa, Entry: q1})
	r.host(Command{Op: "session.end"})
	r.apply("Eva", Command{Op: "qa.ask", Activity: qa, Text: "Too late?"})
	return r, poll, cloud, qa
}

// The state is snapshotted as JSON: a replica restored from any point must
// go on exactly as one that never stopped.
func TestSnapshotRoundTrip(t *testing.T) {
	r, _, _, _ := scMixed(t)
	fullJSON, full := r.stateJSON(), r.everything()
	for cut := 1; cut < len(r.events); cut++ {
		s := &State{}
		for _, e := range r.events[:cut] {
			s.Apply(e)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		restored := &State{}
		if err := json.Unmarshal(b, restored); err != nil {
			t.Fatal(err)
		}
		restored.Restore()
		for _, e := range r.events[cut:] {
			want, got := s.Apply(e), restored.Apply(e)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("cut at %d, event %d (%s): restored replica answered %+v, want %+v", cut, e.Offset, e.Cmd.Op, got, want)
			}
		}
		x := &scScript{t: t, s: restored, who: r.who, names: r.names}
		if got := x.stateJSON(); got != fullJSON {
			t.Fatalf("cut at %d: state differs:\n got %s\nwant %s", cut, got, fullJSON)
		}
		if got := x.everything(); got != full {
			t.Fatalf("cut at %d: views differ:\n got %s\nwant %s", cut, got, full)
		}
	}
}

// The mixed session, checked once end to end from each role's side.
func TestMixedSessionViews(t *testing.T) {
	r, poll, cloud, qa := scMixed(t)
	scEqual(t, "facilitator sees every activity", scIDs(r.session(Facilitator)), []string{poll, cloud, qa})
	scEqual(t, "attendee sees the presented one", scIDs(r.session(Attendee)), []string{qa})
	scEqual(t, "display sees the presented one", scIDs(r.session(Display)), []string{qa})
	scEqual(t, "ended", r.session(Attendee)["state"], any("ended"))
	scEqual(t, "participants", r.session(Display)["participants"], any(float64(5)))
	for _, a := range r.s.Activities {
		scEqual(t, a.ID+" closed by session.end", a.State, Closed)
	}

	r.act = poll
	type pollView struct {
		Options []struct {
			Label string
			Votes int
		}
		Voters int
	}
	p := scInto[pollView](t, r.view(Facilitator))
	scEqual(t, "poll counts", []int{p.Options[0].Votes, p.Options[1].Votes, p.Options[2].Votes, p.Voters}, []int{0, 2, 0, 2})

	r.act = cloud
	type wordsView struct {
		Entries int
		Words   []WordView
	}
	scEqual(t, "cloud export", scInto[wordsView](t, r.view("export")), wordsView{Entries: 6, Words: []WordView{
		{Key: "water", Text: "Water", Count: 2, First: 20},
		{Key: "strasse", Text: "Straße", Count: 2, First: 23, Hidden: true},
		{Key: "merde", Text: "merde", Count: 1, First: 22, Flagged: true},
		{Key: "shit", Text: "shit", Count: 1, First: 24, Flagged: true, Pending: true},
	}})

	r.act = qa
	type qaView struct{ Entries []EntryView }
	var got []string
	for _, e := range scInto[qaView](t, r.view(Attendee)).Entries {
		got = append(got, fmt.Sprintf("%s %s %d %v", e.Text, e.Status, e.Votes, e.Pinned))
	}
	scEqual(t, "attendee's board", got, []string{"Who pays? visible 1 true", "Why not trams? answered 2 false"})
	scEqual(t, "Ben's own", r.you("Ben"),
		`{"entries":[{"id":"q32","text":"When?","votes":0,"status":"pending","pinned":false,"createdAt":"2025-06-02T14:00:04Z"}],"upvoted":["q33"]}`)
}

// snapshot is the state written as JSON and read back, as a restart reads
// a snapshot; raw is what was written.
func (r *scScript) snapshot() (back *State, raw []byte) {
	r.t.Helper()
	raw, err := json.Marshal(r.s)
	if err != nil {
		r.t.Fatal(err)
	}
	back = &State{}
	if err := json.Unmarshal(raw, back); err != nil {
		r.t.Fatal(err)
	}
	back.Restore()
	return back, raw
}

// replayed is the log folded again from the start, each event through
// JSON as a store hands it back.
func (r *scScript) replayed() *State {
	r.t.Helper()
	again := &State{}
	for _, e := range r.events {
		raw, err := json.Marshal(e)
		if err != nil {
			r.t.Fatal(err)
		}
		var back Event
		if err := json.Unmarshal(raw, &back); err != nil {
			r.t.Fatal(err)
		}
		again.Apply(back)
	}
	return again
}
