package hub

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/townhall/townhall/session"
)

// benchHub is a hub whose replica holds a session with n participants and
// an open, presented poll revealed to everyone, and whose n attendee
// connections are real Conns with no writer running: a tick's cost is what
// the hub does, not the sockets.
func benchHub(b *testing.B, n int) (*Hub, string) {
	b.Helper()
	m := NewManager(nil, Config{})
	h := newHub(m, "s1")
	st := &session.State{}
	var off uint64
	now := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	apply := func(actor string, c session.Command) session.Outcome {
		off++
		out := st.Apply(session.Event{Offset: off, Time: now, Actor: actor, Cmd: c})
		if out.Result.Err != nil {
			b.Fatalf("%s %s: %v", actor, c.Op, out.Result.Err)
		}
		return out
	}
	apply("", session.Command{Op: session.OpCreate, Session: "s1", Code: "12345678", Title: "Bench"})
	parts := make([]string, n)
	for i := range parts {
		apply("", session.Command{Op: session.OpJoin})
		parts[i] = "p" + strconv.FormatUint(off, 10)
	}
	yes := true
	act := apply(session.Host, session.Command{ID: "h1", Op: "activity.create",
		Spec: &session.ActivitySpec{Kind: session.KindPoll, Title: "Q", Options: []string{"a", "b", "c", "d"}}}).Result.Activity
	apply(session.Host, session.Command{ID: "h2", Op: "activity.open", Activity: act})
	apply(session.Host, session.Command{ID: "h3", Op: "activity.present", Activity: act})
	apply(session.Host, session.Command{ID: "h4", Op: "activity.reveal", Activity: act, Attendees: &yes})
	for i, p := range parts {
		apply(p, session.Command{ID: "v", Op: "vote", Activity: act, Choices: []int{i % 4}})
	}
	h.state = st
	for _, p := range parts {
		h.register(&Conn{role: session.Attendee, participant: p})
	}
	return h, act
}

// BenchmarkTick is one attendee push tick after a vote: the poll's
// attendee view is encoded once and queued on every connection (the view
// is treated as changed every time; an unchanged view is not pushed). Its cost
// per connection (ns/conn) must stay flat as the room grows.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			h, act := benchHub(b, n)
			ch := session.Change{Activity: act}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.dirtyMu.Lock()
				h.attendees.mark(ch, true, time.Now())
				h.dirtyMu.Unlock()
				h.pushed = nil // as if the view had changed: push it
				h.tick(true)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/conn")
		})
	}
}

// BenchmarkTickWithYou is a tick after votes from 1% of the room on a
// poll whose view attendees see unchanged (results hidden from them): the
// shared view is encoded and found unchanged, and only each voter's own
// "you" frame is encoded and queued.
func BenchmarkTickWithYou(b *testing.B) {
	const n = 10000
	h, act := benchHub(b, n)
	var voters []string
	for p := range h.byPart {
		if len(voters) == n/100 {
			break
		}
		voters = append(voters, p)
	}
	ch := session.Change{Activity: act, You: voters}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.dirtyMu.Lock()
		h.attendees.mark(ch, true, time.Now())
		h.dirtyMu.Unlock()
		h.tick(true)
	}
}

// BenchmarkYouFrame encodes one participant's "you" message.
func BenchmarkYouFrame(b *testing.B) {
	h, act := benchHub(b, 10)
	a := h.state.Activity(act)
	var p string
	for p = range h.byPart {
		break
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = youFrame(a, p)
	}
}
