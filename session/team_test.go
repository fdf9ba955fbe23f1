package session

import (
	"encoding/json"
	"strings"
	"testing"
)

// The team's table, read op by op: a moderator has moderation and the
// queue, including ops of those families that do not exist yet; the
// facilitator has everything; nobody outside the team has anything.
func TestTeamRights(t *testing.T) {
	tests := []struct {
		op          string
		facilitator bool
		moderator   bool
	}{
		{"qa.moderate", true, true},
		{"qa.spotlight", true, true},
		{"open.moderate", true, true},
		{"word.hide", true, true},
		{"word.merge", true, true},
		{"word.unmerge", true, true},
		{"queue.next", true, true},
		{"queue.timer", true, true},
		{"queue.add", true, true},
		{"queue.approve", true, true},
		{"queue.someday", true, true}, // named into the family, no code of its own
		{"activity.create", true, false},
		{"activity.open", true, false},
		{"activity.present", true, false},
		{"activity.reveal", true, false},
		{"activity.update", true, false},
		{"activity.delete", true, false},
		{"session.end", true, false},
		{"session.update", true, false},
		{"qa.moderated", true, false}, // a name is not a prefix
		{"queue", true, false},        // the family's name alone is no op of it
		{"queue.", true, false},
		{"wordy.hide", true, false},
	}
	for _, tt := range tests {
		if got := TeamMay(Facilitator, tt.op); got != tt.facilitator {
			t.Errorf("facilitator %s: %v, want %v", tt.op, got, tt.facilitator)
		}
		if got := TeamMay(Moderator, tt.op); got != tt.moderator {
			t.Errorf("moderator %s: %v, want %v", tt.op, got, tt.moderator)
		}
		for _, r := range []Role{Attendee, Display, ""} {
			if TeamMay(r, tt.op) {
				t.Errorf("%q may %s", r, tt.op)
			}
		}
	}
	scEqual(t, "a moderator's rights", strings.Join(Rights(Moderator), " "), "qa.moderate qa.spotlight open.moderate word.* queue.*")
	scEqual(t, "an attendee's rights", len(Rights(Attendee)), 0)
}

// A plan becomes the events a facilitator would have sent; an activity
// the session would refuse is named by its index and nothing is made.
func TestPlanEvents(t *testing.T) {
	create := Command{Op: OpCreate, Title: "Monthly", Rules: CurrentRules}
	plan := &Plan{Title: Plain("Monthly"), Activities: []ActivitySpec{
		{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}},
		{Kind: KindQA, Title: "Questions", Options: []string{}},
	}}
	evs, bad, err := PlanEvents(create, plan, Limits{})
	if err != nil || bad != -1 || len(evs) != 3 {
		t.Fatalf("a good plan: %v %d %v", evs, bad, err)
	}
	scEqual(t, "first", evs[0].Cmd.Op, OpCreate)
	for i, e := range evs[1:] {
		if e.Actor != Host || e.Cmd.Op != "activity.create" || e.Cmd.Spec.Title != plan.Activities[i].Title || e.Offset != 0 {
			t.Fatalf("event %d: %+v", i+1, e)
		}
	}
	if evs[2].Cmd.Spec.Options != nil {
		t.Fatalf("an empty list stays empty, not absent: %v", evs[2].Cmd.Spec.Options)
	}

	tests := []struct {
		name string
		plan *Plan
		lim  Limits
		bad  int
		code string
	}{
		{"one option", &Plan{Activities: []ActivitySpec{{Kind: KindQA, Title: "Q"}, {Kind: KindPoll, Title: "P", Options: []string{"one"}}}}, Limits{}, 1, CodeBadRequest},
		{"unknown kind", &Plan{Activities: []ActivitySpec{{Kind: "nope", Title: "?"}}}, Limits{}, 0, CodeBadRequest},
		{"unknown policy", &Plan{Activities: []ActivitySpec{{Kind: KindQueue, Title: "Floor", Policy: "loudest"}}}, Limits{}, 0, CodeBadRequest},
		{"past the cap", &Plan{Activities: []ActivitySpec{{Kind: KindQA, Title: "1"}, {Kind: KindQA, Title: "2"}}}, Limits{Activities: 1}, 1, CodeLimitReached},
	}
	for _, tt := range tests {
		evs, bad, err := PlanEvents(create, tt.plan, tt.lim)
		if err == nil || err.Code != tt.code || bad != tt.bad || evs != nil {
			t.Errorf("%s: %v at %d (%d events), want %s at %d", tt.name, err, bad, len(evs), tt.code, tt.bad)
		}
	}
	// No plan: the session alone.
	if evs, _, err := PlanEvents(create, nil, Limits{}); err != nil || len(evs) != 1 {
		t.Fatalf("no plan: %v %v", evs, err)
	}
}

