package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// scTally is a tally of instance's seq-th window, with counts by minute
// (minutes after scStart).
func scTally(instance string, seq uint64, minutes map[int]Counts) Command {
	t := Tally{Instance: instance, Seq: seq}
	for m := 0; m < 60; m++ {
		if c, ok := minutes[m]; ok {
			t.Minutes = append(t.Minutes, ReactionMinute{Minute: scStart.Add(time.Duration(m) * time.Minute), Counts: c})
		}
	}
	return t.Command()
}

func scMinutes(t *testing.T, s *State) string {
	t.Helper()
	b, err := json.Marshal(s.ReactionMinutes())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A session warms up with reactions: the facilitator turns them on, the
// hall taps, and two instances append their own tallies, which interleave
// in the log; the export has the session's counts per minute.
func TestReactionsTalliedPerMinute(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	scEqual(t, "a tap while reactions are off", r.s.CheckReact(r.who["Ana"], "heart").Reason, ReasonReactionsOff)
	r.host(Command{Op: OpUpdate, Reactions: scPtr(true)})
	scEqual(t, "reactions in the header", r.session(Attendee)["reactions"], any(true))
	if err := r.s.CheckReact(r.who["Ana"], "applause"); err != nil {
		t.Fatalf("a tap with reactions on: %v", err)
	}

	// Instance A's first tally spans a minute's end; B's comes between.
	r.apply("", scTally("A", 1, map[int]Counts{0: {3, 1}, 1: {2}}))
	r.apply("", scTally("B", 1, map[int]Counts{0: {0, 0, 4}}))
	r.apply("", scTally("A", 2, map[int]Counts{1: {1, 0, 0, 0, 5}}))
	// B was late with minute 0 of another window: it goes into its place.
	r.apply("", scTally("B", 2, map[int]Counts{0: {1}, 2: {0, 0, 0, 7}}))
	scEqual(t, "per minute", scMinutes(t, r.s),
		`[{"minute":"2025-06-02T14:00:00Z","counts":{"applause":4,"heart":1,"thumbsup":4,"laugh":0,"think":0}},`+
			`{"minute":"2025-06-02T14:01:00Z","counts":{"applause":3,"heart":0,"thumbsup":0,"laugh":0,"think":5}},`+
			`{"minute":"2025-06-02T14:02:00Z","counts":{"applause":0,"heart":0,"thumbsup":0,"laugh":7,"think":0}}]`)

	// An append retried after an ambiguous failure is in the log twice:
	// the second changes nothing.
	before := r.stateJSONWithoutMemory()
	out := r.apply("", scTally("A", 2, map[int]Counts{1: {1, 0, 0, 0, 5}}))
	if out.Result.Err != nil || r.stateJSONWithoutMemory() != before {
		t.Fatalf("a repeated tally: %v, or it changed the state", out.Result.Err)
	}
	scEqual(t, "CSV rows", r.s.ReactionCSV()[0], append([]string{"", "reactions", ""}, CSVRow{Item: "applause", Count: "4", Created: "2025-06-02T14:00:00Z"}.Cells()...))
	scEqual(t, "CSV rows are the counts that are not zero", len(r.s.ReactionCSV()), 6)

	// Tallies carry taps accepted before the end; they still count after
	// it, though no tap is accepted any more.
	r.host(Command{Op: OpEnd})
	scEqual(t, "a tap after the end", r.s.CheckReact(r.who["Ben"], "heart").Code, CodeSessionEnded)
	r.apply("", scTally("B", 3, map[int]Counts{2: {0, 1}}))
	if !strings.HasSuffix(scMinutes(t, r.s), `{"minute":"2025-06-02T14:02:00Z","counts":{"applause":0,"heart":1,"thumbsup":0,"laugh":7,"think":0}}]`) {
		t.Fatalf("the tally after the end: %s", scMinutes(t, r.s))
	}

	// The snapshot keeps them, and a replay of the log folds the same.
	var back State
	if err := json.Unmarshal([]byte(r.stateJSON()), &back); err != nil {
		t.Fatal(err)
	}
	back.Restore()
	scEqual(t, "from the snapshot", scMinutes(t, &back), scMinutes(t, r.s))
	replay := &State{}
	for _, e := range r.events {
		replay.Apply(e)
	}
	scEqual(t, "replayed", scMinutes(t, replay), scMinutes(t, r.s))
}

// Taps that are not allowed are refused with the contract's codes; they
// are judged by CheckReact and never appended, so they change nothing.
func TestReactRefusals(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	r.host(Command{Op: OpUpdate, Reactions: scPtr(true)})
	before := r.stateJSON()
	tests := []struct {
		name, actor, emoji, code string
	}{
		{"an unknown emoji", r.who["Ana"], "thumbsdown", CodeBadRequest},
		{"no emoji", r.who["Ana"], "", CodeBadRequest},
		{"an emoji by its picture", r.who["Ana"], "👏", CodeBadRequest},
		{"a name in another case", r.who["Ana"], "Heart", CodeBadRequest},
		{"the facilitator", Host, "heart", CodeForbidden},
		{"the server", "", "heart", CodeForbidden},
	}
	for _, tc := range tests {
		err := r.s.CheckReact(tc.actor, tc.emoji)
		if err == nil || err.Code != tc.code {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.code)
		}
	}
	r.host(Command{Op: OpUpdate, Reactions: scPtr(false)})
	if err := r.s.CheckReact(r.who["Ana"], "heart"); err == nil || err.Code != CodeForbidden || err.Reason != ReasonReactionsOff {
		t.Errorf("reactions turned off: got %v", err)
	}
	if r.s.Tallies != nil {
		t.Fatalf("taps changed the state: %s (before %s)", r.stateJSON(), before)
	}
	// A client cannot send the server's tally, nor is a tap an op of the log.
	r.refused("Ana", scTally("A", 1, map[int]Counts{0: {1}}), CodeForbidden)
	r.refused(Host, scTally("A", 1, map[int]Counts{0: {1}}), CodeForbidden)
	r.refused("Ana", Command{Op: OpReact, Activity: "a1"}, CodeBadRequest)
}

