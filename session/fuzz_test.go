package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wireOf is the "cmd" message a client sends for c: the spec of
// activity.create goes in "activity", as on the wire.
func wireOf(t *testing.T, c Command) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	// Numbers stay as written: a float64 would round 2^63-1.
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	delete(m, "spec")
	if c.Spec != nil {
		m["activity"] = c.Spec
	}
	m["type"] = "cmd"
	// The log's mark of a cleared list is said on the wire as the list.
	if delete(m, "noConstituencies"); c.NoConstituencies {
		m["constituencies"] = []string{}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzParseCommand: any bytes are parsed without a panic, refused as
// malformed, or read into a command that the log stores and reads back the
// same (the hub appends what ParseCommand returns, every replica decodes
// it) and that a client could have sent as is.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`{"type":"cmd","id":"c-1","op":"vote","activity":"a3","choices":[0,2]}`,
		`{"type":"cmd","id":"c-2","op":"activity.create","activity":{"kind":"poll","title":"T","options":["a","b"],"multi":true,"maxChoices":2}}`,
		`{"type":"cmd","id":"c-3","op":"activity.create","activity":{"kind":"queue","title":"Q","constituencies":[],"policy":"alternate"}}`,
		`{"type":"cmd","id":"c-4","op":"queue.next","activity":"a4","current":""}`,
		`{"type":"cmd","id":"c-5","op":"queue.move","activity":"a4","hand":"h9","to":-3}`,
		`{"type":"cmd","id":"c-6","op":"activity.reveal","activity":"a1","attendees":false,"display":true}`,
		`{"type":"cmd","id":"c-7","op":"vote","activity":"a3","choices":[null]}`,
		`{"type":"cmd","op":"word.submit","activity":"a2","text":"x\u0301\u0301 <b>"}`,
		`{"type":"cmd","op":"activity.present","activity":null,"current":"a1"}`,
		`{"OP":"vote","Choices":[1],"ACTIVITY":"a1"}`,
		`{"op":"vote","choices":[]}`,
		`[]`,
		`{"op":"queue.timer","seconds":1e3}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCommand(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("encoding %+v: %v", c, err)
		}
		var logged Command
		if err := json.Unmarshal(b, &logged); err != nil {
			t.Fatalf("decoding the log's %s: %v", b, err)
		}
		if !reflect.DeepEqual(logged, c) {
			t.Fatalf("the log reads back another command:\n parsed %#v\n logged %#v\n as %s", c, logged, b)
		}
		again, err := ParseCommand(wireOf(t, c))
		if err != nil {
			t.Fatalf("the command re-sent is refused: %v (%s)", err, wireOf(t, c))
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("the command re-sent parses otherwise:\n first %#v\n again %#v", c, again)
		}
	})
}

// fz* are what a fuzzed command is made of: each command is 6 bytes of
// the input, every one a choice among these, so that any input is a
// script of commands (most of them refused) rather than mostly JSON that
// does not parse.
var (
	fzActors     = []string{Host, "p2", "p3", "", "p999"} // the facilitator, Ana, Ben, the server, someone who never joined
	fzOps        = []string{"vote", "word.submit", "word.hide", "word.unhide", "word.approve", "qa.ask", "qa.upvote", "qa.moderate", "hand.raise", "hand.lower", "queue.next", "queue.move", "queue.remove", "queue.readd", "queue.timer", "queue.policy", "activity.open", "activity.close", "activity.present", "activity.reveal", "activity.create", "session.end", OpJoin, OpCreate, "no.such.op"}
	fzActivities = []string{"a4", "a5", "a6", "a7", "a8", "", "a999", "a9"}
	fzTexts      = []string{"air", "AIR", " air ", "", "  ", "fire", "shit", "x" + strings.Repeat("\u0301", 40), "a\x07b", "Cafe\u0301", "Café", "North", "other", "a very long text, longer than ten"}
	fzActions    = []string{"approve", "hide", "pin", "unpin", "answered", "pause", "resume", "add", "set", "delete"}
	fzPolicies   = []string{PolicyFIFO, PolicyAlternate, PolicyFirstTime, "lifo"}
	fzKinds      = []string{"", HandSpeak, HandOrder, "shout"}
	fzSpecs      = []ActivitySpec{
		{Kind: KindPoll, Title: "P", Options: []string{"a", "b"}},
		{Kind: KindWordcloud, Title: "W", MaxEntries: 1},
		{Kind: KindQA, Title: "Q"},
		{Kind: KindQueue, Title: "S", Policy: PolicyFirstTime},
		{Kind: KindQueue, Title: "S", Constituencies: []string{"A", "a"}},
		{Kind: "survey"},
		{Kind: KindPoll, Options: []string{"only one"}},
		{Kind: KindQueue, SpeakingSeconds: 5},
	}
)

// fzCommand makes the command of 6 bytes: sender, op, activity, a number,
// a choice of text (or action, policy, choices), and flags.
func fzCommand(b []byte, line int) (string, Command) {
	actor := fzActors[int(b[0])%len(fzActors)]
	n, pick, flags := int(int8(b[3])), int(b[4]), b[5]
	c := Command{Op: fzOps[int(b[1])%len(fzOps)], Activity: fzActivities[int(b[2])%len(fzActivities)]}
	// A few ids, so that retries and clashes between senders happen.
	if id := flags >> 5; id > 0 {
		c.ID = fmt.Sprint("i", id)
	} else if actor != "" {
		c.ID = fmt.Sprint("f", line)
	}
	text := fzTexts[pick%len(fzTexts)]
	switch c.Op {
	case "vote":
		for i := range int(b[3]) % 4 {
			c.Choices = append(c.Choices, (pick>>(2*i))&3-int(flags&1))
		}
	case "word.submit", "word.hide", "word.unhide", "word.approve", "qa.ask":
		c.Text = text
	case "qa.upvote", "qa.moderate":
		c.Entry = "q" + strconv.Itoa(int(b[3]))
		c.Action = fzActions[pick%len(fzActions)]
	case "hand.raise":
		c.Name, c.Constituency, c.Kind = fzTexts[(pick/16)%len(fzTexts)], text, fzKinds[int(b[3])%len(fzKinds)]
	case "queue.move", "queue.remove":
		c.Hand = "h" + strconv.Itoa(pick)
		if flags&1 != 0 {
			to := n % 10
			c.To = &to
		}
	case "queue.timer":
		c.Action = fzActions[pick%len(fzActions)]
		if flags&1 != 0 {
			sec := n * 30
			c.Seconds = &sec
		}
	case "queue.policy":
		c.Policy = fzPolicies[pick%len(fzPolicies)]
	case "activity.create":
		spec := fzSpecs[int(b[2])%len(fzSpecs)]
		c.Activity, c.Spec = "", &spec
	case OpJoin:
		c.Name, c.Constituency = text, fzTexts[(pick/16)%len(fzTexts)]
	}
	if flags&4 != 0 {
		cur := ""
		switch {
		case n < 0:
		case c.Op == "activity.present":
			cur = fzActivities[n%len(fzActivities)]
		default:
			cur = "h" + strconv.Itoa(n)
		}
		c.Current = &cur
	}
	if c.Op == "activity.reveal" {
		bools := []*bool{nil, scPtr(true), scPtr(false), nil}
		c.Attendees, c.Display = bools[(flags>>1)&3], bools[(flags>>3)&3]
	}
	return actor, c
}

// fzSession is a small session with one activity of each kind (and a
// second queue, with constituencies, still a draft), small limits so that
// a fuzzer reaches them, and the poll on screen.
func fzSession(t *testing.T) (*State, uint64, time.Time) {
	t.Helper()
	s := &State{Limits: Limits{QAEntries: 6, QAEntriesPerParticipant: 3, Activities: 8, QueueShown: 2}}
	now := scStart
	var off uint64
	step := func(actor string, c Command) {
		t.Helper()
		off++
		if actor != "" {
			c.ID = "setup-" + strconv.FormatUint(off, 10)
		}
		if out := s.Apply(Event{Offset: off, Time: now, Actor: actor, Cmd: c}); out.Result.Err != nil {
			t.Fatalf("setup %s: %v", c.Op, out.Result.Err)
		}
	}
	step("", Command{Op: OpCreate, Session: "s1", Code: "12345678", Title: "Fuzz", Rules: CurrentRules})
	step("", Command{Op: OpJoin, Name: "Ana"})
	step("", Command{Op: OpJoin, Name: "Ben"})
	for _, spec := range []ActivitySpec{
		{Kind: KindPoll, Title: "Poll", Options: []string{"a", "b", "c"}, Multi: true, MaxChoices: 2},            // a4
		{Kind: KindWordcloud, Title: "Cloud", MaxEntries: 2, MaxLength: 10},                                      // a5
		{Kind: KindQA, Title: "Board", Moderated: true},                                                          // a6
		{Kind: KindQueue, Title: "Queue"},                                                                        // a7
		{Kind: KindQueue, Title: "Queue 2", Constituencies: []string{"North", "South"}, Policy: PolicyAlternate}, // a8
	} {
		step(Host, Command{Op: "activity.create", Spec: &spec})
	}
	for _, id := range []string{"a4", "a5", "a6", "a7"} {
		step(Host, Command{Op: "activity.open", Activity: id})
	}
	step(Host, Command{Op: "activity.present", Activity: "a4"})
	return s, off, now
}

// fzEverything is what every role and participant can see, and the export.
func fzEverything(t *testing.T, s *State) string {
	t.Helper()
	parts := []any{s.View(Facilitator), s.View(Attendee), s.View(Display)}
	ps := make([]string, 0, len(s.Participants))
	for p := range s.Participants {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	for _, a := range s.Activities {
		parts = append(parts, a.View(Facilitator), a.View(Attendee), a.View(Display), a.Export())
		for _, p := range ps {
			parts = append(parts, a.You(p))
		}
	}
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fzState is the state's JSON; without memory, it leaves out what every
// event changes, refused or not: the offset and the answers remembered.
func fzState(t *testing.T, s *State, memory bool) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if memory {
		return string(b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "offset")
	delete(m, "results")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// fzStep is one command of a seed, byte by byte as fzCommand reads it:
// sender, op and activity by their index in fzActors, fzOps and
// fzActivities, then the number, the pick and the flags.
type fzStep [6]byte

func fzScript(steps ...fzStep) []byte {
	var out []byte
	for _, s := range steps {
		out = append(out, s[:]...)
	}
	return out
}

// Senders, ops and activities of the seeds, by index.
const (
	fzHost, fzAna, fzBen, fzServer, fzStranger  = 0, 1, 2, 3, 4
	fzPoll, fzCloud, fzBoard, fzQueue, fzQueue2 = 0, 1, 2, 3, 4
	fzCurrent                                   = 4 // the flag that sets "current"
)

// fzSeeds start the fuzzer from scripts that reach each kind's deeper
// states; the first offset they get is 14, so the first hand or entry is
// h14 or q14 (pick or number 14).
var fzSeeds = [][]fzStep{
	// A poll: votes, a bad one, a retry with one id, the close, a late vote.
	{{fzAna, 0, fzPoll, 2, 0x01, 0}, {fzBen, 0, fzPoll, 1, 0x02, 1 << 5}, {fzBen, 0, fzPoll, 1, 0x00, 1 << 5},
		{fzAna, 0, fzPoll, 3, 0xff, 0}, {fzHost, 19, fzPoll, 0, 0, 1 << 1}, {fzHost, 17, fzPoll, 0, 0, 0}, {fzAna, 0, fzPoll, 1, 0, 0}},
	// A queue: hands, a point of order, a stale "next speaker" click.
	{{fzHost, 18, fzQueue, 0, 0, 0}, {fzAna, 8, fzQueue, 0, 0, 0}, {fzBen, 8, fzQueue, 2, 0x10, 0},
		{fzHost, 10, fzQueue, 0xff, 0, fzCurrent}, {fzHost, 10, fzQueue, 0xff, 0, fzCurrent}, {fzHost, 14, fzQueue, 0, 0, 0},
		{fzHost, 10, fzQueue, 0, 0, 0}, {fzHost, 13, fzQueue, 0, 0, 0}, {fzHost, 15, fzQueue, 0, 1, 0}},
	// Two hands moved to one index, beyond the end once the first hand
	// leaves; a new hand then goes before both (the first-come fast path).
	{{fzHost, 18, fzQueue, 0, 0, 0}, {fzAna, 8, fzQueue, 0, 0, 0}, {fzBen, 8, fzQueue, 0, 0, 0}, {fzStranger, 8, fzQueue, 0, 0, 0},
		{fzHost, 11, fzQueue, 2, 16, 1}, {fzHost, 11, fzQueue, 2, 17, 1}, {fzAna, 9, fzQueue, 0, 0, 0}, {fzAna, 8, fzQueue, 0, 0, 0}},
	// A moderated board up to its caps: 3 per participant, 6 in all.
	{{fzHost, 18, fzBoard, 0, 0, 0}, {fzAna, 5, fzBoard, 0, 0, 0}, {fzAna, 5, fzBoard, 0, 5, 0}, {fzAna, 5, fzBoard, 0, 6, 0},
		{fzAna, 5, fzBoard, 0, 9, 0}, {fzHost, 7, fzBoard, 15, 0, 0}, {fzBen, 6, fzBoard, 15, 0, 0}, {fzBen, 5, fzBoard, 0, 1, 0},
		{fzStranger, 5, fzBoard, 0, 2, 0}, {fzStranger, 5, fzBoard, 0, 5, 0}, {fzStranger, 5, fzBoard, 0, 6, 0}},
	// A word cloud: equal words, a flagged one held, hidden, approved.
	{{fzHost, 18, fzCloud, 0, 0, 0}, {fzAna, 1, fzCloud, 0, 0, 0}, {fzBen, 1, fzCloud, 0, 1, 0}, {fzBen, 1, fzCloud, 0, 6, 0},
		{fzHost, 4, fzCloud, 0, 6, 0}, {fzHost, 2, fzCloud, 0, 2, 0}, {fzAna, 1, fzCloud, 0, 7, 0}, {fzAna, 1, fzCloud, 0, 9, 0}},
	// Activities up to the cap, joins, the end.
	{{fzHost, 20, 0, 0, 0, 0}, {fzHost, 20, 2, 0, 0, 0}, {fzHost, 20, 3, 0, 0, 0}, {fzHost, 20, 5, 0, 0, 0},
		{fzServer, 22, 0, 0, 0, 0}, {fzHost, 21, 0, 0, 0, 0}, {fzAna, 0, fzPoll, 1, 0, 0}, {fzServer, 22, 0, 0, 1, 0}},
}

// FuzzReducer plays commands made from the input (fzCommand, 6 bytes
// each, at most 64) against a small session, from every sender. For every
// command: no panic; Check changes nothing and answers what Apply then
// answers; a refused or repeated command changes nothing anyone can see,
// nor the state. At the end a replica restored from a snapshot of the state
// shows exactly the same.
func FuzzReducer(f *testing.F) {
	for _, script := range fzSeeds {
		f.Add(fzScript(script...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, off, now := fzSession(t)
		for i := 0; i+6 <= len(data) && i < 6*64; i += 6 {
			actor, c := fzCommand(data[i:i+6], i/6)
			_, seen := s.Seen(actor, c.ID)
			var checked *Error
			if !seen {
				beforeAll := fzState(t, s, true)
				checked = s.Check(actor, c)
				if after := fzState(t, s, true); after != beforeAll {
					t.Fatalf("command %d: Check(%q, %+v) changed the state:\nbefore %s\nafter  %s", i/6, actor, c, beforeAll, after)
				}
			}
			// What a refusal must leave alone; an accepted command that
			// Apply refused fails below whatever it changed.
			var before, beforeViews string
			if seen || checked != nil {
				before, beforeViews = fzState(t, s, false), fzEverything(t, s)
			}
			off++
			now = now.Add(time.Second)
			out := s.Apply(Event{Offset: off, Time: now, Actor: actor, Cmd: c})
			if seen != out.Duplicate {
				t.Fatalf("command %d: seen %v, Apply says duplicate %v", i/6, seen, out.Duplicate)
			}
			if !seen && !reflect.DeepEqual(checked, out.Result.Err) {
				t.Fatalf("command %d: %+v by %q: Check said %v, Apply said %v", i/6, c, actor, checked, out.Result.Err)
			}
			if out.Result.Err == nil && !out.Duplicate {
				continue
			}
			if !reflect.DeepEqual(out.Change, Change{}) {
				t.Fatalf("command %d: %+v by %q was refused or repeated but reports a change: %+v", i/6, c, actor, out.Change)
			}
			if after := fzState(t, s, false); after != before {
				t.Fatalf("command %d: %+v by %q was refused (%v) but changed the state:\nbefore %s\nafter  %s", i/6, c, actor, out.Result.Err, before, after)
			}
			if after := fzEverything(t, s); after != beforeViews {
				t.Fatalf("command %d: %+v by %q was refused (%v) but changed the views:\nbefore %s\nafter  %s", i/6, c, actor, out.Result.Err, beforeViews, after)
			}
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		restored := &State{Limits: s.Limits}
		if err := json.Unmarshal(b, restored); err != nil {
			t.Fatal(err)
		}
		restored.Restore()
		if got, want := fzEverything(t, restored), fzEverything(t, s); got != want {
			t.Fatalf("a replica restored from the snapshot shows otherwise:\n got %s\nwant %s", got, want)
		}
		if got := fzState(t, restored, true); got != string(b) {
			t.Fatalf("the restored state encodes otherwise:\n got %s\nwant %s", got, b)
		}
	})
}
