package e2e

// Browser tests of static/js/patch.js, the pages' applier of "patch"
// messages (PROTOCOL.md 1.1 "Patches"), and of its wiring in conn.js: the
// module is loaded in a real Chromium and run on table cases.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/chromedp/chromedp"
)

const (
	pvQA = `{"id": "q1", "kind": "qa", "title": "Questions", "state": "open", "sort": "votes", "entries": [
		{"id": "e1", "text": "first", "votes": 3, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:00:00Z"},
		{"id": "e2", "text": "second", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:01:00Z"}]}`
	pvQATime = `{"id": "q1", "kind": "qa", "title": "Questions", "state": "open", "sort": "time", "entries": [
		{"id": "e2", "text": "second", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:01:00Z"},
		{"id": "e1", "text": "first", "votes": 3, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:00:00Z"}]}`
	pvQAEmpty = `{"id": "q1", "kind": "qa", "title": "Questions", "state": "open", "sort": "votes"}`
	pvCloud   = `{"id": "w1", "kind": "wordcloud", "title": "Words", "state": "open", "entries": 5, "words": [
		{"key": "tea", "text": "Tea", "count": 3}, {"key": "coffee", "text": "coffee", "count": 2}]}`
	pvQueue = `{"id": "k1", "kind": "queue", "title": "Speakers", "state": "open", "speaking": null, "waitingCount": 2, "waiting": [
		{"hand": "h1", "name": "Ana", "constituency": "", "kind": "speak", "raisedAt": "2026-01-01T10:00:00.000Z"},
		{"hand": "h2", "name": "Ben", "constituency": "", "kind": "speak", "raisedAt": "2026-01-01T10:01:00.000Z"}]}`
	pvPoll = `{"id": "p1", "kind": "poll", "title": "Poll", "state": "open", "options": [{"label": "a", "votes": 1}], "voters": 1}`

	pvE1 = `{"id": "e1", "text": "first", "votes": 3, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:00:00Z"}`
	pvE2 = `{"id": "e2", "text": "second", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:01:00Z"}`
	pvE3 = `{"id": "e3", "text": "third", "votes": 0, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:02:00Z"}`
	pvH1 = `{"hand": "h1", "name": "Ana", "constituency": "", "kind": "speak", "raisedAt": "2026-01-01T10:00:00.000Z"}`
	pvH2 = `{"hand": "h2", "name": "Ben", "constituency": "", "kind": "speak", "raisedAt": "2026-01-01T10:01:00.000Z"}`
	pvH3 = `{"hand": "h3", "name": "Cy", "constituency": "", "kind": "order", "raisedAt": "2026-01-01T10:02:00.000Z"}`
)

