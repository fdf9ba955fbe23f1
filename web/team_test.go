package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/townhall/townhall/hub"
)

// The create answer carries a moderator key and link; the links answer
// to a moderator gives it the join, display and moderator links and its
// rights, never the facilitator's key; the moderator key opens the
// console's page but nothing of the facilitator's HTTP.
func TestModeratorKeyAndLinks(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	st, created, _ := s.post(t, "/api/sessions", map[string]string{"title": "Team"})
	if st != http.StatusCreated {
		t.Fatal(st, created)
	}
	id, fkey := created["id"].(string), created["facilitatorKey"].(string)
	mkey, _ := created["moderatorKey"].(string)
	links := created["links"].(map[string]any)
	if mkey == "" || mkey == fkey || links["moderate"] != s.URL+"/moderate/"+id+"#"+mkey {
		t.Fatalf("create answer: moderatorKey %q, links %v", mkey, links)
	}

	st, body := s.get(t, "/api/sessions/"+id+"/links", mkey)
	var got map[string]any
	json.Unmarshal(body, &got)
	gl, _ := got["links"].(map[string]any)
	if st != 200 || got["role"] != "moderator" || got["facilitatorKey"] != nil || gl["host"] != nil ||
		gl["join"] != links["join"] || gl["show"] != links["show"] || gl["moderate"] != links["moderate"] {
		t.Fatalf("links for the moderator: %d %s", st, body)
	}
	if may, _ := json.Marshal(got["may"]); !strings.Contains(string(may), `"queue.*"`) || strings.Contains(string(may), `"*"`) {
		t.Fatalf("a moderator's rights: %s", may)
	}
	st, body = s.get(t, "/api/sessions/"+id+"/links", fkey)
	json.Unmarshal(body, &got)
	if st != 200 || got["role"] != "facilitator" || got["facilitatorKey"] != fkey {
		t.Fatalf("links for the facilitator: %d %s", st, body)
	}

	for _, path := range []string{"/api/sessions/" + id + "/export", "/api/sessions/" + id + "/plan"} {
		if st, _ := s.get(t, path, mkey); st != http.StatusUnauthorized {
			t.Fatalf("GET %s with the moderator key: %d", path, st)
		}
	}
	if st, _, _ := s.send(t, "DELETE", "/api/sessions/"+id, "", "", "Authorization", "Bearer "+mkey); st != http.StatusUnauthorized {
		t.Fatalf("DELETE with the moderator key: %d", st)
	}
	if st, page := s.get(t, "/moderate/"+id, ""); st != 200 || !strings.Contains(string(page), "host.js") {
		t.Fatalf("the moderator's page: %d", st)
	}

	mod := s.connect(t, mkey)
	w := mod.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	if w["role"] != "moderator" {
		t.Fatalf("a moderator's welcome: %v", w)
	}
}

// A session made from a plan has the plan's activities, each a draft
// with the spec it was given; a plan with an activity the session would
// refuse is refused whole, naming its index, and creates nothing.
func TestCreateFromPlan(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	plan := map[string]any{"title": "Monthly", "activities": []any{
		map[string]any{"kind": "poll", "title": "Lunch?", "options": []string{"Yes", "No"}},
		map[string]any{"kind": "qa", "title": "Questions", "moderated": true},
		map[string]any{"kind": "queue", "title": "Floor", "speakingSeconds": 90},
	}}
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"plan": plan})
	if st != http.StatusCreated || out["title"] != "Monthly" {
		t.Fatalf("create from a plan: %d %v", st, out)
	}
	sess := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
	x := s.exported(t, sess)
	acts := x["activities"].([]any)
	if len(acts) != 3 {
		t.Fatalf("activities: %v", acts)
	}
	for i, want := range []string{"Lunch?", "Questions", "Floor"} {
		a := acts[i].(map[string]any)
		if a["title"] != want || a["state"] != "draft" {
			t.Fatalf("activity %d: %v", i, a)
		}
	}
	if q := acts[1].(map[string]any); q["moderated"] != true {
		t.Fatalf("the Q&A lost its spec: %v", q)
	}

	// A title beside the plan names the new session.
	st, out, _ = s.post(t, "/api/sessions", map[string]any{"title": "June", "plan": plan})
	if st != http.StatusCreated || out["title"] != "June" {
		t.Fatalf("a named create from a plan: %d %v", st, out)
	}

	before := s.sessionCount(t)
	bad := map[string]any{"title": "Broken", "activities": []any{
		map[string]any{"kind": "qa", "title": "Fine"},
		map[string]any{"kind": "poll", "title": "One option", "options": []string{"Only"}},
	}}
	st, out, _ = s.post(t, "/api/sessions", map[string]any{"plan": bad})
	msg, _ := out["error"].(map[string]any)["message"].(string)
	if st != http.StatusBadRequest || errCode(out) != "bad_request" || !strings.Contains(msg, "activity 1") {
		t.Fatalf("a plan with a bad activity: %d %v", st, out)
	}
	unknown := map[string]any{"title": "Unknown", "activities": []any{map[string]any{"kind": "nope", "title": "?"}}}
	if st, out, _ = s.post(t, "/api/sessions", map[string]any{"plan": unknown}); st != http.StatusBadRequest ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "activity 0") {
		t.Fatalf("a plan with an unknown kind: %d %v", st, out)
	}
	if after := s.sessionCount(t); after != before {
		t.Fatalf("refused plans stored sessions: %d before, %d after", before, after)
	}
}

