package session

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// scBoard is a Q&A view as a client decodes it.
type scBoard struct {
	State     string
	Moderated bool
	Sort      string
	Entries   []EntryView
}

// scQAOf opens a Q&A board with spec, presented, with one attendee per
// name.
func scQAOf(t *testing.T, spec ActivitySpec, names ...string) *scScript {
	t.Helper()
	r := scNew(t)
	r.join(names...)
	spec.Kind = KindQA
	if spec.Title == "" {
		spec.Title = "Your questions"
	}
	r.host(Command{Op: "activity.present", Activity: r.create(spec)})
	r.host(Command{Op: "activity.open"})
	return r
}

func (r *scScript) ask(name, text string) string {
	r.t.Helper()
	r.wait(time.Second)
	return r.by(name, Command{Op: "qa.ask", Text: text}).Result.Entry
}

func (r *scScript) moderate(entry, action string) Outcome {
	r.t.Helper()
	return r.host(Command{Op: "qa.moderate", Entry: entry, Action: action})
}

func (r *scScript) upvote(name, entry string) Outcome {
	r.t.Helper()
	return r.by(name, Command{Op: "qa.upvote", Entry: entry})
}

// board lists "text votes status [pinned]" for role, in the view's order.
func (r *scScript) board(role Role) []string {
	r.t.Helper()
	out := []string{}
	for _, e := range scInto[scBoard](r.t, r.view(role)).Entries {
		s := fmt.Sprintf("%s %d %s", e.Text, e.Votes, e.Status)
		if e.Pinned {
			s += " pinned"
		}
		out = append(out, s)
	}
	return out
}

// mine lists "text votes status [pinned]" of a participant's own entries,
// then what they upvoted.
func (r *scScript) mine(name string) ([]string, []string) {
	r.t.Helper()
	y := scInto[struct {
		Entries []EntryView
		Upvoted []string
	}](r.t, r.s.Activity(r.act).You(r.who[name]))
	out := []string{}
	for _, e := range y.Entries {
		s := fmt.Sprintf("%s %d %s", e.Text, e.Votes, e.Status)
		if e.Pinned {
			s += " pinned"
		}
		out = append(out, s)
	}
	return out, y.Upvoted
}