// withList is view with its list replaced by items, and the fields named
// in pairs (name, JSON value) replaced.
func withList(view, list string, items string, fields ...string) string {
	var v map[string]any
	if err := json.Unmarshal([]byte(view), &v); err != nil {
		panic(err)
	}
	var l any
	if err := json.Unmarshal([]byte(items), &l); err != nil {
		panic(fmt.Sprintf("%v: %s", err, items))
	}
	v[list] = l
	for i := 0; i+1 < len(fields); i += 2 {
		var x any
		if err := json.Unmarshal([]byte(fields[i+1]), &x); err != nil {
			panic(err)
		}
		v[fields[i]] = x
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type patchCase struct {
	name  string
	view  string
	held  int
	patch string
	want  string // "null" when the patch must not apply
}

func patchCases() []patchCase {
	return []patchCase{
		{"qa: a new entry is added, by votes", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [` + pvE3 + `]}`,
			withList(pvQA, "entries", "["+pvE1+","+pvE2+","+pvE3+"]")},
		{"qa: an upsert of a known id merges only its fields, and the order follows the votes", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 7, "base": 5, "upsert": [{"id": "e2", "votes": 4}]}`,
			withList(pvQA, "entries", `[{"id": "e2", "text": "second", "votes": 4, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:01:00Z"},`+pvE1+"]")},
		{"qa: a removed id leaves the list", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "remove": ["e1"]}`,
			withList(pvQA, "entries", "["+pvE2+"]")},
		{"qa: the last entry removed leaves an empty list", withList(pvQA, "entries", "["+pvE1+"]"), 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "remove": ["e1"]}`,
			withList(pvQA, "entries", "[]")},
		{"qa: a removed id that is not held changes nothing", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "remove": ["e9"]}`,
			pvQA},
		{"qa: pinned first, whatever the votes", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [{"id": "e2", "pinned": true}]}`,
			withList(pvQA, "entries", `[{"id": "e2", "text": "second", "votes": 1, "status": "visible", "pinned": true, "createdAt": "2026-01-01T10:01:00Z"},`+pvE1+"]")},
		{"qa: equal votes, the earliest created first", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [{"id": "e1", "votes": 1}]}`,
			withList(pvQA, "entries", `[{"id": "e1", "text": "first", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:00:00Z"},`+pvE2+"]")},
		{"qa: equal votes, a new entry created earlier goes first", withList(pvQA, "entries", `[{"id": "e5", "text": "late", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:05:00Z"}]`), 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [{"id": "e4", "text": "early", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:04:00Z"}]}`,
			withList(pvQA, "entries", `[{"id": "e4", "text": "early", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:04:00Z"}, {"id": "e5", "text": "late", "votes": 1, "status": "visible", "pinned": false, "createdAt": "2026-01-01T10:05:00Z"}]`)},
		{"qa: set changes top-level fields and keeps the list", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "set": {"state": "closed", "title": "Closed questions"}}`,
			withList(pvQA, "entries", "["+pvE1+","+pvE2+"]", "state", `"closed"`, "title", `"Closed questions"`)},
		{"qa by time: newest first, pinned before", pvQATime, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [` + pvE3 + `, {"id": "e1", "pinned": true}]}`,
			withList(pvQATime, "entries", `[{"id": "e1", "text": "first", "votes": 3, "status": "visible", "pinned": true, "createdAt": "2026-01-01T10:00:00Z"},`+pvE3+","+pvE2+"]")},
		{"qa: a board without entries gets its first", pvQAEmpty, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "upsert": [` + pvE1 + `]}`,
			withList(pvQAEmpty, "entries", "["+pvE1+"]")},
		{"qa: a board without entries stays without", pvQAEmpty, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "base": 5, "set": {"state": "closed"}}`,
			`{"id": "q1", "kind": "qa", "title": "Questions", "state": "closed", "sort": "votes"}`},
		{"a patch on another offset does not apply", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 7, "base": 6, "upsert": [` + pvE3 + `]}`,
			"null"},
		{"a patch older than the view held does not apply", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 5, "base": 4, "upsert": [` + pvE3 + `]}`,
			"null"},
		{"a patch of another activity does not apply", pvQA, 5,
			`{"type": "patch", "activity": "q2", "offset": 6, "base": 5, "upsert": [` + pvE3 + `]}`,
			"null"},
		{"a patch without a base does not apply", pvQA, 5,
			`{"type": "patch", "activity": "q1", "offset": 6, "upsert": [` + pvE3 + `]}`,
			"null"},
		{"a poll has no patchable list", pvPoll, 5,
			`{"type": "patch", "activity": "p1", "offset": 6, "base": 5, "set": {"voters": 2}}`,
			"null"},
		{"words: a count that grows moves the word up, set changes the entries", pvCloud, 5,
			`{"type": "patch", "activity": "w1", "offset": 6, "base": 5, "set": {"entries": 7}, "upsert": [{"key": "coffee", "count": 4}]}`,
			withList(pvCloud, "words", `[{"key": "coffee", "text": "coffee", "count": 4}, {"key": "tea", "text": "Tea", "count": 3}]`, "entries", "7")},
		{"words: equal counts keep the earliest first, a new word after", pvCloud, 5,
			`{"type": "patch", "activity": "w1", "offset": 6, "base": 5, "upsert": [{"key": "water", "text": "water", "count": 2}, {"key": "tea", "count": 2}]}`,
			withList(pvCloud, "words", `[{"key": "tea", "text": "Tea", "count": 2}, {"key": "coffee", "text": "coffee", "count": 2}, {"key": "water", "text": "water", "count": 2}]`)},
		{"words: the displayed text changes under the same key", pvCloud, 5,
			`{"type": "patch", "activity": "w1", "offset": 6, "base": 5, "upsert": [{"key": "tea", "text": "TEA"}]}`,
			withList(pvCloud, "words", `[{"key": "tea", "text": "TEA", "count": 3}, {"key": "coffee", "text": "coffee", "count": 2}]`)},
		{"words: a removed key leaves", pvCloud, 5,
			`{"type": "patch", "activity": "w1", "offset": 6, "base": 5, "remove": ["tea"]}`,
			withList(pvCloud, "words", `[{"key": "coffee", "text": "coffee", "count": 2}]`)},
		{"queue: a new hand in the order set gives, and order is not a view field", pvQueue, 5,
			`{"type": "patch", "activity": "k1", "offset": 6, "base": 5, "set": {"order": ["h3", "h1", "h2"], "waitingCount": 3}, "upsert": [` + pvH3 + `]}`,
			withList(pvQueue, "waiting", "["+pvH3+","+pvH1+","+pvH2+"]", "waitingCount", "3")},
		{"queue: the floor given, the hand leaves the waiting list", pvQueue, 5,
			`{"type": "patch", "activity": "k1", "offset": 6, "base": 5, "set": {"order": ["h2"], "waitingCount": 1, "speaking": {"hand": "h1", "name": "Ana", "paused": false}}, "remove": ["h1"]}`,
			withList(pvQueue, "waiting", "["+pvH2+"]", "waitingCount", "1", "speaking", `{"hand": "h1", "name": "Ana", "paused": false}`)},
		{"queue: a move is an order only", pvQueue, 5,
			`{"type": "patch", "activity": "k1", "offset": 6, "base": 5, "set": {"order": ["h2", "h1"]}}`,
			withList(pvQueue, "waiting", "["+pvH2+","+pvH1+"]")},
		{"queue: without an order the list keeps its order, a new hand last", pvQueue, 5,
			`{"type": "patch", "activity": "k1", "offset": 6, "base": 5, "upsert": [` + pvH3 + `, {"hand": "h1", "name": "Ana B."}]}`,
			withList(pvQueue, "waiting", `[{"hand": "h1", "name": "Ana B.", "constituency": "", "kind": "speak", "raisedAt": "2026-01-01T10:00:00.000Z"},`+pvH2+","+pvH3+"]")},
		{"queue: the floor freed sets speaking to null", withList(pvQueue, "waiting", "[]", "speaking", `{"hand": "h0", "name": "Zoe"}`), 5,
			`{"type": "patch", "activity": "k1", "offset": 6, "base": 5, "set": {"speaking": null}}`,
			withList(pvQueue, "waiting", "[]", "speaking", "null")},
	}
}

