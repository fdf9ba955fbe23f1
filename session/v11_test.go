package session

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Version 1.1 of the contract, as found by trying to break it: caps, the
// attendee's scope, stale clicks, strict choices, text kept as received.
// Each test fails without its fix.

// A participant may post 20 entries on one board, a board holds 5,000;
// past either the answer is limit_reached with a sentence a person can
// read, and nothing changes.
func TestQALimits(t *testing.T) {
	t.Run("per participant, default", func(t *testing.T) {
		r := scQAOf(t, ActivitySpec{}, "Ana", "Ben")
		for i := range DefaultQAEntriesPerParticipant {
			r.quick("Ana", Command{Op: "qa.ask", Text: fmt.Sprint("question ", i)})
		}
		r.refused("Ana", Command{Op: "qa.ask", Text: "one more"}, CodeLimitReached)
		out := r.apply("Ana", Command{Op: "qa.ask", Text: "one more"})
		scEqual(t, "message", out.Result.Err.Message, "You have asked 20 questions, the most allowed.")
		// Another participant is not held back, nor is another board.
		r.by("Ben", Command{Op: "qa.ask", Text: "mine"})
		r.show(ActivitySpec{Kind: KindQA, Title: "Second board"})
		r.host(Command{Op: "activity.open"})
		r.by("Ana", Command{Op: "qa.ask", Text: "on the second board"})
		// Hiding an entry does not give its place back: the cap is on
		// what was posted.
		r.act = r.s.Activities[0].ID
		r.host(Command{Op: "activity.present", Activity: r.act})
		r.moderate(r.s.Activities[0].Body.(*QA).Entries[0].ID, "hide")
		r.refused("Ana", Command{Op: "qa.ask", Text: "after a hide"}, CodeLimitReached)
	})
	t.Run("per board", func(t *testing.T) {
		r := scQAOf(t, ActivitySpec{}, "Ana", "Ben", "Chloé")
		r.s.Limits = Limits{QAEntries: 5, QAEntriesPerParticipant: 3}
		for i, n := range []string{"Ana", "Ana", "Ana", "Ben", "Ben"} {
			r.quick(n, Command{Op: "qa.ask", Text: fmt.Sprint("question ", i)})
		}
		r.refused("Ana", Command{Op: "qa.ask", Text: "a fourth"}, CodeLimitReached)
		r.refused("Chloé", Command{Op: "qa.ask", Text: "the sixth"}, CodeLimitReached)
		out := r.apply("Chloé", Command{Op: "qa.ask", Text: "the sixth"})
		scEqual(t, "message", out.Result.Err.Message, "This board has 5 questions, the most allowed.")
		// A replica restored from a snapshot counts the same.
		b, err := json.Marshal(r.s)
		if err != nil {
			t.Fatal(err)
		}
		restored := &State{Limits: r.s.Limits}
		if err := json.Unmarshal(b, restored); err != nil {
			t.Fatal(err)
		}
		restored.Restore()
		if err := restored.Check(r.who["Ana"], Command{ID: "x", Op: "qa.ask", Activity: r.act, Text: "x"}); err == nil || err.Code != CodeLimitReached {
			t.Fatalf("restored replica: %v", err)
		}
		scEqual(t, "the default board cap in words", plural(DefaultQAEntries, "question", "questions"), "5,000 questions")
	})
}

// A session holds at most 500 activities.
func TestActivitiesLimit(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		max    int
		msg    string
	}{
		{"default", Limits{}, DefaultActivities, "This session has 500 activities, the most allowed."},
		{"configured", Limits{Activities: 2}, 2, "This session has 2 activities, the most allowed."},
		{"negative means the default", Limits{Activities: -1}, DefaultActivities, "This session has 500 activities, the most allowed."},
		{"one", Limits{Activities: 1}, 1, "This session has 1 activity, the most allowed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scNew(t)
			r.s.Limits = tt.limits
			for i := range tt.max {
				r.off++
				out := r.s.Apply(Event{Offset: r.off, Time: r.now, Actor: Host,
					Cmd: Command{ID: fmt.Sprint("c", i), Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "Q"}}})
				if out.Result.Err != nil {
					t.Fatalf("activity %d: %v", i, out.Result.Err)
				}
			}
			r.refused(Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "one more"}}, CodeLimitReached)
			out := r.apply(Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "one more"}})
			scEqual(t, "message", out.Result.Err.Message, tt.msg)
			scEqual(t, "activities", len(r.s.Activities), tt.max)
		})
	}
}