// A plan past the session's cap of activities is refused whole.
func TestPlanPastTheActivityCap(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(_ *Config, h *hub.Config) { h.Limits.Activities = 2 })
	var acts []any
	for range 3 {
		acts = append(acts, map[string]any{"kind": "qa", "title": "Q"})
	}
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"plan": map[string]any{"title": "Big", "activities": acts}})
	if st != http.StatusBadRequest || !strings.Contains(out["error"].(map[string]any)["message"].(string), "activity 2") {
		t.Fatalf("a plan past the cap: %d %v", st, out)
	}
	if n := s.sessionCount(t); n != 0 {
		t.Fatalf("%d sessions stored", n)
	}
}

// sessionCount is how many sessions the store holds.
func (s *testServer) sessionCount(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	if err := s.store.Sessions(ctx, func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Over real websockets: a moderator sees the facilitator's board (drafts,
// questions waiting), approves a question that the host's console and the
// phones then see, and is refused what is the facilitator's, with nothing
// changed.
func TestModeratorOverTheWire(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": "Team"})
	if st != http.StatusCreated {
		t.Fatal(st, out)
	}
	id, code, fkey, mkey := out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["moderatorKey"].(string)
	host := s.connect(t, fkey)
	draft := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Later", "options": []string{"a", "b"}}})["activity"]
	qa := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Q", "moderated": true}})["activity"]
	host.cmd("activity.present", map[string]any{"activity": qa})
	host.cmd("activity.open", map[string]any{"activity": qa})
	phone := s.connect(t, s.join(t, code))
	entry := phone.cmd("qa.ask", map[string]any{"activity": qa, "text": "Why?"})["entry"]

	mod := s.connect(t, mkey)
	w := mod.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	if activityOf(w, draft.(string)) == nil {
		t.Fatalf("the moderator does not see the draft: %v", w)
	}
	status := func(c *client) func() bool {
		return func() bool {
			m := c.latest(func(m map[string]any) bool { return activityOf(m, qa.(string)) != nil })
			if m == nil {
				return false
			}
			for _, e := range activityOf(m, qa.(string))["entries"].([]any) {
				if e := e.(map[string]any); e["id"] == entry && e["status"] == "visible" {
					return true
				}
			}
			return false
		}
	}
	if status(host)() {
		t.Fatal("approved before the moderator approved it")
	}
	if a := mod.cmd("qa.moderate", map[string]any{"activity": qa, "entry": entry, "action": "approve"}); a["type"] != "ack" {
		t.Fatalf("the moderator's approval: %v", a)
	}
	eventually(t, "the host sees the approval", status(host))
	eventually(t, "the moderator sees it", status(mod))

	for _, c := range []struct {
		op   string
		args map[string]any
	}{
		{"activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Mine"}}},
		{"activity.close", map[string]any{"activity": qa}},
		{"activity.delete", map[string]any{"activity": draft}},
		{"session.end", nil},
	} {
		e := mod.cmd(c.op, c.args)
		if e["type"] != "error" || e["code"] != "forbidden" || e["reason"] != "team_role" {
			t.Fatalf("a moderator's %s: %v", c.op, e)
		}
	}
	x := s.exported(t, created{id, code, fkey, ""})
	if n := len(x["activities"].([]any)); n != 2 || x["state"] != "live" {
		t.Fatalf("refused commands changed the session: %v", x)
	}
	if a := activityOf(map[string]any{"view": x}, qa.(string)); a["state"] != "open" {
		t.Fatalf("the Q&A after a refused close: %v", a)
	}
}

