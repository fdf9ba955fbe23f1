package session

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// scCloud is a word cloud's view as a client decodes it.
type scCloud struct {
	State      string
	MaxEntries int
	MaxLength  int
	Moderation string
	Entries    *int
	Words      []WordView
}

// scCloudOf opens a word cloud with spec, revealed to attendees too, with
// one attendee per name.
func scCloudOf(t *testing.T, spec ActivitySpec, names ...string) *scScript {
	t.Helper()
	r := scNew(t)
	r.join(names...)
	spec.Kind = KindWordcloud
	if spec.Title == "" {
		spec.Title = "One word for the city you want"
	}
	r.host(Command{Op: "activity.present", Activity: r.create(spec)})
	r.host(Command{Op: "activity.open"})
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true)})
	return r
}

func (r *scScript) cloud(role Role) scCloud {
	r.t.Helper()
	return scInto[scCloud](r.t, r.view(role))
}

// words lists "text count" for role, with the facilitator's marks.
func (r *scScript) words(role Role) []string {
	r.t.Helper()
	out := []string{}
	for _, w := range r.cloud(role).Words {
		s := fmt.Sprintf("%s %d", w.Text, w.Count)
		if w.Hidden {
			s += " hidden"
		}
		if w.Flagged {
			s += " flagged"
		}
		if w.Pending {
			s += " pending"
		}
		out = append(out, s)
	}
	return out
}

// Entries that normalize alike are one word, shown in its most common form
// (the earliest of those on a tie).
func TestWordNormalization(t *testing.T) {
	tests := []struct {
		name string
		sent []string
		want []string
	}{
		{"case and outer space", []string{"Water", " water ", "WATER", "wa\u0074er"}, []string{"water 4"}},
		{"inner space", []string{"clean   air", "clean air", "\tclean\n air ", "clean\u00a0air", "Clean\u2003Air"}, []string{"clean air 5"}},
		{"NFC", []string{"e\u0301te\u0301", "\u00e9t\u00e9", "E\u0301TE\u0301"}, []string{"e\u0301te\u0301 3"}},
		{"NFC counts, the form sent is shown", []string{"Cafe\u0301", "Caf\u00e9", "Cafe\u0301"}, []string{"Cafe\u0301 3"}},
		{"full case folding: ß is ss", []string{"STRASSE", "straße", "Straße", "strasse"}, []string{"STRASSE 4"}},
		{"Greek final sigma", []string{"ΣΊΣΥΦΟΣ", "σίσυφος"}, []string{"ΣΊΣΥΦΟΣ 2"}},
		{"ligature", []string{"ﬁre", "fire", "FIRE"}, []string{"ﬁre 3"}},
		{"accents are not folded away", []string{"resume", "résumé", "Résumé"}, []string{"résumé 2", "resume 1"}},
		{"inner space is not removed", []string{"bike lanes", "bikelanes"}, []string{"bike lanes 1", "bikelanes 1"}},
		{"most common form", []string{"bike", "Bike", "BIKE", "Bike", "bike", "Bike"}, []string{"Bike 6"}},
		{"earliest form on a tie", []string{"bike", "Bike", "Bike", "bike", "BIKE"}, []string{"bike 5"}},
		{"earliest form on a tie, other order", []string{"Bike", "bike", "bike", "Bike"}, []string{"Bike 4"}},
		{"most frequent first, earliest on a tie", []string{"trees", "Air", "water", "air", "Water", "Trees", "light"},
			[]string{"trees 2", "Air 2", "water 2", "light 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names := make([]string, len(tt.sent))
			for i := range names {
				names[i] = fmt.Sprint("p", i)
			}
			r := scCloudOf(t, ActivitySpec{MaxEntries: 1}, names...)
			for i, w := range tt.sent {
				r.by(names[i], Command{Op: "word.submit", Text: w})
			}
			for _, role := range []Role{Facilitator, Display, Attendee, "export"} {
				scEqual(t, string(role), r.words(role), tt.want)
			}
			scEqual(t, "entries", *r.cloud(Attendee).Entries, len(tt.sent))
		})
	}
}