// Attendees act on the presented activity only: not on a draft, not on an
// open activity that is not on screen, not on one that does not exist
// (which would tell them what exists). Facilitators act on any.
func TestAttendeeScope(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "Open, not shown", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open"})
	draft := r.create(ActivitySpec{Kind: KindQA, Title: "Draft"})
	cloud := r.show(ActivitySpec{Kind: KindWordcloud, Title: "On screen"})
	r.host(Command{Op: "activity.open"})
	tests := []struct {
		name string
		c    Command
		code string
	}{
		{"a vote on an open poll not on screen", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden},
		{"a question on a draft", Command{Op: "qa.ask", Activity: draft, Text: "early?"}, CodeForbidden},
		{"an unknown activity", Command{Op: "qa.ask", Activity: "a999", Text: "anyone?"}, CodeForbidden},
		{"a facilitator's op on a draft", Command{Op: "activity.open", Activity: draft}, CodeForbidden},
		{"a facilitator's op on an unknown activity", Command{Op: "activity.open", Activity: "a999"}, CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused("Ana", tt.c, tt.code)
		})
	}
	r.t = t
	out := r.apply("Ana", Command{Op: "vote", Activity: poll, Choices: []int{0}})
	scEqual(t, "message", out.Result.Err.Message, "You can only answer the activity on screen now.")
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "air"})
	// The reducer judges by the presented activity when the event is
	// applied: a vote sent before the screen moved on is refused alike
	// on every replica.
	check := r.s.Check(r.who["Ana"], Command{ID: "late", Op: "word.submit", Activity: cloud, Text: "fire"})
	if check != nil {
		t.Fatalf("before the present: %v", check)
	}
	r.host(Command{Op: "activity.present", Activity: poll})
	r.refused("Ana", Command{ID: "late", Op: "word.submit", Activity: cloud, Text: "fire"}, CodeForbidden)
	r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{1}})
	// The facilitator is not held to the screen.
	r.host(Command{Op: "word.hide", Activity: cloud, Text: "air"})
	r.host(Command{Op: "activity.open", Activity: draft})
}

// Stale clicks: a facilitator action that no longer applies is refused
// with conflict and changes nothing.
func TestPreconditions(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "P", Options: []string{"a", "b"}})
	qa := r.create(ActivitySpec{Kind: KindQA, Title: "Q"})
	tests := []struct {
		name string
		c    Command // to the poll unless it names another
		code string  // "" when accepted
		msg  string
	}{
		{"close a draft", Command{Op: "activity.close"}, CodeConflict, "This activity is not open."},
		{"open", Command{Op: "activity.open"}, "", ""},
		{"open again", Command{Op: "activity.open"}, CodeConflict, "This activity is open already."},
		{"close", Command{Op: "activity.close"}, "", ""},
		{"close again", Command{Op: "activity.close"}, CodeConflict, "This activity is not open."},
		{"reopen a closed one", Command{Op: "activity.open"}, "", ""},
		{"present, seeing nothing on screen", Command{Op: "activity.present", Activity: poll, Current: scPtr("")}, "", ""},
		{"present, seeing nothing: stale", Command{Op: "activity.present", Activity: qa, Current: scPtr("")}, CodeConflict, "\"P\" is on screen now. Nothing was changed."},
		{"present what is on screen", Command{Op: "activity.present", Activity: poll}, CodeConflict, "This activity is on screen already."},
		{"present without a precondition", Command{Op: "activity.present", Activity: qa}, "", ""},
		{"take it off, seeing it", Command{Op: "activity.present", Activity: "", Current: scPtr(qa)}, "", ""},
		{"take off what is not there", Command{Op: "activity.present", Activity: ""}, CodeConflict, "Nothing is on screen already."},
		{"present, seeing something: stale", Command{Op: "activity.present", Activity: qa, Current: scPtr(poll)}, CodeConflict, "Nothing is on screen now. Nothing was changed."},
		{"reveal", Command{Op: "activity.reveal", Attendees: scPtr(true)}, "", ""},
		{"reveal again: a set, not a toggle", Command{Op: "activity.reveal", Attendees: scPtr(true), Display: scPtr(true)}, "", ""},
		{"reveal naming nobody", Command{Op: "activity.reveal"}, CodeBadRequest, "activity.reveal needs \"attendees\" or \"display\"."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			if tt.c.Activity == "" && tt.c.Op != "activity.present" {
				tt.c.Activity = poll
			}
			if tt.code == "" {
				r.host(tt.c)
				return
			}
			r.refused(Host, tt.c, tt.code)
			scEqual(t, "message", r.apply(Host, tt.c).Result.Err.Message, tt.msg)
		})
	}
}

