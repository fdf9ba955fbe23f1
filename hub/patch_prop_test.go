package hub

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/townhall/townhall/hub/patch"
	"github.com/townhall/townhall/session"
)

// propClient is what a client holds of one activity: the view it was last
// sent, whole or patched, and the offset of that push.
type propClient struct {
	view   *patch.View
	offset uint64
}

// propRun feeds random commands to the reducer; after every few of them (a
// tick) it makes, per role and activity, the hub's push: the patch from the
// last push when the hub can make one, else the whole view. A client that
// applies every patch with the Go twin must hold, after each push, exactly
// the role's view, and after the run the last whole view.
type propRun struct {
	t       *testing.T
	rng     *rand.Rand
	s       *session.State
	off     uint64
	now     time.Time
	people  []string
	acts    []string // qa (votes), qa (time, moderated), wordcloud (hold), wordcloud (show), queue, open, open (moderated)
	pushed  map[string]*pushedView
	clients map[string]*propClient
	hands   []string
	entries []string
	answers []string // open answers

	patches, wholes, noChange int
	firsts                    int // whole views to a client that had none
	removes                   int // keys removed by patches
	openPatches               int // patches of open questions' walls with an answer in them
}

var propRoles = []session.Role{session.Facilitator, session.Display, session.Attendee}

func (r *propRun) apply(actor string, c session.Command) session.Outcome {
	r.off++
	r.now = r.now.Add(time.Duration(r.rng.IntN(1500)) * time.Millisecond)
	if c.ID == "" && actor != "" {
		c.ID = fmt.Sprintf("c%d", r.off)
	}
	return r.s.Apply(session.Event{Offset: r.off, Time: r.now, Actor: actor, Cmd: c})
}

func (r *propRun) host(c session.Command) session.Outcome { return r.apply(session.Host, c) }

func newPropRun(t *testing.T, seed uint64) *propRun {
	r := &propRun{t: t, rng: rand.New(rand.NewPCG(seed, 7)), s: &session.State{},
		now:    time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		pushed: map[string]*pushedView{}, clients: map[string]*propClient{}}
	r.apply("", session.Command{Op: session.OpCreate, Session: "s1", Code: "12345678", Title: "Property", Rules: session.CurrentRules})
	for i := range 40 {
		r.apply("", session.Command{Op: session.OpJoin, Name: fmt.Sprint("p", i)})
		r.people = append(r.people, fmt.Sprintf("p%d", r.off))
	}
	specs := []session.ActivitySpec{
		{Kind: session.KindQA, Title: "Votes"},
		{Kind: session.KindQA, Title: "Time", Sort: "time", Moderated: true},
		{Kind: session.KindWordcloud, Title: "Hold", MaxEntries: 100},
		{Kind: session.KindWordcloud, Title: "Show", MaxEntries: 100, Moderation: "show"},
		{Kind: session.KindQueue, Title: "Queue", Constituencies: []string{"north", "south"}},
		{Kind: session.KindOpen, Title: "Open", MaxEntries: 20},
		{Kind: session.KindOpen, Title: "Moderated", MaxEntries: 20, Moderated: true},
	}
	for _, sp := range specs {
		out := r.host(session.Command{Op: "activity.create", Spec: &sp})
		if out.Result.Err != nil {
			t.Fatalf("create %s: %v", sp.Kind, out.Result.Err)
		}
		id := out.Result.Activity
		r.acts = append(r.acts, id)
		r.host(session.Command{Op: "activity.open", Activity: id})
	}
	return r
}

// onScreen presents the activity so that attendees may act on it.
func (r *propRun) onScreen(id string) {
	if r.s.Presented != id {
		r.host(session.Command{Op: "activity.present", Activity: id})
	}
}

var propWords = func() []string {
	var w []string
	for i := range 130 { // more than the 100 words a view holds
		w = append(w, fmt.Sprint("word", i))
	}
	return append(w, "River", "river", "RIVER", "shit", "merde", "Straße", "STRASSE")
}()