func decodeJS(t *testing.T, what, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v: %s", what, err, s)
	}
	return v
}

// patchPage opens a page of the server, whose origin serves the modules.
func patchPage(t *testing.T) *Tab {
	t.Helper()
	srv := startServer(t)
	tab := newTab(t, "patch module", PhoneWidth, PhoneHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	return tab
}

// TestPatchApply runs patch.js's applyPatch on table cases in Chromium and
// compares each result to the whole view expected; the view given is never
// changed.
func TestPatchApply(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	tab := patchPage(t)
	cases := patchCases()
	type input struct {
		View  json.RawMessage `json:"view"`
		Patch json.RawMessage `json:"patch"`
		Held  int             `json:"held"`
	}
	var in []input
	for _, c := range cases {
		in = append(in, input{json.RawMessage(c.view), json.RawMessage(c.patch), c.held})
	}
	b, err := json.Marshal(in)
	must(t, err)
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`import("/static/js/patch.js").then(m => JSON.stringify(`+string(b)+`.map(c => {
		const before = JSON.stringify(c.view);
		const out = m.applyPatch(c.view, c.patch, c.held);
		return {out, unchanged: JSON.stringify(c.view) === before};
	})))`, chromedp.EvalAwaitPromise))
	must(t, err)
	var got []struct {
		Out       json.RawMessage `json:"out"`
		Unchanged bool            `json:"unchanged"`
	}
	must(t, json.Unmarshal([]byte(raw), &got))
	if len(got) != len(cases) {
		t.Fatalf("%d results for %d cases", len(got), len(cases))
	}
	for i, c := range cases {
		want := decodeJS(t, c.name+" (want)", c.want)
		have := decodeJS(t, c.name+" (got)", string(got[i].Out))
		if !reflect.DeepEqual(have, want) {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got[i].Out, mustJSON(want))
		}
		if !got[i].Unchanged {
			t.Errorf("%s: applyPatch changed the view it was given", c.name)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPatchViews: the holder of a connection's views notes whole views from
// welcome, session and activity messages, applies patches in a chain, and
// drops a view whose patch did not fit until a whole one comes.
func TestPatchViews(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	tab := patchPage(t)
	script := `import("/static/js/patch.js").then(m => {
		const v = new m.Views();
		const qa = ` + pvQA + `;
		const out = [];
		v.take({type: "welcome", offset: 10, view: {activities: [qa]}});
		// The chain: 10 -> 11 -> 12.
		out.push(v.patch({type: "patch", activity: "q1", offset: 11, base: 10, upsert: [` + pvE3 + `]}));
		out.push(v.patch({type: "patch", activity: "q1", offset: 12, base: 11, remove: ["e2"]}));
		// A session message that carries the same view keeps offset 12.
		v.take({type: "session", offset: 13, view: {activities: [JSON.parse(JSON.stringify(out[1]))]}});
		out.push(v.patch({type: "patch", activity: "q1", offset: 14, base: 12, set: {title: "T"}}));
		// One with another view of it holds it at its own offset.
		v.take({type: "session", offset: 15, view: {activities: [qa]}});
		out.push(v.patch({type: "patch", activity: "q1", offset: 16, base: 14, set: {title: "U"}}));
		// Dropped: even the right base does not apply until a whole view.
		out.push(v.patch({type: "patch", activity: "q1", offset: 16, base: 15, set: {title: "U"}}));
		v.take({type: "activity", offset: 20, activity: qa});
		out.push(v.patch({type: "patch", activity: "q1", offset: 21, base: 20, set: {title: "V"}}));
		// Unknown activity.
		out.push(v.patch({type: "patch", activity: "zz", offset: 22, base: 21}));
		// A welcome starts over.
		v.reset();
		out.push(v.patch({type: "patch", activity: "q1", offset: 22, base: 21, set: {title: "W"}}));
		return JSON.stringify(out);
	})`
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	must(t, err)
	got := decodeJS(t, "views", raw).([]any)
	want := []string{
		withList(pvQA, "entries", "["+pvE1+","+pvE2+","+pvE3+"]"),
		withList(pvQA, "entries", "["+pvE1+","+pvE3+"]"),
		withList(pvQA, "entries", "["+pvE1+","+pvE3+"]", "title", `"T"`),
		"null",
		"null",
		withList(pvQA, "entries", "["+pvE1+","+pvE2+"]", "title", `"V"`),
		"null",
		"null",
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %s", len(got), len(want), raw)
	}
	for i, w := range want {
		if !reflect.DeepEqual(got[i], decodeJS(t, "want", w)) {
			t.Errorf("step %d: got %s, want %s", i, mustJSON(got[i]), w)
		}
	}
}

// TestConnPatches drives conn.js over a stand-in WebSocket in the page: by
// default hello says "patches": false; with patches on, a patch reaches
// the page as a whole activity message, and one that does not fit is
// answered with a single resync until the whole view comes.
func TestConnPatches(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	tab := patchPage(t)
	script := `(async () => {
		const sockets = [];
		class FakeSocket {
			constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this);
				setTimeout(() => { this.readyState = 1; this.onopen && this.onopen({}); }, 0); }
			send(s) { this.sent.push(JSON.parse(s)); }
			close() { this.readyState = 3; }
			push(m) { this.onmessage && this.onmessage({data: JSON.stringify(m)}); }
		}
		FakeSocket.OPEN = 1;
		window.WebSocket = FakeSocket;
		const m = await import("/static/js/conn.js");
		const tick = () => new Promise(r => setTimeout(r, 10));
		const out = {PATCHES: m.PATCHES};

		const plain = m.connect({token: "t0"});
		await tick();
		out.plainHello = sockets[0].sent[0];
		plain.close();

		const got = [];
		const c = m.connect({token: "t1", patches: true, onMessage: (msg) => got.push(msg)});
		await tick();
		const s = sockets[1];
		out.hello = s.sent[0];
		const qa = ` + pvQA + `;
		s.push({type: "welcome", role: "attendee", offset: 10, view: {id: "s", activities: [qa]}});
		s.push({type: "patch", activity: "q1", offset: 11, base: 10, upsert: [` + pvE3 + `]});
		s.push({type: "patch", activity: "q1", offset: 13, base: 12, remove: ["e1"]});
		s.push({type: "patch", activity: "q1", offset: 14, base: 13, remove: ["e2"]});
		out.sentAfterMismatch = s.sent.slice(1);
		s.push({type: "activity", offset: 14, activity: qa});
		s.push({type: "patch", activity: "q1", offset: 15, base: 14, set: {title: "T"}});
		s.push({type: "patch", activity: "q1", offset: 16, base: 99});
		out.sentAtEnd = s.sent.slice(1);
		out.got = got;
		c.close();
		return JSON.stringify(out);
	})()`
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	must(t, err)
	var out struct {
		PATCHES           bool
		PlainHello        map[string]any   `json:"plainHello"`
		Hello             map[string]any   `json:"hello"`
		SentAfterMismatch []map[string]any `json:"sentAfterMismatch"`
		SentAtEnd         []map[string]any `json:"sentAtEnd"`
		Got               []json.RawMessage
	}
	must(t, json.Unmarshal([]byte(raw), &out))
	if !out.PATCHES {
		t.Error("conn.js has PATCHES off; the pages apply patches and the server sends them")
	}
	if out.PlainHello["type"] != "hello" || out.PlainHello["patches"] != true {
		t.Errorf("a page's hello is %v; want patches true", out.PlainHello)
	}
	if out.Hello["patches"] != true {
		t.Errorf("hello with patches on is %v", out.Hello)
	}
	resync := map[string]any{"type": "resync", "activity": "q1"}
	if len(out.SentAfterMismatch) != 1 || !reflect.DeepEqual(out.SentAfterMismatch[0], resync) {
		t.Errorf("after two patches that do not fit the page sent %v; want one resync", out.SentAfterMismatch)
	}
	if len(out.SentAtEnd) != 2 || !reflect.DeepEqual(out.SentAtEnd[1], resync) {
		t.Errorf("after the whole view and another patch that does not fit the page sent %v; want a second resync", out.SentAtEnd)
	}
	want := []string{
		`{"type": "activity", "offset": 11, "activity": ` + withList(pvQA, "entries", "["+pvE1+","+pvE2+","+pvE3+"]") + `}`,
		`{"type": "activity", "offset": 14, "activity": ` + pvQA + `}`,
		`{"type": "activity", "offset": 15, "activity": ` + withList(pvQA, "entries", "["+pvE1+","+pvE2+"]", "title", `"T"`) + `}`,
	}
	if len(out.Got) != len(want) {
		t.Fatalf("the page got %d messages, want %d: %s", len(out.Got), len(want), out.Got)
	}
	for i, w := range want {
		if !reflect.DeepEqual(decodeJS(t, "got", string(out.Got[i])), decodeJS(t, "want", w)) {
			t.Errorf("message %d: got %s, want %s", i, out.Got[i], w)
		}
	}
}