// scTeam is a session with one activity of each kind, the Q&A moderated
// and on screen and open, a question waiting for approval and a hand
// raised on the open queue.
func scTeam(t *testing.T) (r *scScript, poll, cloud, qa, queue, entry string) {
	t.Helper()
	r = scNew(t)
	r.join("Ana", "Ben")
	poll = r.create(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}})
	cloud = r.create(ActivitySpec{Kind: KindWordcloud, Title: "One word"})
	queue = r.show(ActivitySpec{Kind: KindQueue, Title: "Floor"})
	r.host(Command{Op: "activity.open"})
	r.by("Ben", Command{Op: "hand.raise", Name: "Ben"})
	qa = r.show(ActivitySpec{Kind: KindQA, Title: "Questions", Moderated: true})
	r.host(Command{Op: "activity.open"})
	entry = r.ask("Ana", "Why?")
	return r, poll, cloud, qa, queue, entry
}

// A moderator screens questions and words and runs the queue; anything
// else it sends is forbidden, says why, and changes nothing. Its
// commands are judged by the reducer alike on every replica: Check and
// Apply agree on each.
func TestModeratorInTheReducer(t *testing.T) {
	r, poll, cloud, qa, queue, entry := scTeam(t)
	allowed := []Command{
		{Op: "qa.moderate", Activity: qa, Entry: entry, Action: "approve"},
		{Op: "qa.moderate", Activity: qa, Entry: entry, Action: "pin"},
		{Op: "word.hide", Activity: cloud, Text: "nope"},
		{Op: "queue.policy", Activity: queue, Policy: "alternate"},
		{Op: "queue.next", Activity: queue},
		{Op: "queue.timer", Activity: queue, Action: "pause"},
		// Ops added later to the families, the moderator's by name.
		{Op: "queue.add", Activity: queue, Name: "Zoe, on the phone line"},
		{Op: "qa.spotlight", Activity: qa, Args: json.RawMessage(`{"entry": "` + entry + `"}`)},
	}
	for _, c := range allowed {
		if out := r.apply(Mod, c); out.Result.Err != nil {
			t.Fatalf("a moderator's %s: %v", c.Op, out.Result.Err)
		}
	}
	if got := r.board(Attendee); len(got) != 1 || !strings.HasPrefix(got[0], "Why? 0 visible") {
		t.Fatalf("the moderator's approval on phones: %v", got)
	}
	r.act = queue
	if v := r.view(Facilitator); v["speaking"] == nil {
		t.Fatalf("the moderator gave the floor, the facilitator does not see it: %v", v)
	}
	r.act = poll
	forbidden := []Command{
		{Op: "activity.create", Spec: &ActivitySpec{Kind: KindQA, Title: "Mine"}},
		{Op: "activity.open", Activity: poll},
		{Op: "activity.close", Activity: qa},
		{Op: "activity.present", Activity: poll},
		{Op: "activity.reveal", Activity: poll, Attendees: scPtr(true)},
		{Op: OpActivityUpdate, Activity: poll, Spec: &ActivitySpec{Kind: KindPoll, Title: "Dinner?", Options: []string{"a", "b"}}},
		{Op: OpActivityDelete, Activity: poll},
		{Op: OpActivityMove, Activity: poll, To: scPtr(0)},
		{Op: OpActivityDuplicate, Activity: poll},
		{Op: OpUpdate, Title: "Taken over"},
		{Op: OpEnd},
		// An attendee's ops are no moderator's, "word.*" or not.
		{Op: "vote", Activity: poll, Choices: []int{0}},
		{Op: "qa.ask", Activity: qa, Text: "Mine?"},
		{Op: "hand.raise", Activity: queue, Name: "Mod"},
	}
	for _, c := range forbidden {
		r.refused(Mod, c, CodeForbidden)
	}
	out := r.apply(Mod, Command{Op: "session.end"})
	if e := out.Result.Err; e.Reason != ReasonTeamRole || e.Name != string(Moderator) {
		t.Fatalf("a forbidden op says why: %+v", e)
	}
	// The facilitator still may do all of it.
	r.host(Command{Op: "activity.reveal", Activity: poll, Attendees: scPtr(true)})
	// An attendee cannot pass for the team.
	r.refused("Ana", Command{Op: "qa.moderate", Activity: qa, Entry: entry, Action: "hide"}, CodeForbidden)
	scEqual(t, "the moderator's role", RoleOf(Mod), Moderator)
}

