package web

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/townhall/townhall/hub/patch"
)

// patchedViews replays what a client received, as a page that applies
// patches does: whole views from welcome, session and activity messages,
// patches on the view at their base. It returns each activity's view, the
// number of patches applied and the patches whose base the client did not
// hold (each one a resync a page would have to ask for).
func patchedViews(t *testing.T, c *client) (views map[string]*patch.View, applied int, missed []string) {
	t.Helper()
	c.mu.Lock()
	raw := append([][]byte(nil), c.raw...)
	c.mu.Unlock()
	views = map[string]*patch.View{}
	held := map[string]uint64{}
	whole := func(a json.RawMessage, off uint64) {
		v, err := patch.Parse(a)
		if err != nil {
			t.Fatalf("a view that does not parse: %v", err)
		}
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(a, &id)
		views[id.ID], held[id.ID] = v, off
	}
	for _, b := range raw {
		var m struct {
			Type     string          `json:"type"`
			Offset   uint64          `json:"offset"`
			Base     uint64          `json:"base"`
			Activity json.RawMessage `json:"activity"`
			View     struct {
				Activities []json.RawMessage `json:"activities"`
			} `json:"view"`
			patch.Patch
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		switch m.Type {
		case "welcome", "session":
			for _, a := range m.View.Activities {
				whole(a, m.Offset)
			}
		case "activity":
			whole(m.Activity, m.Offset)
		case "patch":
			var id string
			json.Unmarshal(m.Activity, &id)
			v := views[id]
			if v == nil || held[id] != m.Base {
				missed = append(missed, fmt.Sprintf("%s base %d, held %d", id, m.Base, held[id]))
				continue
			}
			if err := patch.Apply(v, m.Patch); err != nil {
				t.Fatalf("applying %s: %v", b, err)
			}
			held[id] = m.Offset
			applied++
		}
	}
	return views, applied, missed
}

func viewJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Clients that say "patches": true receive patches and, applying them,
// hold what the export (the facilitator) and a new connection (attendees)
// hold; a client that does not say it never receives one.
func TestPatchedClientsConvergeOverWebsockets(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Patches")
	hello := func(token string, patches bool) *client {
		c := s.dial(t, nil)
		c.sendRaw(map[string]any{"type": "hello", "token": token, "since": 0, "patches": patches})
		c.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
		return c
	}
	fac := hello(sess.FacilitatorKey, true)
	mk := func(spec map[string]any) string {
		ack := fac.cmd("activity.create", map[string]any{"activity": spec})
		id, _ := ack["activity"].(string)
		if id == "" {
			t.Fatalf("create: %v", ack)
		}
		fac.cmd("activity.open", map[string]any{"activity": id})
		return id
	}
	qa := mk(map[string]any{"kind": "qa", "title": "Questions"})
	cloud := mk(map[string]any{"kind": "wordcloud", "title": "Words", "maxEntries": 5, "moderation": "show"})
	fac.cmd("activity.reveal", map[string]any{"activity": cloud, "attendees": true, "display": true})
	display := hello(sess.DisplayKey, true)
	var phones []*client
	for i := range 6 {
		phones = append(phones, hello(s.join(t, sess.Code), i == 0))
	}
	watcher, plain := phones[0], phones[1]

	fac.cmd("activity.present", map[string]any{"activity": qa})
	var entries []string
	for i, p := range phones {
		for j := range 3 {
			ack := p.cmd("qa.ask", map[string]any{"activity": qa, "text": fmt.Sprintf("Question %d.%d", i, j)})
			if e, _ := ack["entry"].(string); e != "" {
				entries = append(entries, e)
			}
		}
	}
	fac.cmd("activity.present", map[string]any{"activity": cloud})
	words := []string{"river", "River", "bridge", "lantern", "RIVER", "bridge", "harbor"}
	for i, p := range phones {
		for j := range 4 {
			p.cmd("word.submit", map[string]any{"activity": cloud, "text": words[(i+j)%len(words)]})
		}
	}
	fac.cmd("activity.present", map[string]any{"activity": qa})
	fac.cmd("word.hide", map[string]any{"activity": cloud, "text": "lantern"})
	// The last changes of the board come as patches: their order is the
	// client's to make.
	for i, p := range phones {
		for j := range 8 {
			if ack := p.cmd("qa.upvote", map[string]any{"activity": qa, "entry": entries[(i*5+j*3)%len(entries)]}); ack["type"] != "ack" {
				t.Fatalf("upvote: %v", ack)
			}
		}
	}
	fac.cmd("qa.moderate", map[string]any{"activity": qa, "entry": entries[4], "action": "pin"})
	fac.cmd("qa.moderate", map[string]any{"activity": qa, "entry": entries[1], "action": "hide"})

	exp := s.exported(t, sess)
	want := map[string][]byte{}
	for _, a := range exp["activities"].([]any) {
		am := a.(map[string]any)
		want[am["id"].(string)] = viewJSON(t, am)
	}
	// The export's word cloud lists every word; the facilitator's view the
	// top 100, which here is every word too.
	converged := func(c *client, ids []string, wantOf func(id string) []byte) bool {
		views, _, _ := patchedViews(t, c)
		for _, id := range ids {
			v := views[id]
			if v == nil || !patch.Equal(v.Marshal(), wantOf(id)) {
				return false
			}
		}
		return true
	}
	eventually(t, "the facilitator's patched views equal the export", func() bool {
		return converged(fac, []string{qa, cloud}, func(id string) []byte { return want[id] })
	})
	// What a phone and the display hold is what a new connection of theirs
	// is welcomed with.
	for _, tc := range []struct {
		name  string
		c     *client
		token string
	}{{"phone", watcher, ""}, {"display", display, sess.DisplayKey}} {
		token := tc.token
		if token == "" {
			token = s.join(t, sess.Code)
		}
		fresh := s.connect(t, token)
		welcome := fresh.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
		eventually(t, "the "+tc.name+"'s patched board equals a new connection's", func() bool {
			return converged(tc.c, []string{qa}, func(id string) []byte { return viewJSON(t, activityOf(welcome, id)) })
		})
	}
	for name, c := range map[string]*client{"facilitator": fac, "display": display, "phone": watcher} {
		_, applied, missed := patchedViews(t, c)
		if applied == 0 {
			t.Errorf("the %s applied no patch", name)
		}
		if len(missed) > 0 {
			t.Errorf("the %s was sent patches on a base it did not hold: %v", name, missed)
		}
	}
	if n := plain.count(func(m map[string]any) bool { return m["type"] == "patch" }); n != 0 {
		t.Errorf("a phone without patches received %d of them", n)
	}

	// resync: the whole view comes on the next tick; bad ones are refused.
	mark := func(c *client) int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.msgs) }
	from := mark(watcher)
	watcher.sendRaw(map[string]any{"type": "resync", "activity": qa})
	watcher.waitFrom(from, "the whole view after a resync", func(m map[string]any) bool {
		return m["type"] == "activity" && activityOf(m, qa) != nil
	})
	for _, bad := range []struct {
		msg  map[string]any
		code string
	}{
		{map[string]any{"type": "resync"}, "bad_request"},
		{map[string]any{"type": "resync", "activity": "nope"}, "not_found"},
		{map[string]any{"type": "resync", "activity": cloud}, "not_found"}, // not on a phone's screen
	} {
		from := mark(watcher)
		watcher.sendRaw(bad.msg)
		got := watcher.waitFrom(from, "the refusal", func(m map[string]any) bool { return m["type"] == "error" })
		if got["code"] != bad.code {
			t.Errorf("%v: %v, want %s", bad.msg, got, bad.code)
		}
	}
}
