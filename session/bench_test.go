package session

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// benchState is a session with n participants and one open activity made
// from spec, built by applying events as the log would.
type benchState struct {
	s     *State
	off   uint64
	parts []string
	act   string
	now   time.Time
}

func newBenchState(b *testing.B, n int, spec ActivitySpec) *benchState {
	b.Helper()
	bs := &benchState{s: &State{}, now: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)}
	bs.apply(b, "", Command{Op: OpCreate, Session: "s1", Code: "12345678", Title: "Bench", Rules: CurrentRules})
	for i := 0; i < n; i++ {
		bs.apply(b, "", Command{Op: OpJoin, Name: "p"})
		bs.parts = append(bs.parts, "p"+strconv.FormatUint(bs.off, 10))
	}
	out := bs.apply(b, Host, Command{ID: "h1", Op: "activity.create", Spec: &spec})
	bs.act = out.Result.Activity
	bs.apply(b, Host, Command{ID: "h2", Op: "activity.open", Activity: bs.act})
	bs.apply(b, Host, Command{ID: "h3", Op: "activity.present", Activity: bs.act})
	return bs
}

func (bs *benchState) apply(b *testing.B, actor string, c Command) Outcome {
	bs.off++
	out := bs.s.Apply(Event{Offset: bs.off, Time: bs.now, Actor: actor, Cmd: c})
	if out.Result.Err != nil {
		b.Fatalf("%s %s: %v", actor, c.Op, out.Result.Err)
	}
	return out
}

// BenchmarkApplyVote is the reducer's cost of one vote event. It must not
// grow with the number of participants: a vote touches one participant's
// entry and the poll's counts.
func BenchmarkApplyVote(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			bs := newBenchState(b, n, ActivitySpec{Kind: KindPoll, Title: "Q", Options: []string{"a", "b", "c", "d"}})
			// Command ids and choices are made before the timer so that
			// only Apply is measured.
			ids := make([]string, 4096)
			for i := range ids {
				ids[i] = "v" + strconv.Itoa(i)
			}
			choices := [][]int{{0}, {1}, {2}, {3}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bs.off++
				p := bs.parts[i%n]
				// Each participant reuses a small set of ids; a new id per
				// round keeps every event a fresh command.
				id := ids[(i/n)%len(ids)]
				out := bs.s.Apply(Event{Offset: bs.off, Time: bs.now, Actor: p,
					Cmd: Command{ID: id, Op: "vote", Activity: bs.act, Choices: choices[i%4]}})
				if out.Result.Err != nil {
					b.Fatal(out.Result.Err)
				}
			}
		})
	}
}

// BenchmarkViewEncode builds and JSON-encodes one role's view of an
// activity, as a push tick does once per role and changed activity.
func BenchmarkViewEncode(b *testing.B) {
	poll := func(b *testing.B) *benchState {
		bs := newBenchState(b, 1000, ActivitySpec{Kind: KindPoll, Title: "Which option?", Options: []string{"one", "two", "three", "four"}})
		for i, p := range bs.parts {
			bs.apply(b, p, Command{ID: "v", Op: "vote", Activity: bs.act, Choices: []int{i % 4}})
		}
		return bs
	}
	cloud := func(b *testing.B) *benchState {
		bs := newBenchState(b, 1000, ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 3})
		// 100 distinct words, sent by 1,000 participants.
		for i, p := range bs.parts {
			bs.apply(b, p, Command{ID: "w", Op: "word.submit", Activity: bs.act, Text: "word" + strconv.Itoa(i%100)})
		}
		return bs
	}
	qa := func(b *testing.B) *benchState {
		bs := newBenchState(b, 1000, ActivitySpec{Kind: KindQA, Title: "Questions"})
		var entries []string
		for i := 0; i < 200; i++ {
			out := bs.apply(b, bs.parts[i], Command{ID: "q", Op: "qa.ask", Activity: bs.act,
				Text: "Question number " + strconv.Itoa(i) + ": what about the budget for next year?"})
			entries = append(entries, out.Result.Entry)
		}
		for i, p := range bs.parts {
			bs.apply(b, p, Command{ID: "u", Op: "qa.upvote", Activity: bs.act, Entry: entries[(i*7)%len(entries)]})
		}
		return bs
	}
	for _, tc := range []struct {
		name  string
		build func(*testing.B) *benchState
	}{{"poll", poll}, {"cloud100", cloud}, {"qa200", qa}} {
		for _, role := range []Role{Facilitator, Display, Attendee} {
			b.Run(tc.name+"/"+string(role), func(b *testing.B) {
				bs := tc.build(b)
				a := bs.s.Activity(bs.act)
				bytes := 0
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					out, err := json.Marshal(a.View(role))
					if err != nil {
						b.Fatal(err)
					}
					bytes = len(out)
				}
				b.ReportMetric(float64(bytes), "frame-bytes")
			})
		}
	}
}

// BenchmarkSnapshotEncode is the cost of encoding the whole state once, as
// a snapshot does, for a room where every participant has voted. It grows
// with the room; what keeps its cost per event flat is how often it runs.
func BenchmarkSnapshotEncode(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			bs := newBenchState(b, n, ActivitySpec{Kind: KindPoll, Title: "Q", Options: []string{"a", "b", "c", "d"}})
			for i, p := range bs.parts {
				bs.apply(b, p, Command{ID: "v" + strconv.Itoa(i), Op: "vote", Activity: bs.act, Choices: []int{i % 4}})
			}
			size := 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := json.Marshal(bs.s)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkQueueRaise raises n hands into an open queue, one after the
// other, as a hall does when the floor opens; ns/raise is the cost of one
// raise averaged over the whole fill. "apply" is the reducer alone;
// "apply+attendee" also encodes the attendees' view and the raiser's own
// data after each raise, as a push tick does at worst once per raise. A
// cost per raise that grows with the queue shows here as ns/raise growing
// between n=500 and n=2000: linearly would be 4 times, quadratically 16.
//
// A first-come queue (the default) places a raise without computing the
// whole order again; an alternating queue computes it, so its cost per raise
// grows with the queue, linearly.
func BenchmarkQueueRaise(b *testing.B) {
	cities := []string{"Lyon", "Lille", "Nice", "Brest"}
	for _, tc := range []struct {
		name   string
		policy string
		encode bool
	}{{"apply", PolicyFIFO, false}, {"apply+attendee", PolicyFIFO, true}, {"alternate/apply", PolicyAlternate, false}} {
		for _, n := range []int{500, 2000} {
			encode := tc.encode
			b.Run(fmt.Sprintf("%s/hands=%d", tc.name, n), func(b *testing.B) {
				var bytes int
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					bs := newBenchState(b, n, ActivitySpec{Kind: KindQueue, Title: "Speakers", Policy: tc.policy})
					a := bs.s.Activity(bs.act)
					b.StartTimer()
					for i, p := range bs.parts {
						bs.off++
						out := bs.s.Apply(Event{Offset: bs.off, Time: bs.now, Actor: p,
							Cmd: Command{ID: "r", Op: "hand.raise", Activity: bs.act, Name: "Someone", Constituency: cities[i%len(cities)]}})
						if out.Result.Err != nil {
							b.Fatal(out.Result.Err)
						}
						if encode {
							v, err := json.Marshal(a.View(Attendee))
							if err != nil {
								b.Fatal(err)
							}
							y, err := json.Marshal(a.You(p))
							if err != nil {
								b.Fatal(err)
							}
							bytes = len(v) + len(y)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/raise")
				if encode {
					b.ReportMetric(float64(bytes), "last-frame-bytes")
				}
			})
		}
	}
}
