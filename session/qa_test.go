package session

import (
	"encoding/json"
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
	r := scQAOf(t, ActivitySpec{}, "Ana", "Ben", "Cy", "Dee")
	r.s.Limits.QAEntriesPerParticipant = 205
	ids := make([]string, 205)
	for i := range ids {
		ids[i] = r.quick("Ana", Command{Op: "qa.ask", Text: fmt.Sprint("idea ", i)}).Result.Entry
	}
	scEqual(t, "attendee", len(r.board(Attendee)), 200)
	scEqual(t, "the earliest 200 of a board with no votes", r.board(Attendee)[199], "idea 199 0 visible")
	scEqual(t, "facilitator", len(r.board(Facilitator)), 205)
	scEqual(t, "export", len(r.board("export")), 205)

	// The cut stays until an entry beyond it has boardMargin (3) votes
	// more than the last one inside: two votes only reorder the
	// facilitator's list.
	r.upvote("Ben", ids[204])
	r.upvote("Cy", ids[204])
	scEqual(t, "two votes beyond the cut", r.board(Display)[0], "idea 0 0 visible")
	scEqual(t, "the facilitator sees it first", r.board(Facilitator)[0], "idea 204 2 visible")
	r.upvote("Dee", ids[204])
	scEqual(t, "three votes: in, the most voted first", r.board(Display)[0], "idea 204 3 visible")
	scEqual(t, "the last one inside left", r.board(Attendee)[199], "idea 198 0 visible")
	scEqual(t, "still 200", len(r.board(Attendee)), 200)

	// A vote taken back moves nothing until the margin is crossed back.
	r.upvote("Dee", ids[204])
	r.upvote("Cy", ids[204])
	scEqual(t, "one vote left, still in", r.board(Display)[0], "idea 204 1 visible")

	// A pinned entry comes in at once; a hidden one makes room for the
	// first beyond the cut.
	r.moderate(ids[203], "pin")
	scEqual(t, "pinned first", r.board(Attendee)[0], "idea 203 0 visible pinned")
	scEqual(t, "the last unpinned one left", r.board(Attendee)[199], "idea 197 0 visible")
	r.moderate(ids[0], "hide")
	scEqual(t, "the first beyond the cut took the hidden one's place", r.board(Attendee)[199], "idea 198 0 visible")
	scEqual(t, "still 200 after a hide", len(r.board(Attendee)), 200)
}

// spotlight sends qa.spotlight as the websocket reads it (its "entry" is
// a field of its own, so that "" is not mistaken for absent).
func (r *scScript) spotlight(actor string, fields map[string]any) Command {
	r.t.Helper()
	fields["type"], fields["op"], fields["activity"] = "cmd", "qa.spotlight", r.act
	b, _ := json.Marshal(fields)
	c, err := ParseCommand(b)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// spotlit is the text of the spotlighted entry role sees, "" for none,
// or "absent".
func (r *scScript) spotlit(role Role) string {
	r.t.Helper()
	v, ok := r.view(role)["spotlight"]
	if !ok {
		return "absent"
	}
	if v == nil {
		return ""
	}
	return v.(map[string]any)["text"].(string)
}

// One question full screen: every role that sees the board sees it whole,
// even past the entries a display is sent; hiding it takes it down.
func TestQASpotlight(t *testing.T) {
	r := scQAOf(t, ActivitySpec{}, "Ana", "Ben")
	long := strings.Repeat("Why does the ring road end at the river? ", 6)[:240]
	q := r.ask("Ana", long)
	other := r.ask("Ben", "When?")
	for _, role := range []Role{Facilitator, Display, Attendee} {
		scEqual(t, "nothing spotlighted for "+string(role), r.spotlit(role), "")
	}
	r.host(r.spotlight(Host, map[string]any{"entry": q}))
	for _, role := range []Role{Facilitator, Display, Attendee} {
		scEqual(t, "the spotlight for "+string(role), r.spotlit(role), long)
	}
	r.upvote("Ben", q)
	scEqual(t, "its votes go with it", r.view(Display)["spotlight"].(map[string]any)["votes"], 1.0)
	r.moderate(q, "answered")
	scEqual(t, "an answered question stays up", r.spotlit(Display), long)

	// A display that does not see the board does not see its spotlight.
	r.host(Command{Op: "activity.reveal", Display: scPtr(false)})
	scEqual(t, "a display without results", r.spotlit(Display), "")
	r.host(Command{Op: "activity.reveal", Display: scPtr(true)})

	tests := []struct {
		name   string
		by     string
		fields map[string]any
		code   string
	}{
		{"no entry field", Host, map[string]any{}, CodeBadRequest},
		{"an unknown entry", Host, map[string]any{"entry": "q999"}, CodeNotFound},
		{"an attendee", "Ben", map[string]any{"entry": other}, CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused(tt.by, r.spotlight(tt.by, tt.fields), tt.code)
		})
	}
	r.t = t
	r.host(r.spotlight(Host, map[string]any{"entry": other}))
	scEqual(t, "another question", r.spotlit(Display), "When?")
	r.moderate(other, "hide")
	scEqual(t, "hidden: taken down", r.spotlit(Display), "")
	r.refused(Host, r.spotlight(Host, map[string]any{"entry": other}), CodeConflict)
	r.host(r.spotlight(Host, map[string]any{"entry": q}))
	r.host(r.spotlight(Host, map[string]any{"entry": ""}))
	scEqual(t, "cleared", r.spotlit(Display), "")

	// A question waiting for approval cannot go up.
	m := scQAOf(t, ActivitySpec{Moderated: true}, "Ana")
	pending := m.ask("Ana", "Pending?")
	m.refused(Host, m.spotlight(Host, map[string]any{"entry": pending}), CodeConflict)
	m.moderate(pending, "approve")
	m.host(m.spotlight(Host, map[string]any{"entry": pending}))
	scEqual(t, "approved, then up", m.spotlit(Display), "Pending?")
}

// Past the board's limit, the spotlighted entry still reaches displays.
func TestQASpotlightBeyondTheBoard(t *testing.T) {
	r := scQAOf(t, ActivitySpec{Sort: "time"}, "Ana", "Ben", "Chloé", "Dan", "Eva", "Femi", "Gus", "Hana", "Ivo", "Jo", "Kim")
	first := r.ask("Ana", "The very first question")
	for i := 0; i < boardLimit; i++ {
		r.ask(r.names[1+i%10], fmt.Sprintf("Question %d", i))
	}
	r.host(r.spotlight(Host, map[string]any{"entry": first}))
	for _, e := range r.view(Display)["entries"].([]any) {
		if e.(map[string]any)["id"] == first {
			t.Fatal("the test needs the first question beyond the display's board")
		}
	}
	scEqual(t, "spotlight", r.spotlit(Display), "The very first question")
}