// Preparing: an update replaces a draft's spec and refuses anything but a
// draft; a delete takes a draft or closed activity from the views (and
// off the screen) but not from the log; a move puts an activity at a
// place of the views' list; a duplicate is a fresh draft beside the
// original, named by the ack.
func TestPreparingActivities(t *testing.T) {
	titles := func(r *scScript) string {
		var out []string
		for _, a := range r.session(Facilitator)["activities"].([]any) {
			out = append(out, a.(map[string]any)["title"].(string))
		}
		return strings.Join(out, ", ")
	}
	t.Run("update", func(t *testing.T) {
		r := scNew(t)
		poll := r.create(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}})
		r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
		r.host(Command{Op: OpActivityUpdate, Activity: poll, Spec: &ActivitySpec{Title: "Dinner?", Options: []string{"Soup", "Salad", "Both"}, Multi: true, MaxChoices: 2}})
		v := r.view(Facilitator)
		scEqual(t, "title", v["title"].(string), "Dinner?")
		scEqual(t, "options", len(v["options"].([]any)), 3)
		scEqual(t, "multi", v["multi"].(bool), true)
		scEqual(t, "who sees results stays", v["revealed"].(map[string]any)["attendees"].(bool), true)
		scEqual(t, "the spec kept", r.s.Activity(poll).Spec.Title, "Dinner?")
		r.refused(Host, Command{Op: OpActivityUpdate, Activity: poll, Spec: &ActivitySpec{Kind: KindQA, Title: "Q"}}, CodeBadRequest)
		r.refused(Host, Command{Op: OpActivityUpdate, Activity: poll, Spec: &ActivitySpec{Title: "One", Options: []string{"only"}}}, CodeBadRequest)
		r.refused(Host, Command{Op: OpActivityUpdate, Activity: poll}, CodeBadRequest)
		r.refused(Host, Command{Op: OpActivityUpdate, Activity: "a999", Spec: &ActivitySpec{Title: "?"}}, CodeNotFound)
		r.host(Command{Op: "activity.open", Activity: poll})
		edit := Command{Op: OpActivityUpdate, Activity: poll, Spec: &ActivitySpec{Title: "Late", Options: []string{"a", "b"}}}
		r.refused(Host, edit, CodeConflict)
		if e := r.apply(Host, edit).Result.Err; e.Reason != ReasonNotDraft {
			t.Fatalf("the reason: %+v", e)
		}
		r.host(Command{Op: "activity.close", Activity: poll})
		r.refused(Host, edit, CodeConflict)
	})
	t.Run("delete", func(t *testing.T) {
		r := scNew(t)
		r.join("Ana")
		draft := r.create(ActivitySpec{Kind: KindQA, Title: "Draft"})
		poll := r.show(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}})
		r.host(Command{Op: "activity.open"})
		r.by("Ana", Command{Op: "vote", Choices: []int{1}})
		r.refused(Host, Command{Op: OpActivityDelete, Activity: poll}, CodeConflict)
		if e := r.apply(Host, Command{Op: OpActivityDelete, Activity: poll}).Result.Err; e.Reason != ReasonActivityOpen {
			t.Fatalf("the reason: %+v", e)
		}
		r.host(Command{Op: "activity.close"})
		logged := len(r.events)
		r.host(Command{Op: OpActivityDelete, Activity: poll})
		r.host(Command{Op: OpActivityDelete, Activity: draft})
		scEqual(t, "the views", titles(r), "")
		scEqual(t, "on screen", r.session(Attendee)["presented"].(string), "")
		scEqual(t, "the phone's view", len(r.session(Attendee)["activities"].([]any)), 0)
		// The log keeps the activity, the vote and the delete: a replay
		// comes to the same state.
		scEqual(t, "events kept", len(r.events), logged+2)
		replay := &State{}
		for _, e := range r.events {
			replay.Apply(e)
		}
		scEqual(t, "a replay", len(replay.View(Facilitator).Activities), 0)
		if a := replay.Activity(poll); a == nil || !a.Deleted {
			t.Fatalf("the replica lost the deleted activity: %+v", a)
		}
		r.refused(Host, Command{Op: OpActivityDelete, Activity: poll}, CodeNotFound)
		r.refused(Host, Command{Op: "activity.present", Activity: poll}, CodeNotFound)
		r.refused("Ana", Command{Op: "vote", Activity: poll, Choices: []int{0}}, CodeForbidden)
	})
	t.Run("move", func(t *testing.T) {
		r := scNew(t)
		a := r.create(ActivitySpec{Kind: KindQA, Title: "A"})
		b := r.create(ActivitySpec{Kind: KindQA, Title: "B"})
		r.create(ActivitySpec{Kind: KindQA, Title: "C"})
		d := r.create(ActivitySpec{Kind: KindQA, Title: "D"})
		r.host(Command{Op: OpActivityMove, Activity: d, To: scPtr(0)})
		scEqual(t, "D first", titles(r), "D, A, B, C")
		r.host(Command{Op: OpActivityMove, Activity: d, To: scPtr(3)})
		scEqual(t, "D last", titles(r), "A, B, C, D")
		r.host(Command{Op: OpActivityMove, Activity: a, To: scPtr(1)})
		scEqual(t, "A second", titles(r), "B, A, C, D")
		// Deleted ones do not count in the places.
		r.host(Command{Op: OpActivityDelete, Activity: b})
		r.host(Command{Op: OpActivityMove, Activity: d, To: scPtr(1)})
		scEqual(t, "after a delete", titles(r), "A, D, C")
		for _, to := range []int{-1, 3, 1000} {
			r.refused(Host, Command{Op: OpActivityMove, Activity: d, To: scPtr(to)}, CodeBadRequest)
		}
		r.refused(Host, Command{Op: OpActivityMove, Activity: d}, CodeBadRequest)
	})
	t.Run("duplicate", func(t *testing.T) {
		r := scNew(t)
		r.join("Ana")
		poll := r.show(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}, Multi: true, MaxChoices: 2})
		r.create(ActivitySpec{Kind: KindQA, Title: "After"})
		r.host(Command{Op: "activity.open", Activity: poll})
		r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{0, 1}})
		out := r.host(Command{Op: OpActivityDuplicate, Activity: poll})
		dup := out.Result.Activity
		if dup == "" || dup == poll || !out.Change.Header {
			t.Fatalf("the ack: %+v", out)
		}
		scEqual(t, "beside the original", titles(r), "Lunch?, Lunch?, After")
		r.act = dup
		v := r.view(Facilitator)
		scEqual(t, "a draft", v["state"].(string), Draft)
		scEqual(t, "no votes", v["voters"].(float64), 0)
		scEqual(t, "same options", len(v["options"].([]any)), 2)
		scEqual(t, "same settings", v["maxChoices"].(float64), 2)
		r.s.Limits.Activities = 3
		r.refused(Host, Command{Op: OpActivityDuplicate, Activity: poll}, CodeLimitReached)
	})
}