// Text is stored as received after cleaning: escaping is the page's job.
func TestWordStoredAsIs(t *testing.T) {
	tests := []struct{ sent, stored string }{
		{"<script>alert(1)</script>", "<script>alert(1)</script>"},
		{`<img src=x onerror="alert(1)">`, `<img src=x onerror="alert(1)">`},
		{"javascript:alert(1)", "javascript:alert(1)"},
		{"&amp; &lt;", "&amp; &lt;"},
		{"\u202eevil\u202c", "\u202eevil\u202c"}, // right-to-left override: a format character, not a control
		{"zero\u200bwidth", "zero\u200bwidth"},
		{"\u200b", "\u200b"},
		{"\ufeffbom", "\ufeffbom"},
		{"soft\u00adhyphen", "soft\u00adhyphen"},
		{"👩🏽‍🚒", "👩🏽‍🚒"},
		// NEL (U+0085) is a C1 control but also Unicode white space: it
		// is collapsed like any space, never stored.
		{"clean\u0085air", "clean air"},
		{"line\u2028separator", "line separator"},
		{strings.Repeat("long", 10), strings.Repeat("long", 10)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.sent), func(t *testing.T) {
			r := scCloudOf(t, ActivitySpec{}, "Ana")
			r.by("Ana", Command{Op: "word.submit", Text: tt.sent})
			for _, role := range []Role{Facilitator, Display, Attendee, "export"} {
				scEqual(t, string(role), r.words(role), []string{tt.stored + " 1"})
			}
			scEqual(t, "Ana's own", r.s.Activity(r.act).You(r.who["Ana"])["words"], any([]string{tt.stored}))
		})
	}
}

func TestWordRefused(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"spaces", "   "},
		{"white space of all kinds", "\t\n\r\v\f \u00a0\u3000\u0085"},
		{"41 é with maxLength 40", strings.Repeat("é", 41)},
		{"41 decomposed é", strings.Repeat("e\u0301", 41)},
		{"41 letters", strings.Repeat("a", 41)},
		{"41 letters after trimming", "  " + strings.Repeat("a", 41) + "  "},
		{"NUL", "wa\x00ter"},
		{"BEL", "\x07"},
		{"ESC", "\x1b[31mred"},
		{"DEL", "del\x7f"},
		{"C1 CSI", "a\u009bb"},
		{"invalid UTF-8", "wat\xffer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scCloudOf(t, ActivitySpec{MaxLength: 40}, "Ana")
			r.refused("Ana", Command{Op: "word.submit", Text: tt.text}, CodeBadRequest)
			scEqual(t, "Ana's own", r.you("Ana"), `{"held":[],"remaining":3,"words":[]}`)
		})
	}
}

// maxLength counts code points after cleaning, not bytes.
func TestWordMaxLength(t *testing.T) {
	tests := []struct {
		text string
		ok   bool
	}{
		{strings.Repeat("é", 40), true},       // 80 bytes
		{strings.Repeat("e\u0301", 40), true}, // 120 bytes, 40 code points in NFC
		{strings.Repeat("😀", 40), true},       // 160 bytes
		{"   " + strings.Repeat("a", 20) + "     " + strings.Repeat("b", 19) + "  ", true},
		{strings.Repeat("é", 41), false},
		{strings.Repeat("😀", 41), false},
	}
	for i, tt := range tests {
		r := scCloudOf(t, ActivitySpec{MaxLength: 40}, "Ana")
		out := r.apply("Ana", Command{Op: "word.submit", Text: tt.text})
		if (out.Result.Err == nil) != tt.ok {
			t.Fatalf("case %d (%d bytes): %v", i, len(tt.text), out.Result.Err)
		}
	}
	r := scCloudOf(t, ActivitySpec{MaxLength: 3}, "Ana")
	r.by("Ana", Command{Op: "word.submit", Text: "été"})
	r.refused("Ana", Command{Op: "word.submit", Text: "étés"}, CodeBadRequest)
	scEqual(t, "maxLength in the view", r.cloud(Attendee).MaxLength, 3)
}

func TestWordMaxEntries(t *testing.T) {
	r := scCloudOf(t, ActivitySpec{MaxEntries: 2}, "Ana", "Ben")
	scEqual(t, "Ana before", r.you("Ana"), `{"held":[],"remaining":2,"words":[]}`)
	out := r.by("Ana", Command{Op: "word.submit", Text: "Trees"})
	scEqual(t, "change", out.Change, Change{Activity: r.act, You: []string{r.who["Ana"]}})
	r.by("Ana", Command{Op: "word.submit", Text: "trees"}) // the same word twice counts twice
	scEqual(t, "Ana after two", r.you("Ana"), `{"held":[],"remaining":0,"words":["Trees","trees"]}`)
	r.refused("Ana", Command{Op: "word.submit", Text: "air"}, CodeBadRequest)
	r.by("Ben", Command{Op: "word.submit", Text: "air"})
	scEqual(t, "words", r.words(Attendee), []string{"Trees 2", "air 1"})
	scEqual(t, "entries", *r.cloud(Display).Entries, 3)
	scEqual(t, "maxEntries", r.cloud(Attendee).MaxEntries, 2)
	// Refused entries do not use up the allowance.
	r.refused("Ben", Command{Op: "word.submit", Text: ""}, CodeBadRequest)
	r.by("Ben", Command{Op: "word.submit", Text: "light"})
	r.refused("Ben", Command{Op: "word.submit", Text: "more"}, CodeBadRequest)
}

