package session

import (
	"fmt"
	"strings"
	"testing"
)

// scPollCounts reads a poll view's counts: one per option, then voters,
// -1 where the field is absent.
func scPollCounts(v map[string]any) []int {
	out := []int{}
	for _, o := range v["options"].([]any) {
		n, ok := o.(map[string]any)["votes"]
		if !ok {
			out = append(out, -1)
			continue
		}
		out = append(out, int(n.(float64)))
	}
	if n, ok := v["voters"]; ok {
		return append(out, int(n.(float64)))
	}
	return append(out, -1)
}

func TestPollSingleChoice(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben", "Chloé", "Dan")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Which first?", Options: []string{"Housing", "Transport", "Parks"}, MaxChoices: 3})
	v := r.view(Facilitator)
	scEqual(t, "a new poll", []any{v["kind"], v["title"], v["state"], v["multi"], v["maxChoices"], v["revealed"]},
		[]any{"poll", "Which first?", "draft", false, float64(1), map[string]any{"attendees": false, "display": true}})
	scEqual(t, "counts of a new poll", scPollCounts(v), []int{0, 0, 0, 0})

	r.refused("Ana", Command{Op: "vote", Choices: []int{0}}, CodeActivityClosed)
	r.host(Command{Op: "activity.open"})
	scEqual(t, "state", r.view(Attendee)["state"], any("open"))

	out := r.by("Ana", Command{Op: "vote", Choices: []int{0}})
	scEqual(t, "change", out.Change, Change{Activity: r.act, You: []string{r.who["Ana"]}})
	r.by("Ben", Command{Op: "vote", Choices: []int{0}})
	r.by("Chloé", Command{Op: "vote", Choices: []int{2}})
	scEqual(t, "after three votes", scPollCounts(r.view(Facilitator)), []int{2, 0, 1, 3})

	// A new vote replaces the earlier one.
	r.by("Ana", Command{Op: "vote", Choices: []int{1}})
	scEqual(t, "after Ana changed her mind", scPollCounts(r.view(Facilitator)), []int{1, 1, 1, 3})
	r.by("Ana", Command{Op: "vote", Choices: []int{1}})
	scEqual(t, "the same vote again", scPollCounts(r.view(Facilitator)), []int{1, 1, 1, 3})
	r.refused("Ana", Command{Op: "vote", Choices: []int{0, 2}}, CodeInvalidChoice)
	scEqual(t, "Ana's own", r.you("Ana"), `{"choices":[1]}`)
	scEqual(t, "Dan's own", r.you("Dan"), `{"choices":[]}`)

	r.host(Command{Op: "activity.close"})
	r.refused("Dan", Command{Op: "vote", Choices: []int{0}}, CodeActivityClosed)
	r.refused("Ana", Command{Op: "vote", Choices: []int{0}}, CodeActivityClosed)
	scEqual(t, "closed", r.view(Facilitator)["state"], any("closed"))
	scEqual(t, "counts after closing", scPollCounts(r.view("export")), []int{1, 1, 1, 3})
}

func TestPollMultipleChoice(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Pick two", Options: []string{"a", "b", "c", "d"}, Multi: true, MaxChoices: 2})
	scEqual(t, "maxChoices", r.view(Attendee)["maxChoices"], any(float64(2)))
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{3, 0}})
	r.by("Ben", Command{Op: "vote", Choices: []int{0}})
	scEqual(t, "counts", scPollCounts(r.view(Facilitator)), []int{2, 0, 0, 1, 2})
	scEqual(t, "Ana's own, in her order", r.you("Ana"), `{"choices":[3,0]}`)
	r.by("Ana", Command{Op: "vote", Choices: []int{1, 2}})
	scEqual(t, "replaced", scPollCounts(r.view(Facilitator)), []int{1, 1, 1, 0, 2})

	tests := []struct {
		name    string
		choices []int
	}{
		{"none", nil},
		{"empty", []int{}},
		{"out of range", []int{4}},
		{"far out of range", []int{1 << 30}},
		{"negative", []int{-1}},
		{"one good, one out of range", []int{0, 4}},
		{"twice the same", []int{2, 2}},
		{"too many", []int{0, 1, 2}},
		{"all of them", []int{0, 1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused("Ben", Command{Op: "vote", Choices: tt.choices}, CodeInvalidChoice)
		})
	}
}