// step applies one random command of any kind.
func (r *propRun) step() {
	who := r.people[r.rng.IntN(len(r.people))]
	pick := func(list []string) string {
		if len(list) == 0 {
			return "none"
		}
		return list[r.rng.IntN(len(list))]
	}
	switch n := r.rng.IntN(112); {
	case n < 22: // ask
		a := r.acts[r.rng.IntN(2)]
		r.onScreen(a)
		out := r.apply(who, session.Command{Op: "qa.ask", Activity: a, Text: fmt.Sprint("Question ", r.off)})
		if out.Result.Entry != "" {
			r.entries = append(r.entries, out.Result.Entry)
		}
	case n < 45: // upvote, or take it back
		a := r.acts[r.rng.IntN(2)]
		r.onScreen(a)
		r.apply(who, session.Command{Op: "qa.upvote", Activity: a, Entry: pick(r.entries)})
	case n < 52:
		actions := []string{"approve", "hide", "pin", "unpin", "answered"}
		r.host(session.Command{Op: "qa.moderate", Activity: r.acts[r.rng.IntN(2)], Entry: pick(r.entries), Action: actions[r.rng.IntN(len(actions))]})
	case n < 72: // words: new ones, and spellings that change the one shown
		a := r.acts[2+r.rng.IntN(2)]
		r.onScreen(a)
		r.apply(who, session.Command{Op: "word.submit", Activity: a, Text: pick(propWords)})
	case n < 76:
		ops := []string{"word.hide", "word.unhide", "word.approve"}
		r.host(session.Command{Op: ops[r.rng.IntN(3)], Activity: r.acts[2+r.rng.IntN(2)], Text: pick(propWords)})
	case n < 86: // raise or lower a hand
		a := r.acts[4]
		r.onScreen(a)
		if r.rng.IntN(3) == 0 {
			r.apply(who, session.Command{Op: "hand.lower", Activity: a})
		} else {
			kind := "speak"
			if r.rng.IntN(8) == 0 {
				kind = "order"
			}
			out := r.apply(who, session.Command{Op: "hand.raise", Activity: a, Name: who, Constituency: pick([]string{"north", "south"}), Kind: kind})
			if out.Result.Hand != "" {
				r.hands = append(r.hands, out.Result.Hand)
			}
		}
	case n < 94: // the facilitator's queue ops
		a := r.acts[4]
		to := r.rng.IntN(6)
		switch r.rng.IntN(5) {
		case 0:
			r.host(session.Command{Op: "queue.next", Activity: a})
		case 1:
			r.host(session.Command{Op: "queue.move", Activity: a, Hand: pick(r.hands), To: &to})
		case 2:
			r.host(session.Command{Op: "queue.remove", Activity: a, Hand: pick(r.hands)})
		case 3:
			r.host(session.Command{Op: "queue.readd", Activity: a})
		default:
			r.host(session.Command{Op: "queue.policy", Activity: a, Policy: pick([]string{"fifo", "alternate", "firsttime"})})
		}
	case n < 97: // who sees the results: lists appear and disappear
		on := r.rng.IntN(2) == 0
		r.host(session.Command{Op: "activity.reveal", Activity: pick(r.acts), Attendees: &on, Display: &on})
	case n < 100:
		r.host(session.Command{Op: "activity.close", Activity: pick(r.acts)})
		r.host(session.Command{Op: "activity.open", Activity: pick(r.acts)})
	case n < 108: // open answers, newest first on every wall
		a := r.acts[5+r.rng.IntN(2)]
		r.onScreen(a)
		out := r.apply(who, session.Command{Op: "open.submit", Activity: a, Text: fmt.Sprint("Answer ", r.off)})
		if out.Result.Entry != "" {
			r.answers = append(r.answers, out.Result.Entry)
		}
	default:
		actions := []string{"approve", "hide", "highlight", "unhighlight"}
		r.host(session.Command{Op: "open.moderate", Activity: r.acts[5+r.rng.IntN(2)], Entry: pick(r.answers), Action: actions[r.rng.IntN(len(actions))]})
	}
}