// A damaged tally (the server's own, so a bug or a log written by hand)
// is refused and changes nothing.
func TestBadTallies(t *testing.T) {
	r := scNew(t)
	r.apply("", scTally("A", 1, map[int]Counts{0: {1}}))
	raw := func(args string) Command { return Command{Op: OpTally, Args: json.RawMessage(args)} }
	tests := []struct {
		name string
		c    Command
	}{
		{"no fields", Command{Op: OpTally}},
		{"not an object", raw(`[1]`)},
		{"no instance", raw(`{"seq":1,"minutes":[{"minute":"2025-06-02T14:00:00Z","counts":{"heart":1}}]}`)},
		{"seq 0", raw(`{"instance":"B","seq":0,"minutes":[{"minute":"2025-06-02T14:00:00Z","counts":{"heart":1}}]}`)},
		{"no minutes", raw(`{"instance":"B","seq":1,"minutes":[]}`)},
		{"a minute off the minute", raw(`{"instance":"B","seq":1,"minutes":[{"minute":"2025-06-02T14:00:30Z","counts":{"heart":1}}]}`)},
		{"an unknown emoji", raw(`{"instance":"B","seq":1,"minutes":[{"minute":"2025-06-02T14:00:00Z","counts":{"boo":1}}]}`)},
		{"a negative count", raw(`{"instance":"B","seq":1,"minutes":[{"minute":"2025-06-02T14:00:00Z","counts":{"heart":-3}}]}`)},
		{"too many minutes", scTally("B", 1, map[int]Counts{0: {1}, 1: {1}, 2: {1}, 3: {1}, 4: {1}, 5: {1}, 6: {1}, 7: {1}, 8: {1}, 9: {1}, 10: {1}})},
	}
	for _, tc := range tests {
		before := r.stateJSONWithoutMemory()
		out := r.apply("", tc.c)
		if out.Result.Err == nil || out.Result.Err.Code != CodeBadRequest {
			t.Errorf("%s: got %v, want bad_request", tc.name, out.Result.Err)
		}
		if r.stateJSONWithoutMemory() != before {
			t.Errorf("%s changed the state", tc.name)
		}
	}
}