func TestPollCreate(t *testing.T) {
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprint("option ", i)
	}
	tests := []struct {
		name       string
		spec       ActivitySpec
		code       string
		multi      bool
		maxChoices int
	}{
		{"single", ActivitySpec{Options: []string{"yes", "no"}}, "", false, 1},
		{"single ignores maxChoices", ActivitySpec{Options: []string{"yes", "no"}, MaxChoices: 2}, "", false, 1},
		{"multi", ActivitySpec{Options: []string{"a", "b", "c"}, Multi: true, MaxChoices: 2}, "", true, 2},
		{"multi without a limit", ActivitySpec{Options: []string{"a", "b", "c"}, Multi: true}, "", true, 3},
		{"multi over the options", ActivitySpec{Options: []string{"a", "b", "c"}, Multi: true, MaxChoices: 7}, "", true, 3},
		{"fifty options", ActivitySpec{Options: many[:50]}, "", false, 1},
		{"one option", ActivitySpec{Options: []string{"yes"}}, CodeBadRequest, false, 0},
		{"no options", ActivitySpec{}, CodeBadRequest, false, 0},
		{"51 options", ActivitySpec{Options: many}, CodeBadRequest, false, 0},
		{"an empty option", ActivitySpec{Options: []string{"yes", "  "}}, CodeBadRequest, false, 0},
		{"a control character", ActivitySpec{Options: []string{"yes", "n\x00o"}}, CodeBadRequest, false, 0},
		{"a long option", ActivitySpec{Options: []string{"yes", strings.Repeat("n", 201)}}, CodeBadRequest, false, 0},
		{"a long title", ActivitySpec{Title: strings.Repeat("t", 201), Options: []string{"yes", "no"}}, CodeBadRequest, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scNew(t)
			tt.spec.Kind = KindPoll
			if tt.code != "" {
				r.refused(Host, Command{Op: "activity.create", Spec: &tt.spec}, tt.code)
				return
			}
			r.create(tt.spec)
			v := r.view(Attendee)
			scEqual(t, "multi, maxChoices", []any{v["multi"], v["maxChoices"]}, []any{tt.multi, float64(tt.maxChoices)})
			scEqual(t, "options", len(v["options"].([]any)), len(tt.spec.Options))
		})
	}
}

// Options are cleaned as any text, and kept as typed otherwise: a
// decomposed accent stays decomposed.
func TestPollOptionsCleaned(t *testing.T) {
	r := scNew(t)
	r.create(ActivitySpec{Kind: KindPoll, Title: "  Où   aller ? ", Options: []string{" Cafe\u0301 ", "<b>bold</b>"}})
	v := r.view(Display)
	scEqual(t, "title", v["title"], any("Où aller ?"))
	scEqual(t, "options", v["options"], any([]any{
		map[string]any{"label": "Cafe\u0301", "votes": float64(0)},
		map[string]any{"label": "<b>bold</b>", "votes": float64(0)},
	}))
}

