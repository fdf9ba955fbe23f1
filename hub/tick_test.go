package hub

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/townhall/townhall/session"
)

// tickHub is a hub with a replica and queue-only connections (no socket,
// no writer), driven by hand: apply marks what changed, tick pushes.
type tickHub struct {
	t   *testing.T
	h   *Hub
	off uint64
	act string
}

func newTickHub(t *testing.T) *tickHub {
	th := &tickHub{t: t, h: newHub(NewManager(nil, Config{}), "s1")}
	th.h.state = &session.State{}
	th.apply("", session.Command{Op: session.OpCreate, Session: "s1", Code: "12345678", Title: "Hall", Rules: session.CurrentRules})
	th.act = th.apply(session.Host, session.Command{ID: "h1", Op: "activity.create",
		Spec: &session.ActivitySpec{Kind: session.KindPoll, Title: "Q", Options: []string{"a", "b"}}}).Result.Activity
	th.apply(session.Host, session.Command{ID: "h2", Op: "activity.open", Activity: th.act})
	th.apply(session.Host, session.Command{ID: "h3", Op: "activity.present", Activity: th.act})
	return th
}

func (th *tickHub) apply(actor string, c session.Command) session.Outcome {
	th.t.Helper()
	th.off++
	out := th.h.state.Apply(session.Event{Offset: th.off, Time: time.Now(), Actor: actor, Cmd: c})
	if out.Result.Err != nil {
		th.t.Fatalf("%s %s: %v", actor, c.Op, out.Result.Err)
	}
	th.h.live.mark(out.Change, false, time.Now())
	th.h.attendees.mark(out.Change, true, time.Now())
	return out
}

func (th *tickHub) phone() *Conn {
	th.apply("", session.Command{Op: session.OpJoin, Name: "p"})
	// A participant's id is "p" and the offset of its join.
	c := &Conn{role: session.Attendee, participant: "p" + strconv.FormatUint(th.off, 10)}
	th.h.register(c)
	return c
}

// taken returns the activity pushes queued on c, decoded, and forgets
// everything queued.
func taken(t *testing.T, c *Conn) []map[string]any {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, p := range c.pushes {
		var m map[string]any
		if err := json.Unmarshal(p.frame, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] == "activity" {
			out = append(out, m)
		}
	}
	c.pushes, c.replies = nil, nil
	return out
}

func shown(m map[string]any) any {
	a, _ := m["activity"].(map[string]any)
	return a["results"]
}

// Phones that join do not make the next tick push an unchanged view to
// every phone already there (at 10,000 phones that was a burst of 10,000
// writes when voting began), yet a phone that joined after the last push
// gets the view as it is now, even when it went back to what the others
// were last sent.
func TestTickPushesUnchangedViewsOnlyToNewConnections(t *testing.T) {
	th := newTickHub(t)
	old := th.phone()
	th.apply(old.participant, session.Command{ID: "v0", Op: "vote", Activity: th.act, Choices: []int{0}})
	th.h.tick(true)
	if got := taken(t, old); len(got) != 1 || shown(got[0]) != nil {
		t.Fatalf("first tick for a new phone: %v", got)
	}

	// More phones join, some before a tick with nothing new for phones
	// (a join changes only the count, which phones are not pushed), some
	// after; then one changes their vote on a poll whose results phones
	// do not see: the view phones see is unchanged (a new voter would
	// change its "responses").
	early := th.phone()
	th.h.tick(true)
	voter := th.phone()
	th.apply(old.participant, session.Command{ID: "v", Op: "vote", Activity: th.act, Choices: []int{1}})
	th.h.tick(true)
	for _, c := range []*Conn{old, early} {
		if got := taken(t, c); len(got) != 0 {
			t.Fatalf("a phone was pushed a view equal to its welcome or last push: %v", got)
		}
	}
	// The voter joined since the last tick: it gets the view again, which
	// costs one frame per phone joined in the last 250 ms, not per phone.
	taken(t, voter)

	// Results shown to phones, a phone joins (its welcome has them), and
	// they are hidden again before the next tick: the phone already there
	// was last sent the hidden view, the new one needs it.
	yes, no := true, false
	th.apply(session.Host, session.Command{ID: "h4", Op: "activity.reveal", Activity: th.act, Attendees: &yes})
	late := th.phone()
	th.apply(session.Host, session.Command{ID: "h5", Op: "activity.reveal", Activity: th.act, Attendees: &no})
	th.h.tick(true)
	if got := taken(t, old); len(got) != 0 {
		t.Fatalf("a phone already there was pushed an unchanged view: %v", got)
	}
	got := taken(t, late)
	if len(got) != 1 || shown(got[0]) != nil {
		t.Fatalf("the phone that joined while results were shown: %v", got)
	}
}

// An activity that changes while it is not presented, and changes back
// after it is presented again, is pushed: the header that presents it
// carries its view, so what was last pushed on its own is out of date.
func TestTickPushesAnActivityChangedWhileHidden(t *testing.T) {
	th := newTickHub(t)
	phone := th.phone()
	th.h.tick(true)
	taken(t, phone)
	other := th.apply(session.Host, session.Command{ID: "h4", Op: "activity.create",
		Spec: &session.ActivitySpec{Kind: session.KindPoll, Title: "Other", Options: []string{"x", "y"}}}).Result.Activity
	th.apply(session.Host, session.Command{ID: "h5", Op: "activity.present", Activity: other})
	th.h.tick(true)
	th.apply(session.Host, session.Command{ID: "h6", Op: "activity.close", Activity: th.act})
	th.h.tick(true)
	th.apply(session.Host, session.Command{ID: "h7", Op: "activity.present", Activity: th.act})
	th.h.tick(true)
	taken(t, phone)
	th.apply(session.Host, session.Command{ID: "h8", Op: "activity.open", Activity: th.act})
	th.h.tick(true)
	got := taken(t, phone)
	if len(got) != 1 || got[0]["activity"].(map[string]any)["state"] != "open" {
		t.Fatalf("reopening the presented poll pushed %v", got)
	}
}