func TestWordCloudCreate(t *testing.T) {
	tests := []struct {
		name string
		spec ActivitySpec
		code string
		want scCloud // for accepted ones
	}{
		{"defaults", ActivitySpec{}, "", scCloud{MaxEntries: 3, MaxLength: 40, Moderation: "hold"}},
		{"given", ActivitySpec{MaxEntries: 1, MaxLength: 12, Moderation: "show"}, "", scCloud{MaxEntries: 1, MaxLength: 12, Moderation: "show"}},
		{"largest", ActivitySpec{MaxEntries: 100, MaxLength: 200, Moderation: "hold"}, "", scCloud{MaxEntries: 100, MaxLength: 200, Moderation: "hold"}},
		{"too many entries", ActivitySpec{MaxEntries: 101}, CodeBadRequest, scCloud{}},
		{"negative entries", ActivitySpec{MaxEntries: -1}, CodeBadRequest, scCloud{}},
		{"too long", ActivitySpec{MaxLength: 201}, CodeBadRequest, scCloud{}},
		{"negative length", ActivitySpec{MaxLength: -5}, CodeBadRequest, scCloud{}},
		{"unknown moderation", ActivitySpec{Moderation: "maybe"}, CodeBadRequest, scCloud{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scNew(t)
			tt.spec.Kind = KindWordcloud
			if tt.code != "" {
				r.refused(Host, Command{Op: "activity.create", Spec: &tt.spec}, tt.code)
				return
			}
			r.create(tt.spec)
			got := r.cloud(Facilitator)
			tt.want.State, tt.want.Entries, tt.want.Words = Draft, scPtr(0), []WordView{}
			scEqual(t, "view", got, tt.want)
		})
	}
}

// A new cloud shows its words to the display but not to attendees until
// revealed; hidden fields are absent, not empty.
func TestWordCloudReveal(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	r.host(Command{Op: "activity.present", Activity: r.create(ActivitySpec{Kind: KindWordcloud, Title: "W"})})
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "word.submit", Text: "air"})
	a := r.view(Attendee)
	for _, k := range []string{"words", "entries"} {
		if _, ok := a[k]; ok {
			t.Fatalf("the attendee sees %q before the reveal: %v", k, a)
		}
	}
	scEqual(t, "attendee", []any{a["maxEntries"], a["maxLength"], a["moderation"]}, []any{float64(3), float64(40), "hold"})
	scEqual(t, "display", r.words(Display), []string{"air 1"})
	scEqual(t, "Ana's own is hers whatever is revealed", r.you("Ana"), `{"held":[],"remaining":2,"words":["air"]}`)
	r.host(Command{Op: "activity.reveal", Attendees: scPtr(true), Display: scPtr(false)})
	scEqual(t, "attendee", r.words(Attendee), []string{"air 1"})
	if _, ok := r.view(Display)["words"]; ok {
		t.Fatal("the display sees words it was not shown")
	}
	scEqual(t, "facilitator", r.words(Facilitator), []string{"air 1"})
}