// Results are shown to a role only when revealed to it; otherwise the
// counts are absent, not zero.
func TestPollRevealPerRole(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "Which?", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.present", Activity: poll})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{1}})

	hidden, shown := []int{-1, -1, -1}, []int{0, 1, 1}
	check := func(what string, facilitator, display, attendee []int) {
		t.Helper()
		scEqual(t, what+": facilitator", scPollCounts(r.view(Facilitator)), facilitator)
		scEqual(t, what+": display", scPollCounts(r.view(Display)), display)
		scEqual(t, what+": attendee", scPollCounts(r.view(Attendee)), attendee)
		for _, role := range []Role{Display, Attendee} {
			got := scPollCounts(r.session(role)["activities"].([]any)[0].(map[string]any))
			want := display
			if role == Attendee {
				want = attendee
			}
			scEqual(t, what+": "+string(role)+"'s session view", got, want)
		}
		scEqual(t, what+": export", scPollCounts(r.view("export")), shown)
	}
	check("new poll", shown, shown, hidden)
	if s := r.everythingOf(Attendee); strings.Contains(s, "votes") || strings.Contains(s, "voters") {
		t.Fatalf("the attendee's view mentions votes: %s", s)
	}

	out := r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	scEqual(t, "reveal changes the activity", out.Change, Change{Activity: poll})
	check("revealed to attendees", shown, shown, shown)
	scEqual(t, "revealed", r.view(Attendee)["revealed"], any(map[string]any{"attendees": true, "display": true}))

	r.host(Command{Op: "activity.reveal", Display: scPtr(false)})
	check("hidden from the display", shown, hidden, shown)
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false), Display: scPtr(true)})
	check("back to the start", shown, shown, hidden)
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false), Display: scPtr(false)})
	check("hidden from both", shown, hidden, hidden)
	for _, role := range []Role{Display, Attendee} {
		if s := r.everythingOf(role); strings.Contains(s, "votes") || strings.Contains(s, "voters") {
			t.Fatalf("the %s's view mentions votes: %s", role, s)
		}
	}
	r.refused(Host, Command{Op: "activity.reveal"}, CodeBadRequest)
	check("a reveal that names nobody changes nothing", shown, hidden, hidden)
	// A reveal sets, it does not toggle: sent again it changes nothing.
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false), Display: scPtr(false)})
	check("after the same reveal again", shown, hidden, hidden)
}

// Attendees and displays see only the presented activity.
func TestPresentedActivity(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	a := r.create(ActivitySpec{Kind: KindPoll, Title: "A", Options: []string{"a", "b"}})
	b := r.create(ActivitySpec{Kind: KindPoll, Title: "B", Options: []string{"a", "b"}})
	check := func(what string, presented string, others []string) {
		t.Helper()
		scEqual(t, what+": facilitator", scIDs(r.session(Facilitator)), []string{a, b})
		for _, role := range []Role{Display, Attendee} {
			v := r.session(role)
			scEqual(t, what+": "+string(role), scIDs(v), others)
			scEqual(t, what+": "+string(role)+" presented", v["presented"], any(presented))
		}
		for _, id := range []string{a, b} {
			scEqual(t, what+": visible to the display", r.s.Visible(id, Display), id == presented)
			scEqual(t, what+": visible to the facilitator", r.s.Visible(id, Facilitator), true)
		}
	}
	check("nothing presented", "", []string{})
	out := r.host(Command{Op: "activity.present", Activity: b})
	scEqual(t, "present changes the header", out.Change, Change{Header: true})
	check("B presented", b, []string{b})
	r.host(Command{Op: "activity.present", Activity: a})
	check("A presented", a, []string{a})
	r.refused(Host, Command{Op: "activity.present", Activity: a}, CodeConflict)
	r.refused(Host, Command{Op: "activity.present", Activity: "a1"}, CodeNotFound)
	r.refused("Ana", Command{Op: "activity.present", Activity: b}, CodeForbidden)
	r.host(Command{Op: "activity.present", Activity: ""})
	check("nothing presented again", "", []string{})
	r.refused(Host, Command{Op: "activity.present", Activity: ""}, CodeConflict)
}

