package session

import (
	"testing"
	"time"
)

// Findings from trying the product: each test fails without its fix.

func TestSessionEndRecordsTheTurnInProgress(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana")
	q.raise("Ana", "Lyon")
	q.next()
	q.wait(42 * time.Second)
	q.host(Command{Op: "session.end"})
	v := q.view("export")
	if v.Speaking != nil || len(v.Speakers) != 1 || v.Speakers[0].Name != "Ana" || v.Speakers[0].Seconds != 42 {
		t.Fatalf("after session.end: speaking %v, speakers %+v", v.Speaking, v.Speakers)
	}
}

func TestPointOfOrderGoesBeforeHandsMovedByHand(t *testing.T) {
	q := qOpen(t, ActivitySpec{})
	q.join("Ana", "Ben", "Chloé")
	q.raise("Ana", "Lyon")
	ben := q.raise("Ben", "Lille")
	to := 0
	q.host(Command{Op: "queue.move", Hand: ben, To: &to})
	qEqual(t, "moved first", q.waiting(), []string{"Ben", "Ana"})
	q.by("Chloé", Command{Op: "hand.raise", Name: "Chloé", Constituency: "Nice", Kind: HandOrder})
	qEqual(t, "the point of order goes to the front", q.waiting(), []string{"Chloé", "Ben", "Ana"})
}

func TestHiddenHeldWordIsNoLongerPending(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	id := r.show(ActivitySpec{Kind: KindWordcloud, Title: "One word", Moderation: "hold"})
	r.host(Command{Op: "activity.open", Activity: id})
	r.by("Ana", Command{Op: "word.submit", Activity: id, Text: "shit"})
	r.host(Command{Op: "word.hide", Activity: id, Text: "shit"})
	words := r.s.Activity(id).Body.(*Cloud).words(true, 0)
	if len(words) != 1 || !words[0].Hidden || words[0].Pending {
		t.Fatalf("a hidden held word: %+v", words)
	}
}