// word.hide hides a word from attendees and displays, now and for later
// submissions; the facilitator and the export see it marked.
func TestWordHide(t *testing.T) {
	r := scCloudOf(t, ActivitySpec{MaxEntries: 2}, "Ana", "Ben", "Chloé")
	r.by("Ana", Command{Op: "word.submit", Text: "Cars"})
	r.by("Ben", Command{Op: "word.submit", Text: "trees"})
	out := r.host(Command{Op: "word.hide", Text: "  CARS "})
	scEqual(t, "hide changes the activity and the sender's own view", out.Change, Change{Activity: r.act, You: []string{r.who["Ana"]}})
	for _, role := range []Role{Display, Attendee} {
		scEqual(t, string(role), r.words(role), []string{"trees 1"})
		if s := r.everythingOf(role); strings.Contains(s, "Cars") || strings.Contains(s, "hidden") {
			t.Fatalf("the %s sees the hidden word: %s", role, s)
		}
	}
	scEqual(t, "facilitator", r.words(Facilitator), []string{"Cars 1 hidden", "trees 1"})

	// Later submissions of the same word stay hidden, and still count.
	r.by("Chloé", Command{Op: "word.submit", Text: "cars"})
	r.by("Chloé", Command{Op: "word.submit", Text: "CARS"})
	scEqual(t, "attendee after more cars", r.words(Attendee), []string{"trees 1"})
	scEqual(t, "export", r.words("export"), []string{"Cars 3 hidden", "trees 1"})
	scEqual(t, "Chloé still sees what she sent", r.you("Chloé"), `{"held":[],"remaining":0,"words":["cars","CARS"]}`)

	// A word can be hidden before anyone sends it.
	r.host(Command{Op: "word.hide", Text: "Motorway"})
	r.by("Ben", Command{Op: "word.submit", Text: "motorway"})
	scEqual(t, "display after a pre-hidden word", r.words(Display), []string{"trees 1"})

	r.host(Command{Op: "word.unhide", Text: "cars"})
	scEqual(t, "after unhide", r.words(Attendee), []string{"Cars 3", "trees 1"})
	scEqual(t, "facilitator after unhide", r.words(Facilitator), []string{"Cars 3", "trees 1", "motorway 1 hidden"})
	r.host(Command{Op: "word.unhide", Text: "cars"}) // unhiding a shown word does nothing

	r.refused("Ana", Command{Op: "word.hide", Text: "trees"}, CodeForbidden)
	r.refused(Host, Command{Op: "word.hide", Text: " "}, CodeBadRequest)
	r.refused(Host, Command{Op: "word.unhide", Text: "a\x00"}, CodeBadRequest)
}

// Views carry the top 100 words; the export carries all of them.
func TestWordTop100(t *testing.T) {
	const n = 150
	names := []string{"A", "B", "C", "D"}
	r := scCloudOf(t, ActivitySpec{MaxEntries: 100}, names...)
	// Word i is sent 1 + i%4 times; the first sending of each is in
	// order of i, so ties go to the lower i.
	sent := 0
	for round := range 4 {
		for i := range n {
			if i%4 >= round {
				r.quick(names[sent%4], Command{Op: "word.submit", Text: fmt.Sprintf("w%03d", i)})
				sent++
			}
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a]%4 > order[b]%4 })
	want := []string{}
	for _, i := range order {
		want = append(want, fmt.Sprintf("w%03d %d", i, 1+i%4))
	}
	for _, role := range []Role{Facilitator, Display, Attendee} {
		scEqual(t, string(role), r.words(role), want[:100])
	}
	scEqual(t, "export", r.words("export"), want)
	scEqual(t, "entries", *r.cloud(Attendee).Entries, sent)

	// Hidden words make room in the attendees' top 100, not the
	// facilitator's.
	r.host(Command{Op: "word.hide", Text: "w003"})
	scEqual(t, "attendee after hiding the top word", r.words(Attendee), want[1:101])
	scEqual(t, "facilitator's top", len(r.words(Facilitator)), 100)
}

