package session

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// qScript plays a facilitation script against a State: every command gets
// the next offset and the script's clock, is checked with State.Check
// (which must agree with Apply and change nothing) and is kept, so that a
// test can replay the log.
type qScript struct {
	t      *testing.T
	s      *State
	now    time.Time
	off    uint64
	events []Event
	queue  string            // the queue's activity id
	who    map[string]string // attendee name → participant id
	names  []string          // attendees in join order
}

var qStart = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// qNew starts a session and creates a queue (open unless spec says
// otherwise through the returned script).
func qNew(t *testing.T, spec ActivitySpec) *qScript {
	t.Helper()
	q := &qScript{t: t, s: &State{}, now: qStart, who: map[string]string{}}
	q.apply("", Command{Op: OpCreate, Session: "s1", Code: "12345678", Title: "Town hall", Rules: CurrentRules})
	spec.Kind = KindQueue
	if spec.Title == "" {
		spec.Title = "Speakers"
	}
	q.queue = q.host(Command{Op: "activity.create", Spec: &spec}).Result.Activity
	// Attendees raise hands on the activity on screen only.
	q.host(Command{Op: "activity.present"})
	return q
}

// qOpen is qNew with the queue opened.
func qOpen(t *testing.T, spec ActivitySpec) *qScript {
	q := qNew(t, spec)
	q.host(Command{Op: "activity.open"})
	return q
}

func (q *qScript) join(names ...string) {
	for _, n := range names {
		q.apply("", Command{Op: OpJoin, Name: n})
		q.who[n] = fmt.Sprintf("p%d", q.off)
		q.names = append(q.names, n)
	}
}

func (q *qScript) wait(d time.Duration) { q.now = q.now.Add(d) }

func (q *qScript) qStateJSON() string {
	b, err := json.Marshal(q.s)
	if err != nil {
		q.t.Fatal(err)
	}
	return string(b)
}

// apply appends one event. actor is "", Host or an attendee's name.
func (q *qScript) apply(actor string, c Command) Outcome {
	q.t.Helper()
	if p, ok := q.who[actor]; ok {
		actor = p
	}
	if c.Activity == "" && c.Op != OpCreate && c.Op != OpJoin && c.Op != "activity.create" && c.Op != "session.end" {
		c.Activity = q.queue
	}
	if actor != "" && c.ID == "" {
		c.ID = fmt.Sprintf("c%d", q.off+1)
	}
	var checked *Error
	if actor != "" {
		before := q.qStateJSON()
		checked = q.s.Check(actor, c)
		if after := q.qStateJSON(); after != before {
			q.t.Fatalf("Check(%s %s) changed the state", actor, c.Op)
		}
	}
	q.off++
	e := Event{Offset: q.off, Time: q.now, Actor: actor, Cmd: c}
	q.events = append(q.events, e)
	out := q.s.Apply(e)
	if actor != "" && !reflect.DeepEqual(checked, out.Result.Err) {
		q.t.Fatalf("%s by %s: Check said %v, Apply said %v", c.Op, actor, checked, out.Result.Err)
	}
	return out
}

// host runs a facilitator command that must succeed.
func (q *qScript) host(c Command) Outcome {
	q.t.Helper()
	out := q.apply(Host, c)
	if out.Result.Err != nil {
		q.t.Fatalf("%s: %v", c.Op, out.Result.Err)
	}
	return out
}

// by runs an attendee's command that must succeed.
func (q *qScript) by(name string, c Command) Outcome {
	q.t.Helper()
	out := q.apply(name, c)
	if out.Result.Err != nil {
		q.t.Fatalf("%s by %s: %v", c.Op, name, out.Result.Err)
	}
	return out
}

func (q *qScript) raise(name, constituency string) string {
	q.t.Helper()
	return q.by(name, Command{Op: "hand.raise", Name: name, Constituency: constituency}).Result.Hand
}

func (q *qScript) next() Outcome {
	q.t.Helper()
	return q.host(Command{Op: "queue.next"})
}

func (q *qScript) timer(action string, seconds ...int) {
	q.t.Helper()
	c := Command{Op: "queue.timer", Action: action}
	if len(seconds) > 0 {
		c.Seconds = &seconds[0]
	}
	q.host(c)
}

// everything is what any role or participant can see, as JSON.
func (q *qScript) everything() string {
	a := q.s.Activity(q.queue)
	parts := []any{q.s.View(Facilitator), q.s.View(Attendee), q.s.View(Display), a.Export()}
	for _, n := range q.names {
		parts = append(parts, a.You(q.who[n]))
	}
	b, err := json.Marshal(parts)
	if err != nil {
		q.t.Fatal(err)
	}
	return string(b)
}

// refused runs a command that must fail with code and change nothing.
func (q *qScript) refused(actor string, c Command, code string) {
	q.t.Helper()
	before := q.everything()
	out := q.apply(actor, c)
	if out.Result.Err == nil || out.Result.Err.Code != code {
		q.t.Fatalf("%s by %s: got %v, want %s", c.Op, actor, out.Result.Err, code)
	}
	if after := q.everything(); after != before {
		q.t.Fatalf("%s by %s was refused but changed the views:\nbefore %s\nafter  %s", c.Op, actor, before, after)
	}
}

// qView is a queue's view as a client decodes it.
type qView struct {
	State           string
	Policy          string
	SpeakingSeconds int
	Constituencies  []string
	Speaking        *struct {
		Hand, Name, Constituency, StartedAt string
		LimitSeconds                        int
		Paused                              bool
		RunningSince                        *string
		ElapsedSeconds                      float64
	}
	Waiting []struct {
		Hand, Name, Constituency, Kind, RaisedAt string
		Placed                                   bool
	}
	Spoken      int
	Stats       []StatView
	LastSpeaker *string
	Speakers    []SpeechView
	raw         map[string]json.RawMessage
}

func (q *qScript) view(role Role) qView {
	q.t.Helper()
	a := q.s.Activity(q.queue)
	var x any = a.View(role)
	if role == "export" {
		x = a.Export()
	}
	b, err := json.Marshal(x)
	if err != nil {
		q.t.Fatal(err)
	}
	var v qView
	if err := json.Unmarshal(b, &v); err != nil {
		q.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v.raw); err != nil {
		q.t.Fatal(err)
	}
	return v
}

// waiting lists the names in the order the floor will be given.
func (q *qScript) waiting() []string {
	out := []string{}
	for _, w := range q.view(Facilitator).Waiting {
		out = append(out, w.Name)
	}
	return out
}

