package session

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// scWall is an open question's view as a client decodes it.
type scWall struct {
	State      string
	MaxLength  int
	MaxEntries int
	Moderated  bool
	Responses  int
	Entries    *[]OpenEntryView // nil: absent (hidden)
}

// scOpenOf presents an open question with spec and opens it, with one
// attendee per name.
func scOpenOf(t *testing.T, spec ActivitySpec, names ...string) *scScript {
	t.Helper()
	r := scNew(t)
	r.join(names...)
	spec.Kind = KindOpen
	if spec.Title == "" {
		spec.Title = "In one sentence, what should cities do first?"
	}
	r.show(spec)
	r.host(Command{Op: "activity.open"})
	return r
}

func (r *scScript) answer(name, text string) string {
	r.t.Helper()
	r.wait(time.Second)
	return r.by(name, Command{Op: "open.submit", Text: text}).Result.Entry
}

func (r *scScript) openModerate(entry, action string) Outcome {
	r.t.Helper()
	return r.host(Command{Op: "open.moderate", Entry: entry, Action: action})
}

// wall lists "text status [highlighted]" for role ("export" for the
// export), in the view's order.
func (r *scScript) wall(role Role) []string {
	r.t.Helper()
	w := scInto[scWall](r.t, r.view(role))
	if w.Entries == nil {
		return nil
	}
	return openLines(*w.Entries)
}

func openLines(list []OpenEntryView) []string {
	out := []string{}
	for _, e := range list {
		s := e.Text + " " + e.Status
		if e.Highlighted {
			s += " highlighted"
		}
		out = append(out, s)
	}
	return out
}

// ownAnswers lists a participant's own answers as wall lines.
func (r *scScript) ownAnswers(name string) []string {
	r.t.Helper()
	y := scInto[struct{ Entries []OpenEntryView }](r.t, r.s.Activity(r.act).You(r.who[name]))
	return openLines(y.Entries)
}

func TestOpenScript(t *testing.T) {
	r := scNew(t)
	r.join("Ana", "Ben", "Chloé")
	id := r.show(ActivitySpec{Kind: KindOpen, Title: "In one sentence, what should cities do first?"})
	w := scInto[scWall](t, r.view(Attendee))
	scEqual(t, "a new question", []any{w.State, w.MaxLength, w.MaxEntries, w.Moderated, w.Responses}, []any{Draft, 280, 1, false, 0})
	scEqual(t, "the wall is the display's", r.view(Attendee)["revealed"], any(map[string]any{"attendees": false, "display": true}))
	r.refused("Ana", Command{Op: "open.submit", Text: "Too early?"}, CodeActivityClosed)
	r.host(Command{Op: "activity.open"})

	out := r.by("Ana", Command{Op: "open.submit", Text: "  Plant   trees\ton every street ", Lang: "fr-FR"})
	scEqual(t, "submit tells the author", out.Change, Change{Activity: id, You: []string{r.who["Ana"]}})
	first := out.Result.Entry
	scEqual(t, "entry id", first, "o9")
	r.answer("Ben", "Free buses")
	r.answer("Chloé", "<b>Open the school yards</b>")
	want := []string{"<b>Open the school yards</b> visible", "Free buses visible", "Plant trees on every street visible"}
	scEqual(t, "the display's wall, newest first", r.wall(Display), want)
	scEqual(t, "the facilitator's", r.wall(Facilitator), want)
	scEqual(t, "attendees see no wall", r.wall(Attendee), []string(nil))
	scEqual(t, "but they see how many answered", scInto[scWall](t, r.view(Attendee)).Responses, 3)
	scEqual(t, "Ana's own", r.ownAnswers("Ana"), []string{"Plant trees on every street visible"})
	e := (*scInto[scWall](t, r.view(Display)).Entries)[2]
	scEqual(t, "an entry", e, OpenEntryView{ID: first, Text: "Plant trees on every street", Status: StatusVisible, CreatedAt: "2025-06-02T14:00:00Z", Lang: "fr-FR"})

	out = r.openModerate(first, "highlight")
	scEqual(t, "a highlight tells the author", out.Change, Change{Activity: id, You: []string{r.who["Ana"]}})
	scEqual(t, "highlighted in place", r.wall(Display)[2], "Plant trees on every street visible highlighted")
	r.openModerate(first, "hide")
	scEqual(t, "hidden off the wall", r.wall(Display), want[:2])
	scEqual(t, "hidden, the highlight goes", r.wall(Facilitator)[2], "Plant trees on every street hidden")
	scEqual(t, "Ana sees hers hidden", r.ownAnswers("Ana"), []string{"Plant trees on every street hidden"})
	scEqual(t, "still counted", scInto[scWall](t, r.view(Display)).Responses, 3)
	r.openModerate(first, "approve")
	scEqual(t, "approved back", r.wall(Display), want)

	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	scEqual(t, "revealed to phones", r.wall(Attendee), want)
	r.host(Command{Op: "activity.reveal", Display: scPtr(false)})
	scEqual(t, "hidden from the display", r.wall(Display), []string(nil))
	scEqual(t, "the display still counts", scInto[scWall](t, r.view(Display)).Responses, 3)

	r.host(Command{Op: "activity.close"})
	r.refused("Ben", Command{Op: "open.submit", Text: "Late"}, CodeActivityClosed)
	scEqual(t, "the export", r.wall("export"), want)
}