func TestQAScript(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben", "Chloé", "Dan")
	r.host(Command{Op: "activity.present", Activity: r.create(ActivitySpec{Kind: KindQA, Title: "Ideas"})})
	v := scInto[scBoard](t, r.view(Attendee))
	scEqual(t, "a new board", []any{v.State, v.Moderated, v.Sort, len(v.Entries)}, []any{Draft, false, "votes", 0})
	scEqual(t, "revealed to all", r.view(Attendee)["revealed"], any(map[string]any{"attendees": true, "display": true}))
	r.refused("Ana", Command{Op: "qa.ask", Text: "Too early?"}, CodeActivityClosed)
	r.host(Command{Op: "activity.open"})

	q1 := r.ask("Ana", "More trees on the avenue")
	out := r.by("Ben", Command{Op: "qa.ask", Text: "  Free   buses\ton Sundays "})
	q2 := out.Result.Entry
	scEqual(t, "ask", out.Change, Change{Activity: r.act, You: []string{r.who["Ben"]}})
	scEqual(t, "entry ids", []string{q1, q2}, []string{"q10", "q11"})
	q3 := r.ask("Chloé", "<b>Open the school yards</b>")
	for _, role := range []Role{Facilitator, Display, Attendee} {
		scEqual(t, string(role), r.board(role), []string{
			"More trees on the avenue 0 visible", "Free buses on Sundays 0 visible", "<b>Open the school yards</b> 0 visible"})
	}
	e := scInto[scBoard](t, r.view(Attendee)).Entries[0]
	scEqual(t, "first entry", e, EntryView{ID: q1, Text: "More trees on the avenue", Status: StatusVisible, CreatedAt: "2025-06-02T14:00:01Z"})

	out = r.upvote("Dan", q3)
	scEqual(t, "upvote tells the voter and the author", out.Change, Change{Activity: r.act, You: []string{r.who["Dan"], r.who["Chloé"]}})
	r.upvote("Ana", q3)
	r.upvote("Ana", q2)
	out = r.upvote("Chloé", q3)
	scEqual(t, "upvoting one's own", out.Change.You, []string{r.who["Chloé"]})
	scEqual(t, "by votes", r.board(Attendee), []string{
		"<b>Open the school yards</b> 3 visible", "Free buses on Sundays 1 visible", "More trees on the avenue 0 visible"})

	// Again takes it back.
	r.upvote("Chloé", q3)
	r.upvote("Ana", q3)
	scEqual(t, "taken back", r.board(Display), []string{
		"Free buses on Sundays 1 visible", "<b>Open the school yards</b> 1 visible", "More trees on the avenue 0 visible"})
	mine, upvoted := r.mine("Ana")
	scEqual(t, "Ana's own", mine, []string{"More trees on the avenue 0 visible"})
	scEqual(t, "Ana's upvotes", upvoted, []string{q2})
	mine, upvoted = r.mine("Chloé")
	scEqual(t, "Chloé's own", mine, []string{"<b>Open the school yards</b> 1 visible"})
	scEqual(t, "Chloé's upvotes", upvoted, []string{})

	out = r.moderate(q1, "pin")
	scEqual(t, "moderation tells the author", out.Change, Change{Activity: r.act, You: []string{r.who["Ana"]}})
	scEqual(t, "pinned first", r.board(Attendee), []string{
		"More trees on the avenue 0 visible pinned", "Free buses on Sundays 1 visible", "<b>Open the school yards</b> 1 visible"})
	r.moderate(q2, "answered")
	scEqual(t, "answered stays", r.board(Attendee), []string{
		"More trees on the avenue 0 visible pinned", "Free buses on Sundays 1 answered", "<b>Open the school yards</b> 1 visible"})
	r.upvote("Dan", q2) // an answered entry can still be upvoted
	r.moderate(q1, "unpin")
	scEqual(t, "unpinned", r.board(Attendee), []string{
		"Free buses on Sundays 2 answered", "<b>Open the school yards</b> 1 visible", "More trees on the avenue 0 visible"})

	r.moderate(q3, "hide")
	for _, role := range []Role{Display, Attendee} {
		scEqual(t, string(role)+" after hiding", r.board(role), []string{
			"Free buses on Sundays 2 answered", "More trees on the avenue 0 visible"})
		if s := r.everythingOf(role); strings.Contains(s, "school yards") {
			t.Fatalf("the %s sees the hidden entry: %s", role, s)
		}
	}
	scEqual(t, "facilitator after hiding", r.board(Facilitator), []string{
		"Free buses on Sundays 2 answered", "<b>Open the school yards</b> 1 hidden", "More trees on the avenue 0 visible"})
	scEqual(t, "export after hiding", r.board("export"), r.board(Facilitator))
	mine, _ = r.mine("Chloé")
	scEqual(t, "the author sees her hidden entry as hidden", mine, []string{"<b>Open the school yards</b> 1 hidden"})
	r.refused("Ben", Command{Op: "qa.upvote", Entry: q3}, CodeNotFound)
	r.refused("Dan", Command{Op: "qa.upvote", Entry: q3}, CodeNotFound) // not even to take it back
	r.moderate(q3, "approve")
	scEqual(t, "approved again", r.board(Attendee), []string{
		"Free buses on Sundays 2 answered", "<b>Open the school yards</b> 1 visible", "More trees on the avenue 0 visible"})

	r.host(Command{Op: "activity.close"})
	r.refused("Ben", Command{Op: "qa.ask", Text: "Late?"}, CodeActivityClosed)
	r.refused("Ben", Command{Op: "qa.upvote", Entry: q1}, CodeActivityClosed)
	r.moderate(q1, "answered") // the facilitator still moderates a closed board
}