// queue.next with "current" ends the turn the facilitator saw, or none:
// two clicks on "Next speaker" while offline, both resent, move the floor
// once.
func TestQueueNextCurrent(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben", "Chloé")
	q.raise("Ana", "Lyon")
	q.raise("Ben", "Lille")
	q.raise("Chloé", "Nice")

	q.host(Command{Op: "queue.next", Current: qPtr("")}) // the console saw nobody speaking
	ana := q.view(Facilitator).Speaking.Hand
	// The second click also saw nobody: the floor has changed since.
	q.refused(Host, Command{Op: "queue.next", Current: qPtr("")}, CodeConflict)
	out := q.apply(Host, Command{Op: "queue.next", Current: qPtr("")})
	qEqual(t, "message", out.Result.Err.Message, "Ana has the floor now: nothing was changed.")
	qEqual(t, "Ana keeps the floor", q.speaker(), "Ana")
	q.refused(Host, Command{Op: "queue.next", Current: qPtr("h999")}, CodeConflict)

	q.host(Command{Op: "queue.next", Current: &ana})
	qEqual(t, "Ben has the floor", q.speaker(), "Ben")
	q.refused(Host, Command{Op: "queue.next", Current: &ana}, CodeConflict)
	// Without current, version 1: the floor moves on.
	q.host(Command{Op: "queue.next"})
	qEqual(t, "Chloé has the floor", q.speaker(), "Chloé")
	chloe := q.view(Facilitator).Speaking.Hand
	q.host(Command{Op: "queue.next", Current: &chloe})
	qEqual(t, "nobody has the floor", q.speaker(), "")
	out = q.apply(Host, Command{Op: "queue.next", Current: &chloe})
	qEqual(t, "message with nobody speaking", out.Result.Err.Message, "Nobody has the floor now: nothing was changed.")
	q.host(Command{Op: "queue.next", Current: qPtr("")}) // nobody waiting: nothing to do, as in version 1

	// The precondition is kept in the log: "" is not absent.
	b, err := json.Marshal(Command{Op: "queue.next", Current: qPtr("")})
	if err != nil {
		t.Fatal(err)
	}
	var c Command
	if err := json.Unmarshal(b, &c); err != nil || c.Current == nil || *c.Current != "" {
		t.Fatalf("log round trip of current \"\": %s → %+v, %v", b, c, err)
	}
}