func (q *qScript) speaker() string {
	if sp := q.view(Facilitator).Speaking; sp != nil {
		return sp.Name
	}
	return ""
}

func (q *qScript) you(name string) string {
	return q.s.Activity(q.queue).You(q.who[name])["hand"].(string)
}

func qEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func qPtr[T any](v T) *T { return &v }

// The twenty speakers of the policy test, in the order they raise hands.
// Each speaks 60 + n seconds and 400 ms (n is the 1-based position here);
// those with an even n pause for 15 seconds after 10, which must not count.
var qTwenty = []struct{ name, constituency string }{
	{"Ana", "Cities"}, {"Ben", "Cities"}, {"Chloé", "Networks"}, {"Dan", "  cities "},
	{"Eva", "Academia"}, {"Femi", "Civil society"}, {"Gus", "Cities"}, {"Hana", "Networks"},
	{"Ivo", "Other"}, {"Jo", "Youth"}, {"Kim", "Cities"}, {"Lea", "Academia"},
	{"Max", "Civil society"}, {"Noor", "Business"}, {"Omar", "Networks"}, {"Pia", "Youth"},
	{"Quinn", "Cities"}, {"Rui", "Academia"}, {"Sara", "other"}, {"Tom", "Business"},
}

var qConstituencies = []string{"Cities", "Networks", "Civil society", "Academia", "Youth", "Business", "Press"}

