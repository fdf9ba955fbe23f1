package session

import "testing"

// responses is the "responses" of the current activity's view for role,
// or -1 when it is absent.
func (r *scScript) responses(role Role) int {
	r.t.Helper()
	n, ok := r.view(role)["responses"].(float64)
	if !ok {
		return -1
	}
	return int(n)
}

// Every kind's view counts its answers for every role, results hidden or
// not (PROTOCOL.md 1.2): poll voters, word cloud submitters, Q&A entries
// of any status, queue hands waiting, speaking or done.
func TestResponsesForEveryRole(t *testing.T) {
	roles := []Role{Facilitator, Display, Attendee}
	all := func(r *scScript, what string, want int) {
		t.Helper()
		for _, role := range roles {
			scEqual(t, what+" for "+string(role), r.responses(role), want)
		}
	}

	r := scNew(t)
	r.join("Ana", "Ben", "Chloé")
	r.show(ActivitySpec{Kind: KindPoll, Title: "Lunch?", Options: []string{"yes", "no"}, Multi: true})
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false), Display: scPtr(false)})
	all(r, "a new poll", 0)
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "vote", Choices: []int{0, 1}})
	r.by("Ben", Command{Op: "vote", Choices: []int{1}})
	r.by("Ben", Command{Op: "vote", Choices: []int{0}}) // a changed vote is one voter
	all(r, "two voters, results hidden", 2)
	if _, ok := r.view(Attendee)["voters"]; ok {
		t.Fatal("hidden results still hide their counts")
	}

	r.show(ActivitySpec{Kind: KindWordcloud, Title: "One word", MaxEntries: 3})
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(false), Display: scPtr(false)})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "word.submit", Text: "parks"})
	r.by("Ana", Command{Op: "word.submit", Text: "trams"})
	r.by("Chloé", Command{Op: "word.submit", Text: "parks"})
	all(r, "two who submitted three words", 2)

	r.show(ActivitySpec{Kind: KindQA, Title: "Questions", Moderated: true})
	r.host(Command{Op: "activity.open"})
	q := r.by("Ana", Command{Op: "qa.ask", Text: "Why?"}).Result.Entry
	r.by("Ben", Command{Op: "qa.ask", Text: "When?"})
	r.host(Command{Op: "qa.moderate", Entry: q, Action: "hide"})
	all(r, "entries of any status", 2)

	r.show(ActivitySpec{Kind: KindQueue, Title: "Speakers"})
	r.host(Command{Op: "activity.open"})
	all(r, "an empty queue", 0)
	r.by("Ana", Command{Op: "hand.raise", Name: "Ana"})
	r.by("Ben", Command{Op: "hand.raise", Name: "Ben"})
	r.host(Command{Op: "queue.add", Name: "Zoë"})
	r.host(Command{Op: "queue.next"})
	r.host(Command{Op: "queue.next"})
	all(r, "one done, one speaking, one waiting", 3)
	r.by("Chloé", Command{Op: "hand.raise", Name: "Chloé"})
	r.by("Chloé", Command{Op: "hand.lower"})
	all(r, "a lowered hand is no answer", 3)
}