// On a moderated board a question waits for the facilitator; its author
// sees it waiting, nobody else sees it.
func TestQAModerated(t *testing.T) {
	r := scQAOf(t, ActivitySpec{Moderated: true}, "Ana", "Ben")
	q1 := r.ask("Ana", "Who pays for it?")
	for _, role := range []Role{Display, Attendee} {
		scEqual(t, string(role), r.board(role), []string{})
		if s := r.everythingOf(role); strings.Contains(s, "Who pays") {
			t.Fatalf("the %s sees a pending entry: %s", role, s)
		}
	}
	scEqual(t, "facilitator", r.board(Facilitator), []string{"Who pays for it? 0 pending"})
	mine, _ := r.mine("Ana")
	scEqual(t, "Ana's own", mine, []string{"Who pays for it? 0 pending"})
	mine, _ = r.mine("Ben")
	scEqual(t, "Ben's own", mine, []string{})
	if s := r.you("Ben"); strings.Contains(s, "Who pays") {
		t.Fatalf("Ben sees Ana's pending entry: %s", s)
	}
	r.refused("Ben", Command{Op: "qa.upvote", Entry: q1}, CodeNotFound)
	r.refused("Ana", Command{Op: "qa.upvote", Entry: q1}, CodeNotFound)

	out := r.moderate(q1, "approve")
	scEqual(t, "approval tells the author", out.Change.You, []string{r.who["Ana"]})
	scEqual(t, "attendee after approval", r.board(Attendee), []string{"Who pays for it? 0 visible"})
	r.upvote("Ben", q1)
	mine, _ = r.mine("Ana")
	scEqual(t, "Ana's own after an upvote", mine, []string{"Who pays for it? 1 visible"})

	// A pending entry can be hidden, pinned or answered straight away.
	q2 := r.ask("Ben", "Spam spam spam")
	r.moderate(q2, "hide")
	q3 := r.ask("Ben", "When does it start?")
	r.moderate(q3, "pin")
	scEqual(t, "pinned while pending", r.board(Attendee), []string{"Who pays for it? 1 visible"})
	r.moderate(q3, "answered")
	scEqual(t, "answered", r.board(Attendee), []string{"When does it start? 0 answered pinned", "Who pays for it? 1 visible"})
	mine, upvoted := r.mine("Ben")
	scEqual(t, "Ben's own", mine, []string{"Spam spam spam 0 hidden", "When does it start? 0 answered pinned"})
	scEqual(t, "Ben's upvotes", upvoted, []string{q1})
	scEqual(t, "facilitator", r.board(Facilitator), []string{
		"When does it start? 0 answered pinned", "Who pays for it? 1 visible", "Spam spam spam 0 hidden"})
}

func TestQASort(t *testing.T) {
	t.Run("by votes", func(t *testing.T) {
		r := scQAOf(t, ActivitySpec{Sort: "votes"}, "A", "B", "C")
		q := []string{r.ask("A", "one"), r.ask("B", "two"), r.ask("C", "three"), r.ask("A", "four")}
		r.upvote("A", q[3])
		r.upvote("B", q[1])
		r.upvote("C", q[3])
		r.upvote("A", q[2])
		scEqual(t, "most votes first, ties to the earliest", r.board(Attendee), []string{"four 2 visible", "two 1 visible", "three 1 visible", "one 0 visible"})
		r.moderate(q[0], "pin")
		r.moderate(q[2], "pin")
		scEqual(t, "pinned first", r.board(Attendee), []string{"three 1 visible pinned", "one 0 visible pinned", "four 2 visible", "two 1 visible"})
		scEqual(t, "the facilitator sees the same order", r.board(Facilitator), r.board(Attendee))
	})
	t.Run("by time", func(t *testing.T) {
		r := scQAOf(t, ActivitySpec{Sort: "time"}, "A", "B", "C")
		q := []string{r.ask("A", "one"), r.ask("B", "two")}
		// Events appended together may carry the same time: the log's
		// order decides.
		q = append(q, r.by("C", Command{Op: "qa.ask", Text: "three"}).Result.Entry)
		q = append(q, r.by("A", Command{Op: "qa.ask", Text: "four"}).Result.Entry)
		r.upvote("A", q[0])
		r.upvote("B", q[0])
		scEqual(t, "sort", scInto[scBoard](t, r.view(Attendee)).Sort, "time")
		scEqual(t, "newest first", r.board(Attendee), []string{"four 0 visible", "three 0 visible", "two 0 visible", "one 2 visible"})
		r.moderate(q[1], "pin")
		scEqual(t, "pinned first", r.board(Display), []string{"two 0 visible pinned", "four 0 visible", "three 0 visible", "one 2 visible"})
	})
}