// tick pushes every activity to every role, as the hub's tick does, and
// checks each client against the view.
func (r *propRun) tick() {
	for _, role := range propRoles {
		for _, id := range r.acts {
			v := frame(r.s.Activity(id).View(role))
			k := string(role) + "/a" + id
			last := r.pushed[k]
			if last != nil && string(last.raw) == string(v) {
				r.noChange++
				continue
			}
			next := &pushedView{raw: v, offset: r.s.Offset}
			f := makePatch(last, next, id, r.s.Offset, "now")
			r.pushed[k] = next
			cl := r.clients[k]
			if f == nil {
				r.wholes++
				if last == nil {
					r.firsts++
				}
				pv, err := patch.Parse(v)
				if err != nil {
					r.t.Fatal(err)
				}
				r.clients[k] = &propClient{view: pv, offset: r.s.Offset}
				continue
			}
			r.patches++
			if r.s.Activity(id).Kind == session.KindOpen && strings.Contains(string(f), `"upsert":[{`) {
				r.openPatches++
			}
			var m struct {
				Type     string `json:"type"`
				Activity string `json:"activity"`
				Offset   uint64 `json:"offset"`
				Base     uint64 `json:"base"`
				patch.Patch
			}
			if err := json.Unmarshal(f, &m); err != nil {
				r.t.Fatal(err)
			}
			if m.Type != "patch" || m.Activity != id || m.Offset != r.s.Offset {
				r.t.Fatalf("patch envelope %s", f)
			}
			if cl == nil || cl.offset != m.Base {
				r.t.Fatalf("%s: a patch on base %d for a client at %+v", k, m.Base, cl)
			}
			if err := patch.Apply(cl.view, m.Patch); err != nil {
				r.t.Fatalf("%s: applying %s: %v", k, f, err)
			}
			cl.offset = m.Offset
			r.removes += len(m.Remove)
			if got := cl.view.Marshal(); !patch.Equal(got, v) {
				r.t.Fatalf("%s after offset %d:\npatch %s\nclient %s\nview   %s", k, r.s.Offset, f, got, v)
			}
		}
	}
}

func TestPatchedClientsHoldEveryRolesView(t *testing.T) {
	t.Parallel()
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			r := newPropRun(t, seed)
			r.tick()
			for range 300 {
				for range 1 + r.rng.IntN(6) {
					r.step()
				}
				r.tick()
			}
			// The last whole view equals the first with every patch applied.
			for _, role := range propRoles {
				for _, id := range r.acts {
					k := string(role) + "/a" + id
					want := frame(r.s.Activity(id).View(role))
					if got := r.clients[k].view.Marshal(); !patch.Equal(got, want) {
						t.Fatalf("%s at the end:\nclient %s\nview   %s", k, got, want)
					}
				}
			}
			if r.openPatches == 0 {
				t.Fatal("no open answer went out in a patch")
			}
			// Most pushes must be patches, or this tested nothing.
			if r.patches < 4*r.wholes {
				t.Fatalf("%d patches against %d whole views", r.patches, r.wholes)
			}
			t.Logf("%d patches, %d whole views, %d unchanged", r.patches, r.wholes, r.noChange)
		})
	}
}

// Past the 200 entries attendees see, and the 100 words, entries leave and
// come back through patches.
func TestPatchesFollowTheTopOfALongBoard(t *testing.T) {
	t.Parallel()
	r := newPropRun(t, 99)
	qa, cloud := r.acts[0], r.acts[3]
	r.tick()
	for i := range 260 {
		r.onScreen(qa)
		r.apply(r.people[i%len(r.people)], session.Command{Op: "qa.ask", Activity: qa, Text: fmt.Sprint("Q", i)})
		r.onScreen(cloud)
		r.apply(r.people[i%len(r.people)], session.Command{Op: "word.submit", Activity: cloud, Text: fmt.Sprint("w", i%120)})
		if i%25 == 0 {
			r.tick()
		}
	}
	for _, e := range r.s.Activity(qa).Body.(*session.QA).Entries {
		r.entries = append(r.entries, e.ID)
	}
	r.removes = 0
	for range 100 {
		r.onScreen(qa)
		r.apply(r.people[r.rng.IntN(len(r.people))], session.Command{Op: "qa.upvote", Activity: qa, Entry: r.entries[200+r.rng.IntN(60)]})
		r.tick()
	}
	if r.removes == 0 {
		t.Fatal("no entry left the top of the board through a patch")
	}
	if got := len(r.clients[string(session.Attendee)+"/a"+qa].view.Items); got != 200 {
		t.Fatalf("the attendee holds %d entries, want 200", got)
	}
	// Entries leaving and coming back are patches: the only whole views
	// are each client's first.
	if r.wholes != r.firsts || r.patches < 5*r.firsts {
		t.Fatalf("%d patches against %d whole views, %d of them first views", r.patches, r.wholes, r.firsts)
	}
}