func TestProfane(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		// Whole words only.
		{"Scunthorpe", false},
		{"therapeutic", false},
		{"assassin", false},
		{"cocktail", false},
		{"shitake", false},
		{"Dickens", false},
		{"class", false},
		{"Pénistone", false},
		{"cuncta", false},
		{"merdeux", false},
		{"emputado", false},
		{"", false},
		// English, French, Spanish.
		{"shit", true},
		{"SHIT", true},
		{"this is shit", true},
		{"shit!", true},
		{"bull-shit", true},
		{"Merde", true},
		{"c'est de la merde", true},
		{"putain de vélo", true},
		{"Enculé", true},
		{"ENCULÉ", true},
		{"fils de pute", true},
		{"mierda", true},
		{"¡Mierda!", true},
		{"coño", true},
		{"CABRÓN", true},
		{"hijoputa", true},
		// Folding applies as for counting.
		{"Fuck", true},
		{"fu\u0441k", false}, // a Cyrillic с is another letter
	}
	for _, tt := range tests {
		if got := Profane(tt.text); got != tt.want {
			t.Errorf("Profane(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// With moderation "hold", a flagged word waits for the facilitator: the
// author sees it as sent, nobody else until it is approved.
func TestWordModerationHold(t *testing.T) {
	r := scCloudOf(t, ActivitySpec{Moderation: "hold"}, "Ana", "Ben", "Chloé")
	r.by("Ana", Command{Op: "word.submit", Text: "Merde"})
	r.by("Ben", Command{Op: "word.submit", Text: "Scunthorpe"})
	r.by("Chloé", Command{Op: "word.submit", Text: "this is shit"})
	for _, role := range []Role{Display, Attendee} {
		scEqual(t, string(role), r.words(role), []string{"Scunthorpe 1"})
		if s := r.everythingOf(role); strings.Contains(s, "Merde") || strings.Contains(s, "pending") || strings.Contains(s, "flagged") {
			t.Fatalf("the %s sees what is held: %s", role, s)
		}
	}
	scEqual(t, "facilitator", r.words(Facilitator), []string{"Merde 1 flagged pending", "Scunthorpe 1", "this is shit 1 flagged pending"})
	scEqual(t, "Ana's own, waiting", r.you("Ana"), `{"held":["Merde"],"remaining":2,"words":["Merde"]}`)

	out := r.host(Command{Op: "word.approve", Text: "merde"})
	scEqual(t, "approve changes the activity and tells the sender", out.Change, Change{Activity: r.act, You: []string{r.who["Ana"]}})
	scEqual(t, "Ana's own, approved", r.you("Ana"), `{"held":[],"remaining":2,"words":["Merde"]}`)
	scEqual(t, "attendee after approval", r.words(Attendee), []string{"Merde 1", "Scunthorpe 1"})
	scEqual(t, "facilitator after approval", r.words(Facilitator), []string{"Merde 1 flagged", "Scunthorpe 1", "this is shit 1 flagged pending"})
	// An approved word stays approved for later submissions.
	r.by("Ben", Command{Op: "word.submit", Text: "MERDE"})
	scEqual(t, "display", r.words(Display), []string{"Merde 2", "Scunthorpe 1"})
	// Hiding wins over approval.
	r.host(Command{Op: "word.hide", Text: "merde"})
	scEqual(t, "attendee after hiding", r.words(Attendee), []string{"Scunthorpe 1"})
	scEqual(t, "export", r.words("export"), []string{"Merde 2 hidden flagged", "Scunthorpe 1", "this is shit 1 flagged pending"})

	r.refused(Host, Command{Op: "word.approve", Text: "mierda"}, CodeNotFound)
	r.refused(Host, Command{Op: "word.approve", Text: ""}, CodeBadRequest)
	r.refused("Ana", Command{Op: "word.approve", Text: "this is shit"}, CodeForbidden)
}

// With moderation "show", flagged words are shown and only marked for the
// facilitator.
func TestWordModerationShow(t *testing.T) {
	r := scCloudOf(t, ActivitySpec{Moderation: "show"}, "Ana", "Ben")
	r.by("Ana", Command{Op: "word.submit", Text: "mierda"})
	r.by("Ben", Command{Op: "word.submit", Text: "therapeutic"})
	for _, role := range []Role{Display, Attendee} {
		scEqual(t, string(role), r.words(role), []string{"mierda 1", "therapeutic 1"})
		if s := r.everythingOf(role); strings.Contains(s, "flagged") {
			t.Fatalf("the %s sees the flag: %s", role, s)
		}
	}
	scEqual(t, "facilitator", r.words(Facilitator), []string{"mierda 1 flagged", "therapeutic 1"})
	scEqual(t, "export", r.words("export"), []string{"mierda 1 flagged", "therapeutic 1"})
}

func TestWordOpsNeedAnOpenCloud(t *testing.T) {
	r := scNew(t)
	r.join("Ana")
	r.show(ActivitySpec{Kind: KindWordcloud, Title: "W"})
	r.refused("Ana", Command{Op: "word.submit", Text: "early"}, CodeActivityClosed)
	r.host(Command{Op: "activity.open"})
	r.by("Ana", Command{Op: "word.submit", Text: "shit"})
	r.host(Command{Op: "activity.close"})
	r.refused("Ana", Command{Op: "word.submit", Text: "late"}, CodeActivityClosed)
	// The facilitator still moderates a closed cloud.
	r.host(Command{Op: "word.approve", Text: "shit"})
	r.host(Command{Op: "word.hide", Text: "shit"})
	r.host(Command{Op: "word.unhide", Text: "shit"})
	scEqual(t, "facilitator", r.words(Facilitator), []string{"shit 1 flagged"})
}