// The plan is the session's settings and specs in the views' order,
// without answers or deleted activities, and makes the same session again.
func TestPlanOfASession(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr"}, Constituencies: plainTexts("North", "South")})
	poll := r.show(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"Yes", "No"}})
	gone := r.create(ActivitySpec{Kind: KindQA, Title: "Gone"})
	r.create(ActivitySpec{Kind: KindQueue, Title: "Floor", SpeakingSeconds: 90})
	r.host(Command{Op: "activity.open", Activity: poll})
	r.by("Ana", Command{Op: "vote", Activity: poll, Choices: []int{0}})
	r.host(Command{Op: OpActivityDelete, Activity: gone})
	r.host(Command{Op: OpActivityMove, Activity: poll, To: scPtr(1)})
	p := r.s.Plan()
	scEqual(t, "title", p.Title[""], "After the crisis")
	scEqual(t, "languages", strings.Join(p.Languages, " "), "en fr")
	scEqual(t, "constituencies", joinTexts(p.Constituencies), "North South")
	if len(p.Activities) != 2 || p.Activities[0].Title != "Floor" || p.Activities[0].SpeakingSeconds != 90 || p.Activities[1].Title != "Lunch?" {
		t.Fatalf("activities: %+v", p.Activities)
	}
	evs, _, err := PlanEvents(Command{Op: OpCreate, Titles: p.Title, Languages: p.Languages, Constituencies: p.Constituencies, Rules: CurrentRules}, &p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	next := &State{}
	for i, e := range evs {
		e.Offset = uint64(i + 1)
		next.Apply(e)
	}
	np := next.Plan()
	scEqual(t, "the next session's plan", scJSON(t, np), scJSON(t, p))
	for _, a := range next.Activities {
		scEqual(t, a.Title+" is a draft", a.State, Draft)
	}
}

func scJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A copy keeps the original's spec as it was written, a title given per
// language included: the server makes up no "(copy)" in any language
// (the console tells the copy apart by opening it to edit), and the plan
// gives both back the same.
func TestDuplicateKeepsTheSpec(t *testing.T) {
	t.Parallel()
	r := scNew(t)
	r.host(Command{Op: OpUpdate, Languages: []string{"en", "fr"}})
	scale := r.create(scaleSpecOf(t, `{"kind":"scale","title":{"en":"Rate","fr":"Notez"},
		"statements":[{"en":"Housing","fr":"Logement"},"Wi-Fi"],"labels":{"min":{"en":"Low","fr":"Bas"},"max":"OK"}}`))
	dup := r.host(Command{Op: OpActivityDuplicate, Activity: scale}).Result.Activity
	orig, cp := r.s.Activity(scale), r.s.Activity(dup)
	scEqual(t, "the copy's title", []any{cp.Title, scJSON(t, cp.Titles)}, []any{orig.Title, scJSON(t, orig.Titles)})
	fr := scDecode(t, cp.ViewIn(Facilitator, "fr"))
	scEqual(t, "the copy read in French", fr["title"], "Notez")
	p := r.s.Plan()
	if len(p.Activities) != 2 {
		t.Fatalf("the plan: %+v", p.Activities)
	}
	scEqual(t, "the copy in the plan", scJSON(t, p.Activities[1]), scJSON(t, p.Activities[0]))
}