func TestOpenModerated(t *testing.T) {
	r := scOpenOf(t, ActivitySpec{Moderated: true, MaxEntries: 2}, "Ana", "Ben", "Chloé")
	a1 := r.answer("Ana", "Housing first")
	b1 := r.answer("Ben", "Something rude")
	c1 := r.answer("Chloé", "Clean air")
	scEqual(t, "nothing on the wall yet", r.wall(Display), []string{})
	scEqual(t, "the facilitator reads them", r.wall(Facilitator), []string{"Clean air pending", "Something rude pending", "Housing first pending"})
	scEqual(t, "every answer counted", scInto[scWall](t, r.view(Display)).Responses, 3)
	scEqual(t, "Ana waits", r.ownAnswers("Ana"), []string{"Housing first pending"})
	r.refused(Host, Command{Op: "open.moderate", Entry: a1, Action: "highlight"}, CodeBadRequest)

	r.openModerate(a1, "approve")
	r.openModerate(b1, "hide")
	r.openModerate(c1, "approve")
	r.openModerate(c1, "approve") // a second moderator's click
	r.openModerate(c1, "highlight")
	scEqual(t, "the wall", r.wall(Display), []string{"Clean air visible highlighted", "Housing first visible"})
	scEqual(t, "the export marks the hidden", r.wall("export"), []string{"Clean air visible highlighted", "Something rude hidden", "Housing first visible"})
	scEqual(t, "Ben's is not shown", r.ownAnswers("Ben"), []string{"Something rude hidden"})
	r.openModerate(c1, "unhighlight")
	scEqual(t, "unhighlighted", r.wall(Display)[0], "Clean air visible")

	a2 := r.answer("Ana", "And parks")
	scEqual(t, "a second answer waits", r.ownAnswers("Ana"), []string{"And parks pending", "Housing first visible"})
	r.refused("Ana", Command{Op: "open.submit", Text: "A third"}, CodeLimitReached)
	r.openModerate(a2, "approve")
	scEqual(t, "newest first", r.wall(Display), []string{"And parks visible", "Clean air visible", "Housing first visible"})

	rows := r.s.Activity(r.act).CSV()
	got := []string{}
	for _, row := range rows {
		got = append(got, strings.Join(row[3:], "|"))
	}
	scEqual(t, "CSV rows", got, []string{
		"And parks||visible||||2025-06-02T14:00:04Z||||",
		"Clean air||visible||||2025-06-02T14:00:03Z||||",
		"Something rude||hidden||||2025-06-02T14:00:02Z||||",
		"Housing first||visible||||2025-06-02T14:00:01Z||||",
	})
	if len(rows[0]) != len(CSVHeader) {
		t.Fatalf("a row of %d cells under %d columns", len(rows[0]), len(CSVHeader))
	}
}

func TestOpenLanguageInCSV(t *testing.T) {
	r := scOpenOf(t, ActivitySpec{}, "Ana", "Ben")
	r.by("Ana", Command{Op: "open.submit", Text: "Logement", Lang: "fr"})
	id := r.by("Ben", Command{Op: "open.submit", Text: "Vivienda", Lang: "es"}).Result.Entry
	r.openModerate(id, "highlight")
	rows := r.s.Activity(r.act).CSV()
	got := []string{}
	for _, row := range rows {
		got = append(got, row[3]+" "+row[5]+" "+row[len(row)-1])
	}
	scEqual(t, "text, status, language", got, []string{"Vivienda visible highlighted es", "Logement visible fr"})
	scEqual(t, "the header", CSVHeader[len(CSVHeader)-1], "language")
}