// A plan saved from one session makes the next: the same settings and
// specs, every activity a draft, no answers.
func TestPlanRoundTrip(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": map[string]string{"en": "May", "fr": "Mai"},
		"languages": []string{"en", "fr"}, "constituencies": []string{"North", "South"}})
	if st != http.StatusCreated {
		t.Fatal(st, out)
	}
	sess := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
	host := s.connect(t, sess.FacilitatorKey)
	poll := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": map[string]string{"en": "Lunch?", "fr": "Déjeuner ?"},
		"options": []any{map[string]string{"en": "Yes", "fr": "Oui"}, "No"}, "multi": true, "maxChoices": 2}})["activity"]
	host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "queue", "title": "Floor", "speakingSeconds": 90}})
	gone := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Gone"}})["activity"]
	host.cmd("activity.present", map[string]any{"activity": poll})
	host.cmd("activity.open", map[string]any{"activity": poll})
	phone := s.connect(t, s.join(t, sess.Code))
	phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}})
	if a := host.cmd("activity.delete", map[string]any{"activity": gone}); a["type"] != "ack" {
		t.Fatal(a)
	}

	st, body := s.get(t, "/api/sessions/"+sess.ID+"/plan", sess.FacilitatorKey)
	if st != 200 {
		t.Fatalf("plan: %d %s", st, body)
	}
	var plan map[string]any
	json.Unmarshal(body, &plan)
	if fmt.Sprint(plan["title"]) != "map[en:May fr:Mai]" || !strings.Contains(string(body), `"Déjeuner ?"`) || len(plan["activities"].([]any)) != 2 || strings.Contains(string(body), "votes") ||
		strings.Contains(string(body), "Gone") || fmt.Sprint(plan["languages"]) != "[en fr]" || fmt.Sprint(plan["constituencies"]) != "[North South]" {
		t.Fatalf("the plan: %s", body)
	}
	st, out, _ = s.post(t, "/api/sessions", map[string]any{"plan": plan})
	if st != http.StatusCreated {
		t.Fatalf("create from the plan: %d %v", st, out)
	}
	next := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
	st, again := s.get(t, "/api/sessions/"+next.ID+"/plan", next.FacilitatorKey)
	if st != 200 || string(again) != string(body) {
		t.Fatalf("the next session's plan:\n%s\nwant\n%s", again, body)
	}
	x := s.exported(t, next)
	for _, a := range x["activities"].([]any) {
		if a := a.(map[string]any); a["state"] != "draft" || a["voters"] != nil && a["voters"] != float64(0) {
			t.Fatalf("an activity of the next session: %v", a)
		}
	}
	if st, _ := s.get(t, "/api/sessions/"+next.ID+"/plan", sess.FacilitatorKey); st != http.StatusUnauthorized {
		t.Fatalf("another session's key: %d", st)
	}
	if out["title"] != "May" {
		t.Fatalf("the title of a session from a translated plan: %v", out["title"])
	}
	for _, bad := range []map[string]any{
		{"title": "x", "languages": []string{"not a tag!"}},
		{"title": map[string]string{"de": "Mai"}, "languages": []string{"en"}},
		{"title": map[string]string{"en": "May"}},
		{"title": ""},
	} {
		if st, out, _ := s.post(t, "/api/sessions", bad); st != http.StatusBadRequest || errCode(out) != "bad_request" {
			t.Fatalf("%v: %d %v", bad, st, out)
		}
	}
}