// A queue created without constituencies takes hands without one (the
// phone sends ""), and the record and stats say so: constituency "".
func TestQueueWithoutConstituencies(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben", "Chloé")
	q.by("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: ""})
	q.by("Ben", Command{Op: "hand.raise", Name: "Ben"})
	q.by("Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "Lyon"})
	qEqual(t, "waiting", q.waiting(), []string{"Ana", "Ben", "Chloé"})
	qEqual(t, "no constituency", q.view(Facilitator).Waiting[0].Constituency, "")
	for range 4 {
		q.wait(10 * time.Second)
		q.next()
	}
	x := q.view("export")
	qEqual(t, "record", []string{x.Speakers[0].Constituency, x.Speakers[1].Constituency, x.Speakers[2].Constituency}, []string{"", "", "Lyon"})
	qEqual(t, "stats group the hands without one", x.Stats, []StatView{{"", 2, 20}, {"Lyon", 1, 10}})

	// With a list, a constituency is still needed.
	q.host(Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQueue, Title: "With", Constituencies: []string{"North"}}})
	q.queue = q.s.Activities[1].ID
	q.host(Command{Op: "activity.present"})
	q.host(Command{Op: "activity.open"})
	q.refused("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: ""}, CodeBadRequest)
	q.refused("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: "  "}, CodeBadRequest)
}

// Attendees are sent the front of a long queue, the count of all who
// wait and, in "you", their own place; facilitators and displays get the
// whole list.
func TestQueueAttendeesSeeTheFront(t *testing.T) {
	tests := []struct {
		name   string
		limits Limits
		shown  int
	}{
		{"default", Limits{}, DefaultQueueShown},
		{"configured", Limits{QueueShown: 5}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := qOpen(t, ActivitySpec{})
			q.s.Limits = tt.limits
			const n = 60
			for i := range n {
				q.join(fmt.Sprint("p", i))
			}
			for _, name := range q.names {
				q.raise(name, "Lyon")
			}
			att, fac, disp := q.view(Attendee), q.view(Facilitator), q.view(Display)
			qEqual(t, "lengths: attendee, facilitator, display", []int{len(att.Waiting), len(fac.Waiting), len(disp.Waiting)}, []int{tt.shown, n, n})
			for _, v := range []qView{att, fac, disp} {
				qEqual(t, "waitingCount", string(v.raw["waitingCount"]), "60")
			}
			qEqual(t, "the front", att.Waiting[tt.shown-1].Name, fac.Waiting[tt.shown-1].Name)
			last := q.names[n-1]
			qEqual(t, "the last one's own", q.youJSON(last), fmt.Sprintf(`{"hand":%q,"place":60}`, q.you(last)))

			// Ana, first, takes the floor: everyone waiting moves up one
			// place and is told so.
			out := q.next()
			qEqual(t, "told: the speaker, then the n-1 who moved", len(out.Change.You), n)
			qEqual(t, "the speaker's place", q.youJSON("p0"), fmt.Sprintf(`{"hand":%q,"place":0}`, q.you("p0")))
			qEqual(t, "the last one moved up", q.youJSON(last), fmt.Sprintf(`{"hand":%q,"place":59}`, q.you(last)))
			// A hand lowered in the middle moves up those behind it only.
			out = q.by("p30", Command{Op: "hand.lower"})
			qEqual(t, "told: who lowered, then those behind", out.Change.You[:2], []string{q.who["p30"], q.who["p31"]})
			qEqual(t, "how many told", len(out.Change.You), 1+n-31)
			qEqual(t, "after the lower", q.youJSON(last), fmt.Sprintf(`{"hand":%q,"place":58}`, q.you(last)))
			qEqual(t, "not waiting", q.youJSON("p30"), `{"hand":"","place":0}`)
			// A new hand at the end moves nobody else.
			out = q.by("p30", Command{Op: "hand.raise", Name: "p30", Constituency: "Lyon"})
			qEqual(t, "told on a raise", out.Change.You, []string{q.who["p30"]})
			qEqual(t, "place of a new hand", q.youJSON("p30"), fmt.Sprintf(`{"hand":%q,"place":59}`, q.you("p30")))
		})
	}
}

func (q *qScript) youJSON(name string) string {
	q.t.Helper()
	b, err := json.Marshal(q.s.Activity(q.queue).You(q.who[name]))
	if err != nil {
		q.t.Fatal(err)
	}
	return string(b)
}

// A raise in a first-come queue is placed without computing the whole
// order again; it must land where the whole computation puts it, placed
// hands beyond the end of the queue included. A replica restored from a
// snapshot computes the order from scratch: after every step both agree.
func TestQueueRaiseFastPathAgreesWithTheWholeOrder(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	for i := range 12 {
		q.join(fmt.Sprint("p", i))
	}
	same := func(step string) {
		t.Helper()
		b, err := json.Marshal(q.s)
		if err != nil {
			t.Fatal(err)
		}
		restored := &State{}
		if err := json.Unmarshal(b, restored); err != nil {
			t.Fatal(err)
		}
		restored.Restore()
		r := &qScript{t: t, s: restored, queue: q.queue, who: q.who, names: q.names}
		if got, want := q.everything(), r.everything(); got != want {
			t.Fatalf("%s: the order differs from the whole computation:\n got %s\nwant %s", step, got, want)
		}
	}
	move := func(name string, to int) {
		t.Helper()
		h := q.s.Activity(q.queue).Body.(*Queue).byParticipant[q.who[name]]
		q.host(Command{Op: "queue.move", Hand: h.ID, To: &to})
		same("move " + name)
	}
	q.raise("p0", "x")
	q.raise("p1", "x")
	q.raise("p2", "x")
	move("p0", 2) // placed at the end
	q.raise("p3", "x")
	same("a raise after a hand placed at the end")
	// Two hands moved to one index: the later move takes it, the other
	// comes right after, beyond the end of the queue. With only p2 not
	// placed, p0 (placed at 2) waits at 1 until a new hand fills the gap.
	move("p1", 3)
	move("p3", 3)
	qEqual(t, "before", q.waiting(), []string{"p2", "p0", "p3", "p1"})
	q.raise("p4", "x")
	qEqual(t, "the new hand before those placed beyond the end", q.waiting(), []string{"p2", "p4", "p0", "p3", "p1"})
	same("a raise before two hands placed beyond the end")
	q.raise("p5", "x")
	q.raise("p6", "x")
	same("more raises")
	q.by("p7", Command{Op: "hand.raise", Name: "p7", Constituency: "x", Kind: HandOrder})
	q.raise("p8", "x")
	same("a raise after a point of order")
	q.next()
	q.next()
	q.raise("p9", "x")
	same("a raise after two turns")
	q.host(Command{Op: "queue.readd"})
	q.raise("p10", "x")
	q.raise("p11", "x")
	same("raises after a readd")
}

// Choices are option numbers written as integers: null, fractions,
// strings and booleans are malformed (null was option 0).
func TestParseCommandChoices(t *testing.T) {
	tests := []struct {
		in   string
		want []int // nil with err
		err  bool
	}{
		{`{"op":"vote","activity":"a1","choices":[0]}`, []int{0}, false},
		{`{"op":"vote","activity":"a1","choices":[2,0]}`, []int{2, 0}, false},
		{`{"op":"vote","activity":"a1","choices":[-0]}`, []int{0}, false},
		{`{"op":"vote","activity":"a1","choices":[]}`, nil, false},
		{`{"op":"vote","activity":"a1","choices":null}`, nil, false},
		{`{"op":"vote","activity":"a1","choices":[null]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[1,null]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[1.5]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[1.0]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[1e0]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":["1"]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[true]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[[0]]}`, nil, true},
		{`{"op":"vote","activity":"a1","choices":[99999999999999999999]}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := ParseCommand([]byte(tt.in))
			if (err != nil) != tt.err {
				t.Fatalf("error %v", err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), ErrMalformed.Error()) {
					t.Fatalf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			scEqual(t, "choices", c.Choices, tt.want)
		})
	}
	c, err := ParseCommand([]byte(`{"op":"queue.next","activity":"a1","current":""}`))
	if err != nil || c.Current == nil || *c.Current != "" {
		t.Fatalf("current \"\": %+v, %v", c, err)
	}
	c, err = ParseCommand([]byte(`{"op":"queue.next","activity":"a1"}`))
	if err != nil || c.Current != nil {
		t.Fatalf("no current: %+v, %v", c, err)
	}
}

// Text is kept as received (trimmed, white space collapsed): NFC would
// insert U+034F into a long run of combining marks. Counting still goes by
// NFC: canonically equivalent texts are one word.
var wordKeys = regexp.MustCompile(`"key":"(?:[^"\\]|\\.)*"`)

func TestTextKeptAsReceived(t *testing.T) {
	marks := func(pair string) string { return "x" + strings.Repeat(pair, 20) } // 41 code points, 40 marks
	ab, ba := marks("\u0316\u0301"), marks("\u0301\u0316")                      // canonically equivalent
	r := scCloudOf(t, ActivitySpec{MaxLength: 41}, "Ana", "Ben")
	r.by("Ana", Command{Op: "word.submit", Text: " " + ab + " "})
	r.by("Ben", Command{Op: "word.submit", Text: ba})
	for _, role := range []Role{Facilitator, Display, Attendee, "export"} {
		scEqual(t, string(role), r.words(role), []string{ab + " 2"})
	}
	scEqual(t, "Ben's own", r.s.Activity(r.act).You(r.who["Ben"])["words"], any([]string{ba}))
	// A word's key is its counting identity (NFC of the folded form, which
	// may hold U+034F), matched by clients and never displayed.
	if s := wordKeys.ReplaceAllString(r.everything(), ""); strings.Contains(s, "\u034f") || strings.Contains(s, `\u034f`) {
		t.Fatal("a view carries a grapheme joiner nobody sent")
	}

	q := scQAOf(t, ActivitySpec{}, "Ana")
	q.ask("Ana", ab)
	scEqual(t, "question", q.board(Facilitator), []string{ab + " 0 visible"})
}

// TestOldLogsFoldByTheirRules: a session created before version 1.1 (its
// session.create carries no rules) is folded as it was then, so that an
// upgrade never takes back what was acknowledged: a vote on an activity
// not on screen, a 21st question, an open twice, a hand without a
// constituency refused.
func TestOldLogsFoldByTheirRules(t *testing.T) {
	r := &scScript{t: t, s: &State{Limits: Limits{QAEntriesPerParticipant: 1}}, now: scStart, who: map[string]string{}}
	r.apply("", Command{Op: OpCreate, Session: "s1", Code: "87654321", Title: "Before 1.1"})
	if r.s.Rules != RulesV1 {
		t.Fatalf("rules %d, want %d", r.s.Rules, RulesV1)
	}
	r.join("Ana")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "P", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open", Activity: poll})
	r.host(Command{Op: "activity.open", Activity: poll}) // no conflict then
	if out := r.apply(r.who["Ana"], Command{ID: "v", Op: "vote", Activity: poll, Choices: []int{1}}); out.Result.Err != nil {
		t.Fatalf("a vote on a poll not on screen, under the old rules: %v", out.Result.Err)
	}
	qa := r.create(ActivitySpec{Kind: KindQA, Title: "Q"})
	r.host(Command{Op: "activity.open", Activity: qa})
	for i := 0; i < 3; i++ {
		if out := r.apply(r.who["Ana"], Command{ID: fmt.Sprint("q", i), Op: "qa.ask", Activity: qa, Text: fmt.Sprint("Question ", i)}); out.Result.Err != nil {
			t.Fatalf("question %d under the old rules: %v", i, out.Result.Err)
		}
	}
	queue := r.create(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	r.host(Command{Op: "activity.open", Activity: queue})
	out := r.apply(r.who["Ana"], Command{ID: "h", Op: "hand.raise", Activity: queue, Name: "Ana"})
	if out.Result.Err == nil || out.Result.Err.Code != CodeBadRequest {
		t.Fatalf("a hand without a constituency under the old rules: %v, want bad_request as then", out.Result.Err)
	}
	// A snapshot keeps the rules.
	b, _ := json.Marshal(r.s)
	var back State
	json.Unmarshal(b, &back)
	back.Restore()
	if back.Rules != RulesV1 || back.v11() {
		t.Fatalf("rules after a snapshot: %d", back.Rules)
	}
}