func TestQueueTwentySpeakersEveryPolicy(t *testing.T) {
	// Ben, Hana and Kim spoke once before everyone raised a hand: Kim
	// (Cities) most recently, then Hana (Networks).
	tests := []struct {
		policy string
		want   []string
	}{
		{PolicyFIFO, []string{"Ana", "Ben", "Chloé", "Dan", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jo",
			"Kim", "Lea", "Max", "Noor", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tom"}},
		{PolicyFirstTime, []string{"Ana", "Chloé", "Dan", "Eva", "Femi", "Gus", "Ivo", "Jo", "Lea", "Max",
			"Noor", "Omar", "Pia", "Quinn", "Rui", "Sara", "Tom", "Ben", "Hana", "Kim"}},
		// Constituencies that never spoke first, by their earliest hand
		// (Academia, Civil society, other, Youth, Business), then
		// Networks, then Cities; round after round.
		{PolicyAlternate, []string{"Eva", "Femi", "Ivo", "Jo", "Noor", "Chloé", "Ana",
			"Lea", "Max", "Sara", "Pia", "Tom", "Hana", "Ben",
			"Rui", "Omar", "Dan", "Gus", "Kim", "Quinn"}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			q := qOpen(t, ActivitySpec{Constituencies: qConstituencies, SpeakingSeconds: 120})
			number := map[string]int{}
			for i, p := range qTwenty {
				q.join(p.name)
				number[p.name] = i + 1
			}
			// The warm-up round.
			q.raise("Ben", "Cities")
			q.raise("Hana", "Networks")
			q.raise("Kim", "Cities")
			q.next()
			q.wait(45 * time.Second)
			q.next()
			q.wait(50 * time.Second)
			q.next()
			q.wait(20 * time.Second)
			q.timer("pause")
			q.wait(30 * time.Second)
			q.timer("resume")
			q.wait(20 * time.Second)
			q.next()
			qEqual(t, "nobody speaks", q.speaker(), "")

			for _, p := range qTwenty {
				q.raise(p.name, p.constituency)
			}
			qEqual(t, "first come, first served", q.waiting(), tests[0].want)
			if tt.policy != PolicyFIFO {
				q.host(Command{Op: "queue.policy", Policy: tt.policy})
			}
			qEqual(t, "order", q.waiting(), tt.want)

			for range tt.want {
				before := q.waiting()
				out := q.next()
				qEqual(t, "the floor goes to the first waiting", q.speaker(), before[0])
				qEqual(t, "the others keep their order", q.waiting(), before[1:])
				sp := q.view(Display).Speaking
				qEqual(t, "limit", sp.LimitSeconds, 120)
				qEqual(t, "running since", *sp.RunningSince, sp.StartedAt)
				qEqual(t, "you of the new speaker", q.you(sp.Name), sp.Hand)
				if indexOf(out.Change.You, q.who[sp.Name]) < 0 {
					t.Fatalf("Change.You %v misses the new speaker %s", out.Change.You, q.who[sp.Name])
				}
				n := number[sp.Name]
				if n%2 == 0 {
					q.wait(10 * time.Second)
					q.timer("pause")
					q.wait(15 * time.Second)
					paused := q.view(Attendee).Speaking
					if !paused.Paused || paused.RunningSince != nil || paused.ElapsedSeconds != 10 {
						t.Fatalf("paused speaker: %+v", paused)
					}
					q.timer("resume")
					q.wait(time.Duration(50+n)*time.Second + 400*time.Millisecond)
				} else {
					q.wait(time.Duration(60+n)*time.Second + 400*time.Millisecond)
				}
			}
			last := q.view(Facilitator).Speaking.Hand
			q.next()
			v := q.view("export")
			qEqual(t, "nobody speaks at the end", v.Speaking == nil, true)
			qEqual(t, "nobody waits at the end", len(v.Waiting), 0)
			qEqual(t, "spoken", v.Spoken, 23)
			qEqual(t, "last speaker", *v.LastSpeaker, last)
			var order []string
			for i, s := range v.Speakers {
				order = append(order, s.Name)
				want := float64(60+number[s.Name]) + 0.4
				switch i {
				case 0:
					want = 45
				case 1:
					want = 50
				case 2:
					want = 40
				}
				qEqual(t, s.Name+"'s seconds", s.Seconds, want)
			}
			qEqual(t, "the record", order, append([]string{"Ben", "Hana", "Kim"}, tt.want...))
			qEqual(t, "Dan's constituency is spelt as configured", v.Speakers[3+indexOf(tt.want, "Dan")].Constituency, "Cities")
			qEqual(t, "statistics", v.Stats, []StatView{
				{"Cities", 8, 489.4}, {"Networks", 4, 257.2}, {"Civil society", 2, 139.8},
				{"Academia", 3, 216.2}, {"Youth", 2, 146.8}, {"Business", 2, 154.8},
				{"Press", 0, 0}, {"other", 2, 148.8},
			})
		})
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestQueuePointsOfOrder(t *testing.T) {
	order := func(name, constituency string) Command {
		return Command{Op: "hand.raise", Name: name, Constituency: constituency, Kind: HandOrder}
	}
	t.Run("fifo", func(t *testing.T) {
		q := qOpen(t, ActivitySpec{})
		q.join("Ana", "Ben", "Chloé", "Dan", "Eva", "Femi")
		q.raise("Ana", "Lyon")
		q.raise("Ben", "Lille")
		q.by("Chloé", order("Chloé", "Lyon"))
		q.raise("Dan", "Nantes")
		q.by("Eva", order("Eva", "Nice"))
		qEqual(t, "points of order first, by raise order", q.waiting(), []string{"Chloé", "Eva", "Ana", "Ben", "Dan"})
		q.next()
		q.by("Femi", order("Femi", "Lyon"))
		qEqual(t, "a later point of order after the earlier one", q.waiting(), []string{"Eva", "Femi", "Ana", "Ben", "Dan"})
		qEqual(t, "kind", q.view(Attendee).Waiting[0].Kind, HandOrder)
		qEqual(t, "kind", q.view(Attendee).Waiting[2].Kind, HandSpeak)
	})
	t.Run("alternate counts the point of order as a turn", func(t *testing.T) {
		q := qOpen(t, ActivitySpec{Policy: PolicyAlternate, Constituencies: []string{"X", "Y"}})
		q.join("Ana", "Ben", "Chloé")
		q.raise("Ana", "X")
		q.raise("Ben", "Y")
		q.by("Chloé", order("Chloé", "x"))
		qEqual(t, "order", q.waiting(), []string{"Chloé", "Ben", "Ana"})
	})
}

func TestQueueMoveKeepsPlaces(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("A", "B", "C", "D", "E", "F", "G", "H")
	hand := map[string]string{}
	for _, n := range []string{"A", "B", "C", "D", "E", "F"} {
		hand[n] = q.raise(n, "Town")
	}
	move := func(name string, to int) {
		q.host(Command{Op: "queue.move", Hand: hand[name], To: &to})
	}
	move("E", 1)
	qEqual(t, "E moved to 1", q.waiting(), []string{"A", "E", "B", "C", "D", "F"})
	qEqual(t, "placed is marked", q.view(Facilitator).Waiting[1].Placed, true)
	if bytes.Contains(q.view(Facilitator).raw["waiting"], []byte(`"placed":false`)) {
		t.Fatal("placed must be absent for hands not moved")
	}
	hand["G"] = q.raise("G", "Town")
	qEqual(t, "new hands go around the placed one", q.waiting(), []string{"A", "E", "B", "C", "D", "F", "G"})
	move("C", 1)
	qEqual(t, "the latest move wins the place, the other right after", q.waiting(), []string{"A", "C", "E", "B", "D", "F", "G"})
	move("F", 99)
	qEqual(t, "to is clamped", q.waiting(), []string{"A", "C", "E", "B", "D", "G", "F"})
	move("B", -5)
	qEqual(t, "to is clamped at 0; the placed hands hold their places", q.waiting(), []string{"B", "C", "E", "A", "D", "G", "F"})

	q.host(Command{Op: "queue.policy", Policy: PolicyFirstTime})
	qEqual(t, "a policy change keeps the places", q.waiting(), []string{"B", "C", "E", "A", "D", "G", "F"})

	q.next()
	qEqual(t, "B has the floor", q.speaker(), "B")
	qEqual(t, "placed hands move up when the floor is given", q.waiting(), []string{"C", "E", "A", "D", "G", "F"})
	q.by("D", Command{Op: "hand.lower"})
	qEqual(t, "and when someone ahead leaves", q.waiting(), []string{"C", "E", "A", "G", "F"})
	q.host(Command{Op: "queue.remove", Hand: hand["A"]})
	qEqual(t, "removed", q.waiting(), []string{"C", "E", "G", "F"})
	qEqual(t, "the removed one has no hand", q.you("A"), "")

	q.next()
	qEqual(t, "C has the floor", q.speaker(), "C")
	qEqual(t, "E first, F third", q.waiting(), []string{"E", "G", "F"})
	// B spoke: under firsttime B comes after H, who has not; E and F
	// hold their places.
	q.raise("B", "Town")
	q.raise("H", "Town")
	qEqual(t, "first-time speakers first around the placed hands", q.waiting(), []string{"E", "G", "F", "H", "B"})
	q.host(Command{Op: "queue.policy", Policy: PolicyFIFO})
	qEqual(t, "fifo around the placed hands", q.waiting(), []string{"E", "G", "F", "B", "H"})
}

func TestQueueReadd(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben", "Chloé")
	q.refused(Host, Command{Op: "queue.readd"}, CodeNotFound)
	ana := q.raise("Ana", "Lyon")
	q.raise("Ben", "Lille")
	q.raise("Chloé", "Nice")
	q.next()
	q.refused(Host, Command{Op: "queue.readd"}, CodeNotFound) // Ana speaks; nobody has finished
	q.wait(time.Minute)
	q.next()
	qEqual(t, "last speaker", *q.view(Attendee).LastSpeaker, ana)
	out := q.host(Command{Op: "queue.readd"})
	again := out.Result.Hand
	if again == "" || again == ana {
		t.Fatalf("readd gave hand %q", again)
	}
	qEqual(t, "Change.You: Ana, and Chloé whose place changed", out.Change.You, []string{q.who["Ana"], q.who["Chloé"]})
	qEqual(t, "Ana is back in front", q.waiting(), []string{"Ana", "Chloé"})
	w := q.view(Facilitator).Waiting[0]
	qEqual(t, "readded hand", []any{w.Hand, w.Constituency, w.Kind, w.Placed}, []any{again, "Lyon", HandSpeak, true})
	qEqual(t, "you", q.you("Ana"), again)
	q.refused(Host, Command{Op: "queue.readd"}, CodeBadRequest) // Ana already waits
	q.next()
	qEqual(t, "Ana speaks again", q.speaker(), "Ana")
	q.host(Command{Op: "queue.readd"}) // Ben, who spoke last
	qEqual(t, "Ben back", q.waiting(), []string{"Ben", "Chloé"})
	q.next()
	q.next()
	q.next()
	qEqual(t, "queue empty", q.speaker(), "")
	q.raise("Chloé", "Nice")
	q.next()
	qEqual(t, "Chloé speaks", q.speaker(), "Chloé")
	// The last finished turn is Chloé's first: she has the floor now.
	q.refused(Host, Command{Op: "queue.readd"}, CodeBadRequest)
	v := q.view("export")
	qEqual(t, "speeches", len(v.Speakers), 5)
}

func TestQueueTimer(t *testing.T) {
	q := qOpen(t, ActivitySpec{SpeakingSeconds: 180})
	q.join("Ana")
	q.refused(Host, Command{Op: "queue.timer", Action: "pause"}, CodeBadRequest)
	q.raise("Ana", "Lyon")
	q.next()
	start := q.now
	q.wait(30 * time.Second)
	q.timer("pause")
	v := q.view(Attendee).Speaking
	qEqual(t, "paused", []any{v.Paused, v.RunningSince == nil, v.ElapsedSeconds}, []any{true, true, 30.0})
	if !bytes.Contains(q.view(Attendee).raw["speaking"], []byte(`"runningSince":null`)) {
		t.Fatal("runningSince must be null while paused")
	}
	q.wait(time.Minute)
	q.timer("pause") // a second pause changes nothing
	qEqual(t, "elapsed after a second pause", q.view(Attendee).Speaking.ElapsedSeconds, 30.0)
	q.timer("resume")
	resumed := q.now
	q.wait(1500 * time.Millisecond)
	q.timer("resume") // already running: nothing changes
	v = q.view(Attendee).Speaking
	qEqual(t, "running", []any{v.Paused, *v.RunningSince, v.ElapsedSeconds, v.StartedAt},
		[]any{false, resumed.Format("2006-01-02T15:04:05.000Z"), 30.0, start.Format("2006-01-02T15:04:05.000Z")})
	q.timer("add")
	qEqual(t, "add 60 by default", q.view(Attendee).Speaking.LimitSeconds, 240)
	q.timer("add", -30)
	qEqual(t, "add -30", q.view(Attendee).Speaking.LimitSeconds, 210)
	q.timer("add", -3600)
	qEqual(t, "the limit stays at least 0", q.view(Attendee).Speaking.LimitSeconds, 0)
	q.timer("set", 120)
	qEqual(t, "set", q.view(Attendee).Speaking.LimitSeconds, 120)
	for _, c := range []Command{
		{Op: "queue.timer", Action: "set"},
		{Op: "queue.timer", Action: "set", Seconds: qPtr(0)},
		{Op: "queue.timer", Action: "set", Seconds: qPtr(36001)},
		{Op: "queue.timer", Action: "add", Seconds: qPtr(3601)},
		{Op: "queue.timer", Action: "add", Seconds: qPtr(-3601)},
		{Op: "queue.timer", Action: "stop"},
		{Op: "queue.timer"},
	} {
		q.refused(Host, c, CodeBadRequest)
	}
	q.refused("Ana", Command{Op: "queue.timer", Action: "pause"}, CodeForbidden)
	q.wait(8500 * time.Millisecond)
	q.next()
	v2 := q.view("export")
	qEqual(t, "time spoken, the pause excluded", v2.Speakers[0].Seconds, 40.0)
	qEqual(t, "ended", v2.Speakers[0].EndedAt, q.now.Format("2006-01-02T15:04:05.000Z"))
	qEqual(t, "nobody waits", q.speaker(), "")
}

func TestQueueBadInput(t *testing.T) {
	q := qNew(t, ActivitySpec{Constituencies: []string{"Cities", "Networks"}})
	q.join("Ana", "Ben", "Chloé")
	q.refused("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: "Cities"}, CodeActivityClosed)
	q.host(Command{Op: "activity.open"})
	ana := q.raise("Ana", "Cities")
	q.raise("Ben", "Networks")
	q.next() // Ana speaks, Ben waits

	long := strings.Repeat("é", 81)
	tests := []struct {
		name string
		by   string
		cmd  Command
		code string
	}{
		{"raising twice", "Ben", Command{Op: "hand.raise", Name: "Ben", Constituency: "Cities"}, CodeBadRequest},
		{"raising while speaking", "Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: "Cities"}, CodeBadRequest},
		{"empty name", "Chloé", Command{Op: "hand.raise", Name: "", Constituency: "Cities"}, CodeBadRequest},
		{"blank name", "Chloé", Command{Op: "hand.raise", Name: " \t ", Constituency: "Cities"}, CodeBadRequest},
		{"overlong name", "Chloé", Command{Op: "hand.raise", Name: long, Constituency: "Cities"}, CodeBadRequest},
		{"control characters", "Chloé", Command{Op: "hand.raise", Name: "Chl\x00oé", Constituency: "Cities"}, CodeBadRequest},
		{"unknown constituency", "Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "Villages"}, CodeBadRequest},
		{"no constituency", "Chloé", Command{Op: "hand.raise", Name: "Chloé"}, CodeBadRequest},
		{"unknown kind", "Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "Cities", Kind: "shout"}, CodeBadRequest},
		{"a facilitator raising", Host, Command{Op: "hand.raise", Name: "Host", Constituency: "Cities"}, CodeForbidden},
		{"lowering no hand", "Chloé", Command{Op: "hand.lower"}, CodeNotFound},
		{"the speaker lowering", "Ana", Command{Op: "hand.lower"}, CodeNotFound},
		{"next from an attendee", "Ben", Command{Op: "queue.next"}, CodeForbidden},
		{"move from an attendee", "Ben", Command{Op: "queue.move", Hand: ana, To: qPtr(0)}, CodeForbidden},
		{"remove from an attendee", "Ben", Command{Op: "queue.remove", Hand: ana}, CodeForbidden},
		{"readd from an attendee", "Ben", Command{Op: "queue.readd"}, CodeForbidden},
		{"timer from an attendee", "Ben", Command{Op: "queue.timer", Action: "add"}, CodeForbidden},
		{"policy from an attendee", "Ben", Command{Op: "queue.policy", Policy: PolicyFIFO}, CodeForbidden},
		{"moving an unknown hand", Host, Command{Op: "queue.move", Hand: "h999", To: qPtr(0)}, CodeNotFound},
		{"moving the speaker", Host, Command{Op: "queue.move", Hand: ana, To: qPtr(0)}, CodeNotFound},
		{"moving nowhere", Host, Command{Op: "queue.move", Hand: q.view(Facilitator).Waiting[0].Hand}, CodeBadRequest},
		{"moving no hand", Host, Command{Op: "queue.move", To: qPtr(0)}, CodeBadRequest},
		{"removing an unknown hand", Host, Command{Op: "queue.remove", Hand: "h999"}, CodeNotFound},
		{"removing the speaker", Host, Command{Op: "queue.remove", Hand: ana}, CodeNotFound},
		{"an unknown policy", Host, Command{Op: "queue.policy", Policy: "random"}, CodeBadRequest},
		{"no policy", Host, Command{Op: "queue.policy"}, CodeBadRequest},
		{"an unknown queue", Host, Command{Op: "queue.next", Activity: "a999"}, CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.t = t
			q.refused(tt.by, tt.cmd, tt.code)
		})
	}
	q.t = t
	q.by("Chloé", Command{Op: "hand.raise", Name: strings.Repeat("é", 80), Constituency: " OTHER "})
	w := q.view(Facilitator).Waiting[1]
	qEqual(t, "80 code points are fine, other is canonical", []any{len([]rune(w.Name)), w.Constituency}, []any{80, "other"})

	q.host(Command{Op: "activity.close"})
	q.by("Chloé", Command{Op: "hand.lower"}) // closing only stops new hands
	q.next()
	qEqual(t, "the queue goes on when closed", q.speaker(), "Ben")
	q.refused("Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "Cities"}, CodeActivityClosed)
	q.host(Command{Op: "session.end"})
	q.refused(Host, Command{Op: "queue.next"}, CodeSessionEnded)
}

func TestQueueCreate(t *testing.T) {
	q := qNew(t, ActivitySpec{})
	v := q.view(Facilitator)
	qEqual(t, "defaults", []any{v.SpeakingSeconds, v.Policy, v.Constituencies, v.State, v.Speaking == nil, len(v.Waiting), v.Spoken, v.LastSpeaker == nil},
		[]any{180, PolicyFIFO, []string{}, Draft, true, 0, 0, true})
	for _, k := range []string{"speaking", "waiting", "stats", "lastSpeaker", "constituencies"} {
		if _, ok := v.raw[k]; !ok {
			t.Fatalf("field %q is missing", k)
		}
	}

	q.host(Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQueue, Title: "Q",
		Constituencies: []string{"  Civil   society ", "Cities"}, SpeakingSeconds: 10, Policy: PolicyAlternate}})

	fifty := make([]string, 51)
	for i := range fifty {
		fifty[i] = fmt.Sprint("C", i)
	}
	for _, spec := range []ActivitySpec{
		{SpeakingSeconds: 9},
		{SpeakingSeconds: 7201},
		{SpeakingSeconds: -1},
		{Policy: "lifo"},
		{Constituencies: fifty},
		{Constituencies: []string{"Paris", "PARIS"}},
		{Constituencies: []string{"Paris", "  "}},
		{Constituencies: []string{strings.Repeat("x", 81)}},
		{Constituencies: []string{"a\x07b"}},
	} {
		spec.Kind, spec.Title = KindQueue, "Q"
		q.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
	}
	a := q.s.Activities[1]
	qEqual(t, "cleaned", a.Body.(*Queue).Constituencies, []string{"Civil society", "Cities"})
	qEqual(t, "kept", []any{a.Body.(*Queue).SpeakingSeconds, a.Body.(*Queue).Policy, a.Revealed}, []any{10, PolicyAlternate, Revealed{Attendees: true, Display: true}})
}

func TestQueueViewsByRole(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben")
	anaHand := q.raise("Ana", "Lyon")
	q.raise("Ben", "Lille")
	q.next()
	q.wait(12345 * time.Millisecond)
	q.next()
	q.host(Command{Op: "activity.reveal", Attendees: qPtr(false)})

	att := q.view(Attendee)
	if _, ok := att.raw["stats"]; ok {
		t.Fatal("an attendee sees stats of a queue not revealed to attendees")
	}
	if att.Speaking == nil || len(att.raw["waiting"]) == 0 {
		t.Fatal("speaking and waiting are always present")
	}
	qEqual(t, "display stats", q.view(Display).Stats, []StatView{{"Lyon", 1, 12.3}})
	qEqual(t, "facilitator stats", q.view(Facilitator).Stats, []StatView{{"Lyon", 1, 12.3}})
	if _, ok := att.raw["speakers"]; ok {
		t.Fatal("speakers belong to the export only")
	}
	sv := q.s.View(Attendee)
	qEqual(t, "an attendee gets the presented queue", len(sv.Activities), 1)
	x := q.view("export")
	qEqual(t, "export speaker", x.Speakers, []SpeechView{{Hand: anaHand, Name: "Ana", Constituency: "Lyon", Kind: HandSpeak, FirstTime: true,
		StartedAt: "2025-03-14T09:00:00.000Z", EndedAt: "2025-03-14T09:00:12.345Z", Seconds: 12.3}})
	qEqual(t, "raisedAt", len(x.Waiting) == 0 && x.Speaking.StartedAt == "2025-03-14T09:00:12.345Z", true)
	qEqual(t, "you", []string{q.you("Ana"), q.you("Ben")}, []string{"", x.Speaking.Hand})

	// Free-text constituencies, grouped by their folded form; those not
	// configured come after the configured ones, alphabetically.
	q.join("Chloé", "Dan")
	q.raise("Dan", "lyon")
	q.raise("Chloé", "Amiens")
	q.raise("Ana", "Zurich")
	for range 4 {
		q.wait(time.Second)
		q.next()
	}
	var names []string
	for _, s := range q.view(Facilitator).Stats {
		names = append(names, fmt.Sprint(s.Constituency, ":", s.Turns))
	}
	qEqual(t, "stats rows", names, []string{"Amiens:1", "Lille:1", "Lyon:2", "Zurich:1"})
}

func TestQueueYouChanges(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben")
	out := q.by("Ana", Command{Op: "hand.raise", Name: "Ana", Constituency: "Lyon"})
	qEqual(t, "raise", out.Change, Change{Activity: q.queue, You: []string{q.who["Ana"]}})
	qEqual(t, "you", q.you("Ana"), out.Result.Hand)
	q.raise("Ben", "Lyon")
	out = q.next()
	qEqual(t, "first next: the new speaker, and Ben who is first now", out.Change.You, []string{q.who["Ana"], q.who["Ben"]})
	out = q.next()
	qEqual(t, "next: previous and new speaker", out.Change.You, []string{q.who["Ana"], q.who["Ben"]})
	out = q.next()
	qEqual(t, "next: previous speaker", out.Change.You, []string{q.who["Ben"]})
	out = q.next()
	qEqual(t, "next on an empty queue does nothing", out.Change.You, []string(nil))
	q.raise("Ben", "Lyon")
	out = q.by("Ben", Command{Op: "hand.lower"})
	qEqual(t, "lower", out.Change.You, []string{q.who["Ben"]})
	qEqual(t, "you after lowering", q.you("Ben"), "")
}

// The state is snapshotted as JSON: a replica restored from any point must
// go on exactly as one that never stopped.
func TestQueueSnapshotRoundTrip(t *testing.T) {
	q := qOpen(t, ActivitySpec{Constituencies: []string{"North", "South", "East"}, Policy: PolicyAlternate})
	q.join("Ana", "Ben", "Chloé", "Dan", "Eva", "Femi")
	cons := []string{"North", "South", "North", "East", "south", "other"}
	for i, n := range q.names {
		q.raise(n, cons[i])
		q.wait(time.Second)
	}
	q.by("Femi", Command{Op: "hand.lower"})
	q.by("Femi", Command{Op: "hand.raise", Name: "Femi", Constituency: "North", Kind: HandOrder})
	q.next()
	q.wait(20 * time.Second)
	q.timer("pause")
	q.wait(5 * time.Second)
	q.host(Command{Op: "queue.move", Hand: q.view(Facilitator).Waiting[3].Hand, To: qPtr(0)})
	q.timer("resume")
	q.wait(7 * time.Second)
	q.next()
	q.host(Command{Op: "queue.readd"})
	q.host(Command{Op: "queue.policy", Policy: PolicyFirstTime})
	q.wait(33 * time.Second)
	q.next()
	q.timer("add", 30)
	q.host(Command{Op: "queue.remove", Hand: q.view(Facilitator).Waiting[1].Hand})
	q.wait(3 * time.Second)
	q.next()
	q.raise("Femi", "East")
	q.host(Command{Op: "queue.policy", Policy: PolicyAlternate})
	q.join("Gus", "Hana", "Ivo", "Jo")
	q.raise("Gus", "North")
	q.raise("Hana", "East")
	q.raise("Ivo", "South")
	q.raise("Jo", "North")
	q.wait(11 * time.Second)
	q.next()
	q.timer("set", 45)
	q.wait(50 * time.Second)
	for range 4 {
		q.wait(9 * time.Second)
		q.next()
	}
	// Someone who spoke raises again before a newcomer: firsttime puts
	// the newcomer first.
	for _, sp := range q.view("export").Speakers {
		if q.you(sp.Name) == "" {
			q.raise(sp.Name, "South")
			break
		}
	}
	q.join("Kai")
	q.raise("Kai", "South")
	q.host(Command{Op: "queue.policy", Policy: PolicyFirstTime})
	q.next()
	q.wait(4 * time.Second)
	q.next()
	q.apply("Ana", Command{Op: "hand.lower"}) // refused: remembered all the same

	fullJSON, full := q.qStateJSON(), q.everything()
	for cut := 1; cut < len(q.events); cut++ {
		s := &State{}
		for _, e := range q.events[:cut] {
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
		for _, e := range q.events[cut:] {
			want, got := s.Apply(e), restored.Apply(e)
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("cut at %d, event %d (%s): restored replica answered %+v, want %+v", cut, e.Offset, e.Cmd.Op, got, want)
			}
		}
		r := &qScript{t: t, s: restored, queue: q.queue, who: q.who, names: q.names}
		if got := r.qStateJSON(); got != fullJSON {
			t.Fatalf("cut at %d: state differs:\n got %s\nwant %s", cut, got, fullJSON)
		}
		if got := r.everything(); got != full {
			t.Fatalf("cut at %d: views differ:\n got %s\nwant %s", cut, got, full)
		}
	}
}

// qWire reads a command as the websocket would, so that an op with fields
// of its own (Op.Args) keeps them as ParseCommand keeps them.
func qWire(t *testing.T, fields map[string]any) Command {
	t.Helper()
	fields["type"] = "cmd"
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCommand(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// qSpec is a spec as the wire sends it, with fields of the queue's own.
func qSpec(t *testing.T, js string) ActivitySpec {
	t.Helper()
	var s ActivitySpec
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// hands lists the waiting hands for role in floor order, as
// "name/constituency", marked " byhand" and " held" where they are.
func (q *qScript) hands(role Role) []string {
	q.t.Helper()
	var v struct {
		Waiting []HandView
	}
	b, _ := json.Marshal(q.s.Activity(q.queue).View(role))
	if err := json.Unmarshal(b, &v); err != nil {
		q.t.Fatal(err)
	}
	out := []string{}
	for _, h := range v.Waiting {
		s := h.Name + "/" + h.Constituency
		if h.ByHand {
			s += " byhand"
		}
		if h.Held {
			s += " held"
		}
		out = append(out, s)
	}
	return out
}

func (q *qScript) add(name, constituency, kind string) string {
	q.t.Helper()
	return q.host(Command{Op: "queue.add", Name: name, Constituency: constituency, Kind: kind}).Result.Hand
}

func (q *qScript) place(name string) int {
	return q.s.Activity(q.queue).You(q.who[name])["place"].(int)
}

// A speaker on the video call, or without a phone, is added by the
// facilitator: the hand is marked byHand in every view and the record,
// takes its place by the policy, gets the floor, and can be put back.
func TestQueueAddByHand(t *testing.T) {
	q := qOpen(t, ActivitySpec{Constituencies: []string{"Cities", "Networks"}})
	q.join("Ana", "Ben")
	q.raise("Ana", "Cities")
	out := q.host(Command{Op: "queue.add", Name: " Zoë  (video) ", Constituency: "networks"})
	zoe := out.Result.Hand
	qEqual(t, "the ack names the hand", zoe, "h"+fmt.Sprint(q.off))
	qEqual(t, "nobody's own data changed but those who moved", out.Change.You, []string(nil))
	q.raise("Ben", "Cities")
	want := []string{"Ana/Cities", "Zoë (video)/Networks byhand", "Ben/Cities"}
	for _, r := range []Role{Facilitator, Display, Attendee} {
		qEqual(t, "waiting for "+string(r), q.hands(r), want)
	}
	// A point of order added by the team goes first: adding it is its
	// approval.
	q.add("Chair", "other", HandOrder)
	qEqual(t, "a point of order by hand", q.hands(Facilitator)[0], "Chair/other byhand")
	qEqual(t, "Ana's place", q.place("Ana"), 2)

	q.next() // the chair
	q.next() // Ana
	q.wait(30 * time.Second)
	q.next()
	sp := q.view(Facilitator).raw["speaking"]
	if !strings.Contains(string(sp), `"byHand":true`) || !strings.Contains(string(sp), "Zoë (video)") {
		t.Fatalf("the speaker added by hand: %s", sp)
	}
	qEqual(t, "Ana's place once she spoke", q.place("Ana"), 0)
	q.wait(45 * time.Second)
	q.next() // Ben
	x := q.view("export")
	qEqual(t, "the record says who was added by hand", []bool{x.Speakers[0].ByHand, x.Speakers[1].ByHand, x.Speakers[2].ByHand}, []bool{true, false, true})
	qEqual(t, "Zoë's turn", x.Speakers[2].Seconds, 45.0)
	qEqual(t, "her constituency's floor time", x.Stats, []StatView{{"Cities", 1, 30}, {"Networks", 1, 45}, {"other", 1, 0}})

	// Back to the front, still by hand; once only.
	q.next()
	q.host(Command{Op: "queue.readd"}) // Ben, who has a phone
	q.host(Command{Op: "queue.next"})
	q.next()
	readd := q.host(Command{Op: "queue.add", Name: "Zoë (video)", Constituency: "Networks"})
	qEqual(t, "the same person may be added again once she is done", readd.Result.Err == nil, true)
	q.refused(Host, Command{Op: "queue.add", Name: "zoë (VIDEO)", Constituency: "Networks"}, CodeConflict)
	q.add("Zoë (video)", "Cities", "") // another person of that name
	qEqual(t, "two hands by hand", q.hands(Facilitator), []string{"Zoë (video)/Networks byhand", "Zoë (video)/Cities byhand"})
}

// "firsttime" knows a speaker added by hand by name: one who spoke goes
// after those who have not.
func TestQueueAddByHandFirstTime(t *testing.T) {
	q := qOpen(t, ActivitySpec{Policy: PolicyFirstTime})
	q.join("Ana")
	q.add("Zoë", "", "")
	q.next()
	q.next()
	q.add("zoë", "", "")
	q.raise("Ana", "")
	qEqual(t, "the newcomer first", q.hands(Facilitator), []string{"Ana/", "zoë/ byhand"})
	q.host(Command{Op: "queue.remove", Hand: q.view(Facilitator).Waiting[1].Hand})
	qEqual(t, "removed", q.hands(Facilitator), []string{"Ana/"})
}

// The facilitator corrects a hand's name or constituency, waiting or
// speaking; an "alternate" queue orders itself again.
func TestQueueEdit(t *testing.T) {
	q := qOpen(t, ActivitySpec{Constituencies: []string{"Cities", "Networks"}, Policy: PolicyAlternate})
	q.join("Ana", "Ben", "Chloé")
	q.raise("Ana", "Cities")
	ben := q.raise("Ben", "Cities")
	q.raise("Chloé", "Networks")
	qEqual(t, "alternate", q.hands(Facilitator), []string{"Ana/Cities", "Chloé/Networks", "Ben/Cities"})
	edit := func(fields map[string]any) Outcome {
		t.Helper()
		fields["op"], fields["activity"] = "queue.edit", q.queue
		return q.host(qWire(t, fields))
	}
	out := edit(map[string]any{"hand": ben, "constituency": "NETWORKS"})
	qEqual(t, "the ack names the hand", out.Result.Hand, ben)
	qEqual(t, "Ben's constituency fixed, the order follows", q.hands(Facilitator), []string{"Ana/Cities", "Ben/Networks", "Chloé/Networks"})
	qEqual(t, "Ben is told his new place", slices.Contains(out.Change.You, q.who["Ben"]), true)
	edit(map[string]any{"hand": ben, "name": "Benoît"})
	qEqual(t, "the name alone", q.hands(Attendee)[1], "Benoît/Networks")

	q.next() // Ana speaks
	ana := q.view(Facilitator).Speaking.Hand
	edit(map[string]any{"hand": ana, "name": "Ana P.", "constituency": "Networks"})
	sp := q.view(Display).Speaking
	qEqual(t, "the speaker corrected", []string{sp.Name, sp.Constituency}, []string{"Ana P.", "Networks"})
	q.wait(10 * time.Second)
	q.next()
	qEqual(t, "her turn counts where it belongs", q.view(Facilitator).Stats[1], StatView{"Networks", 1, 10})
	qEqual(t, "the record", q.view("export").Speakers[0].Name, "Ana P.")

	chloe := q.view(Facilitator).Waiting[0].Hand
	long := strings.Repeat("é", 81)
	tests := []struct {
		name   string
		by     string
		fields map[string]any
		code   string
	}{
		{"neither field", Host, map[string]any{"hand": chloe}, CodeBadRequest},
		{"no hand", Host, map[string]any{"name": "X"}, CodeBadRequest},
		{"an unknown hand", Host, map[string]any{"hand": "h999", "name": "X"}, CodeNotFound},
		{"a finished turn", Host, map[string]any{"hand": ana, "name": "X"}, CodeNotFound},
		{"an empty name", Host, map[string]any{"hand": chloe, "name": " "}, CodeBadRequest},
		{"an overlong name", Host, map[string]any{"hand": chloe, "name": long}, CodeBadRequest},
		{"an unknown constituency", Host, map[string]any{"hand": chloe, "constituency": "Villages"}, CodeBadRequest},
		{"no constituency where one is needed", Host, map[string]any{"hand": chloe, "constituency": ""}, CodeBadRequest},
		{"a good name with a bad constituency", Host, map[string]any{"hand": chloe, "name": "C", "constituency": "Villages"}, CodeBadRequest},
		{"an attendee", "Chloé", map[string]any{"hand": chloe, "name": "Boss"}, CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.t = t
			tt.fields["op"], tt.fields["activity"] = "queue.edit", q.queue
			q.refused(tt.by, qWire(t, tt.fields), tt.code)
		})
	}
	q.t = t
}

// With "orderApproval", a point of order from a phone waits where the
// policy puts it, marked held, until queue.approve sends it to the front.
func TestQueueOrderApproval(t *testing.T) {
	order := func(name string) Command {
		return Command{Op: "hand.raise", Name: name, Constituency: "", Kind: HandOrder}
	}
	q := qOpen(t, qSpec(t, `{"orderApproval": true}`))
	qEqual(t, "the view says so", string(q.view(Attendee).raw["orderApproval"]), "true")
	q.join("Ana", "Ben", "Chloé", "Dan")
	q.raise("Ana", "")
	q.raise("Ben", "")
	chloe := q.by("Chloé", order("Chloé")).Result.Hand
	q.raise("Dan", "")
	qEqual(t, "held in its place", q.hands(Display), []string{"Ana/", "Ben/", "Chloé/ held", "Dan/"})
	qEqual(t, "Chloé's place", q.place("Chloé"), 3)

	ana := q.view(Facilitator).Waiting[0].Hand
	tests := []struct {
		name string
		by   string
		cmd  Command
		code string
	}{
		{"approving a hand to speak", Host, Command{Op: "queue.approve", Hand: ana}, CodeBadRequest},
		{"approving an unknown hand", Host, Command{Op: "queue.approve", Hand: "h999"}, CodeNotFound},
		{"approving no hand", Host, Command{Op: "queue.approve"}, CodeBadRequest},
		{"an attendee approving", "Chloé", Command{Op: "queue.approve", Hand: chloe}, CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.t = t
			q.refused(tt.by, tt.cmd, tt.code)
		})
	}
	q.t = t
	out := q.host(Command{Op: "queue.approve", Hand: chloe})
	qEqual(t, "approved: to the front", q.hands(Attendee), []string{"Chloé/", "Ana/", "Ben/", "Dan/"})
	qEqual(t, "everyone who moved is told", len(out.Change.You), 3)
	qEqual(t, "Chloé's place", q.place("Chloé"), 1)
	q.refused(Host, Command{Op: "queue.approve", Hand: chloe}, CodeConflict) // a second console, too late
	q.next()
	qEqual(t, "the point of order has the floor", q.speaker(), "Chloé")

	// Unapproved, a point of order simply waits its turn.
	q.by("Dan", Command{Op: "hand.lower"})
	q.by("Dan", order("Dan"))
	q.next()
	q.next()
	q.next()
	qEqual(t, "Dan's point of order was never approved, yet he speaks in his turn", q.speaker(), "Dan")

	// Without orderApproval nothing is held, and there is nothing to
	// approve.
	p := qOpen(t, ActivitySpec{})
	p.join("Ana", "Ben")
	p.raise("Ana", "")
	ben := p.by("Ben", order("Ben")).Result.Hand
	qEqual(t, "at the front at once", p.hands(Facilitator), []string{"Ben/", "Ana/"})
	p.refused(Host, Command{Op: "queue.approve", Hand: ben}, CodeConflict)
}

// queue.add is refused where it must be, and changes nothing then.
func TestQueueAddBadInput(t *testing.T) {
	q := qNew(t, ActivitySpec{Constituencies: []string{"Cities"}})
	q.join("Ana")
	q.refused(Host, Command{Op: "queue.add", Name: "Zoë", Constituency: "Cities"}, CodeActivityClosed)
	q.host(Command{Op: "activity.open"})
	tests := []struct {
		name string
		by   string
		cmd  Command
		code string
	}{
		{"no name", Host, Command{Op: "queue.add", Constituency: "Cities"}, CodeBadRequest},
		{"an overlong name", Host, Command{Op: "queue.add", Name: strings.Repeat("x", 81), Constituency: "Cities"}, CodeBadRequest},
		{"control characters", Host, Command{Op: "queue.add", Name: "Zo\x1bë", Constituency: "Cities"}, CodeBadRequest},
		{"an unknown constituency", Host, Command{Op: "queue.add", Name: "Zoë", Constituency: "Villages"}, CodeBadRequest},
		{"no constituency where one is needed", Host, Command{Op: "queue.add", Name: "Zoë"}, CodeBadRequest},
		{"an unknown kind", Host, Command{Op: "queue.add", Name: "Zoë", Constituency: "Cities", Kind: "shout"}, CodeBadRequest},
		{"an attendee", "Ana", Command{Op: "queue.add", Name: "Zoë", Constituency: "Cities"}, CodeForbidden},
		{"an unknown queue", Host, Command{Op: "queue.add", Activity: "a999", Name: "Zoë", Constituency: "Cities"}, CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.t = t
			q.refused(tt.by, tt.cmd, tt.code)
		})
	}
	q.t = t
	q.add("Zoë", "other", "")
	qEqual(t, "other is always allowed", q.hands(Facilitator), []string{"Zoë/other byhand"})
}

// A replica restored from a snapshot anywhere in a hybrid queue's script
// goes on exactly as one that never stopped.
func TestQueueHybridSnapshotRoundTrip(t *testing.T) {
	q := qOpen(t, qSpec(t, `{"orderApproval": true, "policy": "firsttime", "constituencies": ["North", "South"]}`))
	q.join("Ana", "Ben", "Chloé")
	q.raise("Ana", "North")
	q.add("Zoë", "South", "")
	chloe := q.by("Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "South", Kind: HandOrder}).Result.Hand
	q.next()
	q.wait(9 * time.Second)
	q.next()
	q.raise("Ben", "North")
	q.host(qWire(t, map[string]any{"op": "queue.edit", "activity": q.queue, "hand": q.view(Facilitator).Waiting[0].Hand, "name": "Chloé R."}))
	q.host(Command{Op: "queue.approve", Hand: chloe})
	q.wait(3 * time.Second)
	q.next()
	q.host(Command{Op: "queue.readd"})
	q.next()
	q.wait(4 * time.Second)
	q.next()
	q.add("zoë", "South", "")
	q.add("Dan", "North", HandOrder)
	q.apply(Host, Command{Op: "queue.add", Name: "Zoë", Constituency: "south"}) // refused: remembered all the same

	fullJSON, full := q.qStateJSON(), q.everything()
	for cut := 1; cut < len(q.events); cut++ {
		s := &State{}
		for _, e := range q.events[:cut] {
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
		for _, e := range q.events[cut:] {
			if want, got := s.Apply(e), restored.Apply(e); !reflect.DeepEqual(want, got) {
				t.Fatalf("cut at %d, event %d (%s): restored replica answered %+v, want %+v", cut, e.Offset, e.Cmd.Op, got, want)
			}
		}
		r := &qScript{t: t, s: restored, queue: q.queue, who: q.who, names: q.names}
		if got := r.qStateJSON(); got != fullJSON {
			t.Fatalf("cut at %d: state differs:\n got %s\nwant %s", cut, got, fullJSON)
		}
		if got := r.everything(); got != full {
			t.Fatalf("cut at %d: views differ:\n got %s\nwant %s", cut, got, full)
		}
	}
}
