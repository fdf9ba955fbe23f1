package patch

import (
	"encoding/json"
	"testing"
)

func mustParse(t *testing.T, s string) *View {
	t.Helper()
	v, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}

// roundTrip diffs a into b, checks the patch against want (the encoded
// patch, or "" for "a whole view is needed"), and applies it to a.
func roundTrip(t *testing.T, a, b, want string) {
	t.Helper()
	p, ok := Diff(mustParse(t, a), mustParse(t, b))
	if want == "" {
		if ok {
			t.Fatalf("a patch where a whole view is needed: %s", encode(p))
		}
		return
	}
	if !ok {
		t.Fatalf("no patch from %s to %s", a, b)
	}
	if got := string(encode(p)); !Equal([]byte(got), []byte(want)) {
		t.Fatalf("patch\n got %s\nwant %s", got, want)
	}
	v := mustParse(t, a)
	if err := Apply(v, p); err != nil {
		t.Fatal(err)
	}
	if got := v.Marshal(); !Equal(got, []byte(b)) {
		t.Fatalf("applied\n got %s\nwant %s", got, b)
	}
}

func TestDiffAndApply(t *testing.T) {
	t.Parallel()
	qa := func(entries string) string {
		return `{"id":"a1","kind":"qa","title":"Q","sort":"votes","entries":[` + entries + `]}`
	}
	// A vote reorders the board: only the count goes, the client sorts.
	roundTrip(t,
		qa(`{"id":"q1","votes":2,"pinned":false},{"id":"q2","votes":1,"pinned":false}`),
		qa(`{"id":"q2","votes":3,"pinned":false},{"id":"q1","votes":2,"pinned":false}`),
		`{"set":{},"upsert":[{"id":"q2","votes":3}],"remove":[]}`)
	// Ties go to the earlier entry by the number in its id, not its text.
	roundTrip(t,
		qa(`{"id":"q9","votes":1,"pinned":false}`),
		qa(`{"id":"q9","votes":1,"pinned":false},{"id":"q10","votes":1,"pinned":false}`),
		`{"set":{},"upsert":[{"id":"q10","votes":1,"pinned":false}],"remove":[]}`)
	// A list out of the clients' order is never patched.
	roundTrip(t, qa(`{"id":"q1","votes":1,"pinned":false}`),
		qa(`{"id":"q1","votes":1,"pinned":false},{"id":"q2","votes":5,"pinned":false}`), "")
	// A removed entry and a changed title.
	roundTrip(t,
		qa(`{"id":"q1","votes":1,"pinned":false},{"id":"q2","votes":0,"pinned":false}`),
		`{"id":"a1","kind":"qa","title":"R","sort":"votes","entries":[{"id":"q1","votes":1,"pinned":false}]}`,
		`{"set":{"title":"R"},"upsert":[],"remove":["q2"]}`)
	// A field that leaves an item goes as null; a top-level one, or the
	// list, leaving needs the whole view.
	w := `{"id":"a2","kind":"wordcloud","entries":3,"words":[{"key":"a","text":"A","count":2,"first":4,"hidden":true},{"key":"b","text":"b","count":1,"first":5}]}`
	roundTrip(t, w,
		`{"id":"a2","kind":"wordcloud","entries":4,"words":[{"key":"a","text":"a","count":3,"first":4},{"key":"b","text":"b","count":1,"first":5}]}`,
		`{"set":{"entries":4},"upsert":[{"key":"a","text":"a","count":3,"hidden":null}],"remove":[]}`)
	roundTrip(t, w, `{"id":"a2","kind":"wordcloud","words":[]}`, "")
	roundTrip(t, w, `{"id":"a2","kind":"wordcloud","entries":3}`, "")
	// Queues send their order whenever the hands' sequence changes.
	q := func(hands string) string { return `{"id":"a3","kind":"queue","waiting":[` + hands + `]}` }
	roundTrip(t, q(`{"hand":"h1","name":"A"},{"hand":"h2","name":"B"}`),
		q(`{"hand":"h2","name":"B"},{"hand":"h3","name":"C"},{"hand":"h1","name":"A"}`),
		`{"set":{"order":["h2","h3","h1"]},"upsert":[{"hand":"h3","name":"C"}],"remove":[]}`)
	// Polls have no list: always whole.
	roundTrip(t, `{"id":"a4","kind":"poll","options":[]}`, `{"id":"a4","kind":"poll","options":[{"label":"x"}]}`, "")
}

// A patch that does not fit the view is an error, for the client to resync.
func TestApplyRefusesWhatDoesNotFit(t *testing.T) {
	t.Parallel()
	v := mustParse(t, `{"id":"a3","kind":"queue","waiting":[{"hand":"h1"}]}`)
	for _, p := range []string{
		`{"set":{},"upsert":[],"remove":["h9"]}`,
		`{"set":{"order":["h1","h2"]},"upsert":[],"remove":[]}`,
		`{"set":{"order":["h9"]},"upsert":[],"remove":[]}`,
		`{"set":{},"upsert":[{"name":"no key"}],"remove":[]}`,
	} {
		var pp Patch
		if err := json.Unmarshal([]byte(p), &pp); err != nil {
			t.Fatal(err)
		}
		if err := Apply(v, pp); err == nil {
			t.Errorf("%s applied", p)
		}
	}
}