func TestOpenBadInput(t *testing.T) {
	r := scOpenOf(t, ActivitySpec{MaxLength: 10}, "Ana", "Ben")
	e := r.answer("Ana", "Trees")
	r.by("Ben", Command{Op: "open.submit", Text: strings.Repeat("é", 10)}) // 10 is the limit
	tests := []struct {
		name  string
		actor string
		c     Command
		code  string
	}{
		{"empty", "Ana", Command{Op: "open.submit", Text: ""}, CodeBadRequest},
		{"white space", "Ana", Command{Op: "open.submit", Text: " \n\t "}, CodeBadRequest},
		{"too long", "Ana", Command{Op: "open.submit", Text: strings.Repeat("é", 11)}, CodeBadRequest},
		{"control characters", "Ana", Command{Op: "open.submit", Text: "why\x00"}, CodeBadRequest},
		{"invalid UTF-8", "Ana", Command{Op: "open.submit", Text: "why\xc3"}, CodeBadRequest},
		{"a second answer", "Ana", Command{Op: "open.submit", Text: "Parks"}, CodeLimitReached},
		{"an answer by the facilitator", Host, Command{Op: "open.submit", Text: "Host"}, CodeForbidden},
		{"moderate by an attendee", "Ben", Command{Op: "open.moderate", Entry: e, Action: "hide"}, CodeForbidden},
		{"moderate by the author", "Ana", Command{Op: "open.moderate", Entry: e, Action: "highlight"}, CodeForbidden},
		{"moderate an unknown entry", Host, Command{Op: "open.moderate", Entry: "o999", Action: "hide"}, CodeNotFound},
		{"moderate no entry", Host, Command{Op: "open.moderate", Action: "hide"}, CodeNotFound},
		{"moderate without action", Host, Command{Op: "open.moderate", Entry: e}, CodeBadRequest},
		{"an unknown action", Host, Command{Op: "open.moderate", Entry: e, Action: "pin"}, CodeBadRequest},
		{"a capitalised action", Host, Command{Op: "open.moderate", Entry: e, Action: "Hide"}, CodeBadRequest},
		{"a Q&A op", "Ben", Command{Op: "qa.ask", Text: "Why?"}, CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			r.refused(tt.actor, tt.c, tt.code)
		})
	}
	r.t = t
	scEqual(t, "the wall", len(r.wall(Display)), 2)

	// The refusal says which cap, for the phone to say it in its language.
	out := r.apply("Ana", Command{Op: "open.submit", Text: "Again"})
	scEqual(t, "reason", []any{out.Result.Err.Reason, out.Result.Err.Max}, []any{ReasonOpenPerParticipant, 1})

	r.host(Command{Op: "session.end"})
	r.refused("Ben", Command{Op: "open.submit", Text: "After"}, CodeSessionEnded)
}

func TestOpenCreate(t *testing.T) {
	tests := []struct {
		name string
		spec ActivitySpec
		ok   bool
		max  [2]int // maxLength, maxEntries when ok
	}{
		{"defaults", ActivitySpec{}, true, [2]int{280, 1}},
		{"given", ActivitySpec{MaxLength: 1000, MaxEntries: 20, Moderated: true}, true, [2]int{1000, 20}},
		{"one character", ActivitySpec{MaxLength: 1}, true, [2]int{1, 1}},
		{"too long", ActivitySpec{MaxLength: 1001}, false, [2]int{}},
		{"negative length", ActivitySpec{MaxLength: -1}, false, [2]int{}},
		{"too many entries", ActivitySpec{MaxEntries: 21}, false, [2]int{}},
		{"negative entries", ActivitySpec{MaxEntries: -3}, false, [2]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scNew(t)
			spec := tt.spec
			spec.Kind, spec.Title = KindOpen, "Why?"
			if !tt.ok {
				r.refused(Host, Command{Op: "activity.create", Spec: &spec}, CodeBadRequest)
				return
			}
			r.create(spec)
			w := scInto[scWall](t, r.view(Facilitator))
			scEqual(t, "caps", [2]int{w.MaxLength, w.MaxEntries}, tt.max)
			scEqual(t, "moderated", w.Moderated, tt.spec.Moderated)
		})
	}
}

// A hall answers more than a wall can show: attendees and displays get the
// newest 200 visible answers, the facilitator and the export every one.
func TestOpenWallLimit(t *testing.T) {
	var names []string
	for i := range openWallLimit + 30 {
		names = append(names, fmt.Sprint("p", i))
	}
	r := scOpenOf(t, ActivitySpec{}, names...)
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	for i, n := range names {
		r.quick(n, Command{Op: "open.submit", Text: fmt.Sprint("answer ", i)})
	}
	for _, role := range []Role{Display, Attendee} {
		wall := r.wall(role)
		scEqual(t, string(role)+" count", len(wall), openWallLimit)
		scEqual(t, string(role)+" newest", wall[0], fmt.Sprintf("answer %d visible", len(names)-1))
	}
	scEqual(t, "the facilitator's", len(r.wall(Facilitator)), len(names))
	scEqual(t, "the export", len(r.wall("export")), len(names))
	scEqual(t, "responses", scInto[scWall](t, r.view(Attendee)).Responses, len(names))
}

// A snapshot reads back with its indexes: the per-participant cap still
// holds after a restore.
func TestOpenSnapshot(t *testing.T) {
	r := scOpenOf(t, ActivitySpec{Moderated: true}, "Ana")
	id := r.answer("Ana", "Trees")
	r.openModerate(id, "approve")
	r.openModerate(id, "highlight")
	raw := r.stateJSON()
	var back State
	if err := json.Unmarshal([]byte(raw), &back); err != nil {
		t.Fatal(err)
	}
	back.Restore()
	r.s = &back
	scEqual(t, "restored wall", r.wall(Display), []string{"Trees visible highlighted"})
	r.refused("Ana", Command{Op: "open.submit", Text: "Again"}, CodeLimitReached)
	r.refused(Host, Command{Op: "open.moderate", Entry: "o1", Action: "hide"}, CodeNotFound)
	r.openModerate(id, "hide")
	scEqual(t, "moderated after restore", r.wall(Facilitator), []string{"Trees hidden"})
}
