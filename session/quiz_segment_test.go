package session

import (
	"reflect"
	"testing"
	"time"
)

// quizGroups reads a quiz view's groups: constituency → counts per option
// and how many were right.
func quizGroups(v map[string]any) (map[string][2][]int, bool) {
	raw, ok := v["segments"].([]any)
	if !ok {
		return nil, false
	}
	out := map[string][2][]int{}
	for _, x := range raw {
		m := x.(map[string]any)
		var counts []int
		for _, o := range m["options"].([]any) {
			counts = append(counts, int(o.(map[string]any)["count"].(float64)))
		}
		out[m["constituency"].(string)] = [2][]int{counts, {int(m["right"].(float64))}}
	}
	return out, true
}

// A quiz's results by constituency: the facilitator's while it runs, the
// display's once it closed, small groups left out of views but not of the
// export.
func TestSegmentedQuiz(t *testing.T) {
	t.Parallel()
	r := segScript(t)
	r.show(segmented(ActivitySpec{Kind: KindQuiz, Title: "Capital?", Options: []string{"Lyon", "Paris", "Nice"}}, `{"segment": true, "correct": [1], "seconds": 30}`))
	r.host(Command{Op: "activity.open"})
	for i, name := range r.names {
		r.by(name, Command{Op: "answer", Args: []byte(`{"choice": ` + string(rune('0'+i%3)) + `}`)})
	}
	want := map[string][2][]int{
		"Local governments": {{2, 2, 2}, {2}},
		"Civil society":     {{2, 2, 1}, {2}},
	}
	if g, ok := quizGroups(r.view(Facilitator)); !ok || !reflect.DeepEqual(g, want) {
		t.Fatalf("facilitator while open: %v", g)
	}
	if _, ok := quizGroups(r.view(Display)); ok {
		t.Fatal("the display gets groups before the quiz closed")
	}
	r.wait(31 * time.Second)
	r.host(Command{Op: "activity.close"})
	if g, ok := quizGroups(r.view(Display)); !ok || !reflect.DeepEqual(g, want) || r.view(Display)["segmentsHidden"] != 3.0 {
		t.Fatalf("display once closed: %v, hidden %v", g, r.view(Display)["segmentsHidden"])
	}
	if _, ok := quizGroups(r.view(Attendee)); ok {
		t.Fatal("attendees get groups")
	}
	if g, _ := quizGroups(r.view("export")); len(g) != 5 || !reflect.DeepEqual(g["Academia"], [2][]int{{1, 0, 1}, {0}}) {
		t.Fatalf("export groups: %v", g)
	}
	r.refused(Host, Command{Op: "activity.create", Spec: ptr(segmented(ActivitySpec{Kind: KindQuiz, Title: "Q", Options: []string{"a", "b"}}, `{"minSegment": 3, "correct": [0]}`))}, CodeBadRequest)
}