func TestQABadInput(t *testing.T) {
	r := scQAOf(t, ActivitySpec{}, "Ana", "Ben")
	q := r.ask("Ana", "Why?")
	long := strings.Repeat("é", 281)
	r.by("Ben", Command{Op: "qa.ask", Text: long[:len(long)-len("é")]}) // 280 is the limit
	tests := []struct {
		name  string
		actor string
		c     Command
		code  string
	}{
		{"empty", "Ben", Command{Op: "qa.ask", Text: ""}, CodeBadRequest},
		{"white space", "Ben", Command{Op: "qa.ask", Text: " \n\t "}, CodeBadRequest},
		{"too long", "Ben", Command{Op: "qa.ask", Text: long}, CodeBadRequest},
		{"NUL", "Ben", Command{Op: "qa.ask", Text: "why\x00"}, CodeBadRequest},
		{"ESC", "Ben", Command{Op: "qa.ask", Text: "\x1b[2Jwhy"}, CodeBadRequest},
		{"invalid UTF-8", "Ben", Command{Op: "qa.ask", Text: "why\xc3"}, CodeBadRequest},
		{"ask by the facilitator", Host, Command{Op: "qa.ask", Text: "Host?"}, CodeForbidden},
		{"upvote an unknown entry", "Ben", Command{Op: "qa.upvote", Entry: "q999"}, CodeNotFound},
		{"upvote no entry", "Ben", Command{Op: "qa.upvote"}, CodeNotFound},
		{"upvote by the facilitator", Host, Command{Op: "qa.upvote", Entry: q}, CodeForbidden},
		{"moderate by an attendee", "Ben", Command{Op: "qa.moderate", Entry: q, Action: "hide"}, CodeForbidden},
		{"moderate by the author", "Ana", Command{Op: "qa.moderate", Entry: q, Action: "pin"}, CodeForbidden},
		{"moderate an unknown entry", Host, Command{Op: "qa.moderate", Entry: "q999", Action: "hide"}, CodeNotFound},
		{"moderate without action", Host, Command{Op: "qa.moderate", Entry: q}, CodeBadRequest},
		{"moderate with an unknown action", Host, Command{Op: "qa.moderate", Entry: q, Action: "delete"}, CodeBadRequest},
		{"moderate with a capitalised action", Host, Command{Op: "qa.moderate", Entry: q, Action: "Hide"}, CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused(tt.actor, tt.c, tt.code)
		})
	}
	r.t = t
	scEqual(t, "the board", len(r.board(Attendee)), 2)
}

func TestQACreate(t *testing.T) {
	tests := []struct {
		spec      ActivitySpec
		code      string
		moderated bool
		sort      string
	}{
		{ActivitySpec{}, "", false, "votes"},
		{ActivitySpec{Moderated: true, Sort: "time"}, "", true, "time"},
		{ActivitySpec{Sort: "votes"}, "", false, "votes"},
		{ActivitySpec{Sort: "random"}, CodeBadRequest, false, ""},
	}
	for i, tt := range tests {
		r := scNew(t)
		tt.spec.Kind, tt.spec.Title = KindQA, "Q"
		if tt.code != "" {
			r.refused(Host, Command{Op: "activity.create", Spec: &tt.spec}, tt.code)
			continue
		}
		r.create(tt.spec)
		v := scInto[scBoard](t, r.view(Facilitator))
		scEqual(t, fmt.Sprint("case ", i), []any{v.Moderated, v.Sort}, []any{tt.moderated, tt.sort})
	}
}

// The facilitator can hide the whole board from attendees; entries are then
// absent from their view, and their own entries stay in "you".
func TestQAReveal(t *testing.T) {
	r := scQAOf(t, ActivitySpec{}, "Ana")
	r.ask("Ana", "Visible?")
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false)})
	if _, ok := r.view(Attendee)["entries"]; ok {
		t.Fatal("the attendee sees entries of a board not revealed to attendees")
	}
	scEqual(t, "display", r.board(Display), []string{"Visible? 0 visible"})
	mine, _ := r.mine("Ana")
	scEqual(t, "Ana's own", mine, []string{"Visible? 0 visible"})
}

// Attendees and displays get at most 200 entries; the facilitator and the
// export get all.
func TestQABoardLimit(t *testing.T) {
	r := scQAOf(t, ActivitySpec{}, "Ana")
	r.s.Limits.QAEntriesPerParticipant = 205
	for i := range 205 {
		r.quick("Ana", Command{Op: "qa.ask", Text: fmt.Sprint("idea ", i)})
	}
	r.upvote("Ana", "q210") // the last one asked
	scEqual(t, "attendee", len(r.board(Attendee)), 200)
	scEqual(t, "the most voted first", r.board(Display)[0], "idea 204 1 visible")
	scEqual(t, "facilitator", len(r.board(Facilitator)), 205)
	scEqual(t, "export", len(r.board("export")), 205)
}