// session.end closes what is open; after it every command is refused.
func TestSessionEnd(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	open := r.show(ActivitySpec{Kind: KindPoll, Title: "Open", Options: []string{"a", "b"}})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{0}})
	draft := r.create(ActivitySpec{Kind: KindQA, Title: "Draft"})
	cloud := r.create(ActivitySpec{Kind: KindWordcloud, Title: "Open cloud"})
	r.host(Command{Op: "activity.open"})

	r.refused("Ana", Command{Op: "session.end"}, CodeForbidden)
	out := r.host(Command{Op: "session.end"})
	scEqual(t, "end changes the header", out.Change, Change{Header: true})
	states := map[string]string{}
	for _, a := range r.s.Activities {
		states[a.ID] = a.State
	}
	scEqual(t, "states", states, map[string]string{open: Closed, draft: Draft, cloud: Closed})
	for _, role := range []Role{Facilitator, Display, Attendee} {
		scEqual(t, string(role)+" sees it ended", r.session(role)["state"], any("ended"))
	}
	r.act = open
	scEqual(t, "counts kept", scPollCounts(r.view(Facilitator)), []int{1, 0, 1})

	tests := []struct {
		actor string
		c     Command
	}{
		{"Ana", Command{Op: "vote", Activity: open, Choices: []int{1}}},
		{"Ana", Command{Op: "word.submit", Activity: cloud, Text: "late"}},
		{"Ana", Command{Op: "qa.ask", Activity: draft, Text: "late?"}},
		{"Ana", Command{Op: "session.end"}},
		{Host, Command{Op: "session.end"}},
		{Host, Command{Op: "activity.open", Activity: open}},
		{Host, Command{Op: "activity.reveal", Activity: open, Attendees: scPtr(true)}},
		{Host, Command{Op: "activity.present", Activity: draft}},
		{Host, Command{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "More"}}},
		{Host, Command{Op: "qa.moderate", Activity: draft, Entry: "q1", Action: "hide"}},
		{Host, Command{Op: "no.such.op"}},
	}
	for _, tt := range tests {
		r.refused(tt.actor, tt.c, CodeSessionEnded)
	}
}

// Each op belongs to one role; nobody else may send it.
func TestForbiddenOpsPerRole(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	poll := r.create(ActivitySpec{Kind: KindPoll, Title: "P", Options: []string{"a", "b"}})
	cloud := r.create(ActivitySpec{Kind: KindWordcloud, Title: "W"})
	qa := r.create(ActivitySpec{Kind: KindQA, Title: "Q"})
	for _, id := range []string{poll, cloud, qa} {
		r.host(Command{Op: "activity.open", Activity: id})
	}
	r.host(Command{Op: "activity.present", Activity: cloud})
	r.by("Ana", Command{Op: "word.submit", Activity: cloud, Text: "air"})
	r.host(Command{Op: "activity.present", Activity: qa})
	q := r.by("Ana", Command{Op: "qa.ask", Activity: qa, Text: "Why?"}).Result.Entry

	facilitatorOnly := []Command{
		{Op: "activity.create", Spec: &ActivitySpec{Kind: KindPoll, Title: "x", Options: []string{"a", "b"}}},
		{Op: "activity.open", Activity: poll},
		{Op: "activity.close", Activity: poll},
		{Op: "activity.present", Activity: poll},
		{Op: "activity.reveal", Activity: poll, Attendees: scPtr(true)},
		{Op: "word.hide", Activity: cloud, Text: "air"},
		{Op: "word.unhide", Activity: cloud, Text: "air"},
		{Op: "word.approve", Activity: cloud, Text: "air"},
		{Op: "qa.moderate", Activity: qa, Entry: q, Action: "pin"},
		{Op: "session.end"},
	}
	attendeeOnly := []Command{
		{Op: "vote", Activity: poll, Choices: []int{0}},
		{Op: "word.submit", Activity: cloud, Text: "water"},
		{Op: "qa.ask", Activity: qa, Text: "How?"},
		{Op: "qa.upvote", Activity: qa, Entry: q},
	}
	for _, c := range facilitatorOnly {
		r.refused("Ana", c, CodeForbidden)
		// The display and the server's own events have no actor: they
		// send no commands.
		r.refused("", c, CodeForbidden)
	}
	for _, c := range attendeeOnly {
		r.refused(Host, c, CodeForbidden)
		r.refused("", c, CodeForbidden)
	}
	scEqual(t, "roles", []Role{RoleOf(Host), RoleOf(r.who["Ana"])}, []Role{Facilitator, Attendee})
}
