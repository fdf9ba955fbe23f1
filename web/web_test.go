package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/hub"
)

// pollSession creates a session with an open, presented poll.
func pollSession(t *testing.T, s *testServer, options ...string) (created, *client, string) {
	t.Helper()
	sess := s.create(t, "Town hall")
	host := s.connect(t, sess.FacilitatorKey)
	if len(options) == 0 {
		options = []string{"Yes", "No", "Abstain"}
	}
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Agree?", "options": options}})
	if ack["type"] != "ack" {
		t.Fatalf("activity.create: %v", ack)
	}
	id := ack["activity"].(string)
	for _, op := range []string{"activity.present", "activity.open"} {
		if a := host.cmd(op, map[string]any{"activity": id}); a["type"] != "ack" {
			t.Fatalf("%s: %v", op, a)
		}
	}
	return sess, host, id
}

func votesOf(a map[string]any) []int {
	var out []int
	for _, o := range a["options"].([]any) {
		v, ok := o.(map[string]any)["votes"].(float64)
		if !ok {
			return nil
		}
		out = append(out, int(v))
	}
	return out
}

func TestPollEndToEnd(t *testing.T) {
	s := newTestServer(t, nil)
	sess, host, poll := pollSession(t, s)
	display := s.connect(t, sess.DisplayKey)

	const phones = 120
	var wg sync.WaitGroup
	attendees := make([]*client, phones)
	for i := range attendees {
		attendees[i] = s.connect(t, s.join(t, sess.Code))
	}
	for i, a := range attendees {
		wg.Add(1)
		go func(i int, a *client) {
			defer wg.Done()
			if ack := a.cmd("vote", map[string]any{"activity": poll, "choices": []int{i % 3}}); ack["type"] != "ack" {
				t.Errorf("vote %d: %v", i, ack)
			}
		}(i, a)
	}
	wg.Wait()
	want := []int{40, 40, 40}
	display.waitFor("display counts", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && fmt.Sprint(votesOf(a)) == fmt.Sprint(want) && a["voters"] == float64(phones)
	})
	host.waitFor("host counts", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && fmt.Sprint(votesOf(a)) == fmt.Sprint(want)
	})

	// Attendees see no counts until the facilitator reveals them.
	a0 := attendees[0]
	if a := activityOf(a0.latest(func(m map[string]any) bool { return activityOf(m, poll) != nil }), poll); a == nil || votesOf(a) != nil || a["voters"] != nil {
		t.Fatalf("attendee saw counts before reveal: %v", a)
	}
	a0.waitFor("own vote", func(m map[string]any) bool {
		return m["type"] == "you" && m["activity"] == poll && fmt.Sprint(m["choices"]) == "[0]"
	})
	host.cmd("activity.reveal", map[string]any{"activity": poll, "attendees": true, "display": true})
	a0.waitFor("revealed counts", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && fmt.Sprint(votesOf(a)) == fmt.Sprint(want)
	})

	// A new vote replaces the earlier one.
	if ack := a0.cmd("vote", map[string]any{"activity": poll, "choices": []int{2}}); ack["type"] != "ack" {
		t.Fatal(ack)
	}
	display.waitFor("changed vote", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && fmt.Sprint(votesOf(a)) == "[39 40 41]"
	})

	// Offsets never go down on a connection.
	for _, c := range []*client{host, display, a0} {
		var last float64
		c.mu.Lock()
		for _, m := range c.msgs {
			if off, ok := m["offset"].(float64); ok {
				if off < last {
					t.Errorf("offset went from %v to %v", last, off)
				}
				last = off
			}
		}
		c.mu.Unlock()
	}

	// The export has every vote, in JSON and in CSV.
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	if st != http.StatusOK {
		t.Fatalf("export: %d %s", st, body)
	}
	var x struct {
		Participants int              `json:"participants"`
		Offset       uint64           `json:"offset"`
		Activities   []map[string]any `json:"activities"`
	}
	json.Unmarshal(body, &x)
	if x.Participants != phones || fmt.Sprint(votesOf(x.Activities[0])) != "[39 40 41]" || x.Activities[0]["voters"] != float64(phones) {
		t.Fatalf("export: participants %d, activities %v", x.Participants, x.Activities)
	}
	st, body = s.get(t, "/api/sessions/"+sess.ID+"/export?format=csv", sess.FacilitatorKey)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if st != http.StatusOK || err != nil || len(rows) != 4 || rows[3][3] != "Abstain" || rows[3][4] != "41" || rows[3][6] != "120" {
		t.Fatalf("csv export: %d %v %q", st, err, rows)
	}
	if st, _ := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.DisplayKey); st != http.StatusUnauthorized {
		t.Fatalf("export with the display key: %d, want 401", st)
	}
	if st, _ := s.get(t, "/api/sessions/"+sess.ID+"/export", ""); st != http.StatusUnauthorized {
		t.Fatalf("export without a key: %d, want 401", st)
	}
}

func TestMultipleChoice(t *testing.T) {
	s := newTestServer(t, nil)
	sess := s.create(t, "Priorities")
	host := s.connect(t, sess.FacilitatorKey)
	poll := host.cmd("activity.create", map[string]any{"activity": map[string]any{
		"kind": "poll", "title": "Pick two", "options": []string{"Housing", "Transport", "Water", "Parks"}, "multi": true, "maxChoices": 2,
	}})["activity"].(string)
	host.cmd("activity.open", map[string]any{"activity": poll})
	host.cmd("activity.present", map[string]any{"activity": poll})
	a := s.connect(t, s.join(t, sess.Code))
	if e := a.cmd("vote", map[string]any{"activity": poll, "choices": []int{0, 1, 2}}); e["code"] != "invalid_choice" {
		t.Fatalf("three choices of two: %v", e)
	}
	if e := a.cmd("vote", map[string]any{"activity": poll, "choices": []int{1, 1}}); e["code"] != "invalid_choice" {
		t.Fatalf("the same choice twice: %v", e)
	}
	if e := a.cmd("vote", map[string]any{"activity": poll, "choices": []int{0, 3}}); e["type"] != "ack" {
		t.Fatalf("two choices: %v", e)
	}
	host.waitFor("counts", func(m map[string]any) bool {
		x := activityOf(m, poll)
		return x != nil && fmt.Sprint(votesOf(x)) == "[1 0 0 1]" && x["voters"] == float64(1)
	})
}

// TestBadInput sends every kind of bad input and checks that each gets its
// error, changes nothing, and leaves the connection and the others working.
func TestBadInput(t *testing.T) {
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		w.HelloTimeout = 300 * time.Millisecond
	})
	sess, host, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	bystander := s.connect(t, s.join(t, sess.Code))
	display := s.connect(t, sess.DisplayKey)
	if ack := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{1}}); ack["type"] != "ack" {
		t.Fatal(ack)
	}
	offsetNow := func() float64 {
		st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
		if st != 200 {
			t.Fatalf("export: %d", st)
		}
		var x map[string]any
		json.Unmarshal(body, &x)
		return x["offset"].(float64)
	}
	before := offsetNow()

	cases := []struct {
		name string
		c    *client
		op   string
		args map[string]any
		code string
	}{
		{"attendee opens", phone, "activity.open", map[string]any{"activity": poll}, "forbidden"},
		{"attendee creates", phone, "activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "x", "options": []string{"a", "b"}}}, "forbidden"},
		{"display votes", display, "vote", map[string]any{"activity": poll, "choices": []int{0}}, "forbidden"},
		{"facilitator votes", host, "vote", map[string]any{"activity": poll, "choices": []int{0}}, "forbidden"},
		{"unknown op", phone, "launch.rocket", nil, "bad_request"},
		{"out of range", phone, "vote", map[string]any{"activity": poll, "choices": []int{7}}, "invalid_choice"},
		{"negative choice", phone, "vote", map[string]any{"activity": poll, "choices": []int{-1}}, "invalid_choice"},
		{"no choice", phone, "vote", map[string]any{"activity": poll, "choices": []int{}}, "invalid_choice"},
		{"two choices in a single poll", phone, "vote", map[string]any{"activity": poll, "choices": []int{0, 1}}, "invalid_choice"},
		{"unknown activity", phone, "vote", map[string]any{"activity": "a999", "choices": []int{0}}, "forbidden"},
		{"unknown activity, facilitator", host, "activity.open", map[string]any{"activity": "a999"}, "not_found"},
		{"activity of the wrong type", phone, "vote", map[string]any{"activity": map[string]any{"x": 1}, "choices": []int{0}}, "bad_request"},
		{"poll with one option", host, "activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "x", "options": []string{"a"}}}, "bad_request"},
		{"unknown kind", host, "activity.create", map[string]any{"activity": map[string]any{"kind": "karaoke", "title": "x"}}, "bad_request"},
	}
	for _, tc := range cases {
		got := tc.c.cmd(tc.op, tc.args)
		if got["type"] != "error" || got["code"] != tc.code || got["message"] == "" {
			t.Errorf("%s: got %v, want error %s", tc.name, got, tc.code)
		}
	}

	// Malformed JSON and unknown message types get bad_request, with the
	// connection still open.
	phone.sendRaw("{not json")
	phone.waitFor("malformed JSON error", func(m map[string]any) bool {
		return m["type"] == "error" && m["code"] == "bad_request" && m["id"] == nil
	})
	phone.sendRaw(map[string]any{"type": "shout", "id": "s1"})
	phone.waitFor("unknown type error", func(m map[string]any) bool { return m["type"] == "error" && m["id"] == "s1" })

	// A closed poll refuses votes.
	host.cmd("activity.close", map[string]any{"activity": poll})
	if e := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); e["code"] != "activity_closed" {
		t.Fatalf("vote on a closed poll: %v", e)
	}
	host.cmd("activity.open", map[string]any{"activity": poll})

	// Nothing above changed the session: only the close and open did.
	if after := offsetNow(); after != before+2 {
		t.Fatalf("offset went from %v to %v: bad input changed the log", before, after)
	}

	// A burst of commands is rate limited, and the connection survives.
	limited := 0
	for i := 0; i < 40; i++ {
		phone.sendRaw(map[string]any{"type": "cmd", "id": fmt.Sprint("burst-", i), "op": "vote", "activity": poll, "choices": []int{1}})
	}
	for i := 0; i < 40; i++ {
		m := phone.waitFor("burst answer", func(m map[string]any) bool { return m["id"] == fmt.Sprint("burst-", i) })
		if m["code"] == "rate_limited" {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("a burst of 40 commands was not rate limited")
	}
	eventually(t, "the limit to refill", func() bool {
		return phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{1}})["type"] == "ack"
	})

	// An oversized frame closes that connection with 1009, no other.
	big := s.connect(t, s.join(t, sess.Code))
	big.sendRaw(`{"type":"cmd","op":"vote","pad":"` + strings.Repeat("x", 9000) + `"}`)
	if st := big.waitClosed(); st != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: close %v, want 1009", st)
	}

	// A garbage token gets unauthorized and close 1008.
	bad := s.dial(t, nil)
	bad.sendRaw(map[string]any{"type": "hello", "token": "f.nope.nope"})
	bad.waitFor("unauthorized", func(m map[string]any) bool { return m["type"] == "error" && m["code"] == "unauthorized" })
	if st := bad.waitClosed(); st != websocket.StatusPolicyViolation {
		t.Fatalf("bad token: close %v, want 1008", st)
	}
	// A token signed with another secret is refused too.
	forged := tokens{[]byte("another secret")}.issue(Credentials{Role: "facilitator", Session: sess.ID})
	bad = s.dial(t, nil)
	bad.sendRaw(map[string]any{"type": "hello", "token": forged})
	if st := bad.waitClosed(); st != websocket.StatusPolicyViolation {
		t.Fatalf("forged token: close %v, want 1008", st)
	}
	// No hello in time: close 1008.
	silent := s.dial(t, nil)
	if st := silent.waitClosed(); st != websocket.StatusPolicyViolation {
		t.Fatalf("no hello: close %v, want 1008", st)
	}

	// Everyone else still works.
	if ack := bystander.cmd("vote", map[string]any{"activity": poll, "choices": []int{2}}); ack["type"] != "ack" {
		t.Fatalf("bystander after the bad input: %v", ack)
	}
	display.waitFor("bystander's vote", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && a["voters"] == float64(2)
	})
}

// TestRetriedCommandCountsOnce resends a vote with the same id, as a phone
// does after a reconnect, and checks it is answered alike and counted once.
func TestRetriedCommandCountsOnce(t *testing.T) {
	s := newTestServer(t, nil)
	sess, host, poll := pollSession(t, s)
	token := s.join(t, sess.Code)
	a := s.connect(t, token)
	first := a.cmdID("v-1", "vote", map[string]any{"activity": poll, "choices": []int{0}})
	a.ws.CloseNow()
	b := s.connect(t, token)
	again := b.cmdID("v-1", "vote", map[string]any{"activity": poll, "choices": []int{0}})
	if first["type"] != "ack" || fmt.Sprint(first) != fmt.Sprint(again) {
		t.Fatalf("first %v, retry %v", first, again)
	}
	// A refused command is answered alike too (an attendee acts only on
	// the presented activity).
	e1 := b.cmdID("q-1", "vote", map[string]any{"activity": "a404", "choices": []int{0}})
	e2 := b.cmdID("q-1", "vote", map[string]any{"activity": "a404", "choices": []int{0}})
	if e1["code"] != "forbidden" || fmt.Sprint(e1) != fmt.Sprint(e2) {
		t.Fatalf("first %v, retry %v", e1, e2)
	}
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	var x struct{ Activities []map[string]any }
	json.Unmarshal(body, &x)
	if st != 200 || x.Activities[0]["voters"] != float64(1) || fmt.Sprint(votesOf(x.Activities[0])) != "[1 0 0]" {
		t.Fatalf("export after a retry: %v", x.Activities)
	}
	_ = host
}

func TestJoinLimitsOnlyFailures(t *testing.T) {
	s := newTestServer(t, func(w *Config, _ *hub.Config) {
		w.JoinFailures, w.JoinFailureEvery = 5, time.Minute
		// The test plays a proxy on loopback to be another address.
		w.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	sess := s.create(t, "Hall")
	// A hall of phones behind one address joins freely.
	for i := 0; i < 200; i++ {
		s.join(t, sess.Code)
	}
	codes := []string{sess.Code[:4] + " " + sess.Code[4:], sess.Code[:4] + "-" + sess.Code[4:]}
	for _, c := range codes {
		s.join(t, c)
	}
	for i := 0; i < 5; i++ {
		if st, out, _ := s.post(t, "/api/join", map[string]string{"code": "0000000" + fmt.Sprint(i)}); st != http.StatusNotFound ||
			out["error"].(map[string]any)["code"] != "not_found" {
			t.Fatalf("unknown code: %d %v", st, out)
		}
	}
	st, out, h := s.post(t, "/api/join", map[string]string{"code": "00000009"})
	if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" || out["error"].(map[string]any)["code"] != "rate_limited" {
		t.Fatalf("after 5 failures: %d %v Retry-After=%q", st, out, h.Get("Retry-After"))
	}
	// Another address is not affected.
	if st, _, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code}, "X-Forwarded-For", "10.1.2.3"); st != http.StatusOK {
		t.Fatalf("other address: %d", st)
	}
}

func TestCreateTokenAndOrigins(t *testing.T) {
	s := newTestServer(t, func(w *Config, _ *hub.Config) {
		w.CreateToken = "let-me-in"
		w.AllowedOrigins = []string{"facilitation.example.org"}
	})
	if st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": "x"}); st != http.StatusUnauthorized ||
		out["error"].(map[string]any)["code"] != "unauthorized" {
		t.Fatalf("create without the token: %d %v", st, out)
	}
	if st, _, _ := s.post(t, "/api/sessions", map[string]string{"title": "x"}, "Authorization", "Bearer let-me-in"); st != http.StatusCreated {
		t.Fatalf("create with the token: %d", st)
	}
	if st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": ""}, "Authorization", "Bearer let-me-in"); st != http.StatusBadRequest ||
		out["error"].(map[string]any)["code"] != "bad_request" {
		t.Fatalf("empty title: %d %v", st, out)
	}
	url := "ws" + strings.TrimPrefix(s.URL, "http") + "/ws"
	for origin, ok := range map[string]bool{"http://evil.example.com": false, "https://facilitation.example.org": true, "": true} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		ws, res, err := websocket.Dial(t.Context(), url, &websocket.DialOptions{HTTPHeader: h})
		if ok != (err == nil) {
			t.Errorf("origin %q: err %v", origin, err)
		}
		if !ok && (res == nil || res.StatusCode != http.StatusForbidden) {
			t.Errorf("origin %q: want 403, got %v", origin, res)
		}
		if ws != nil {
			ws.CloseNow()
		}
	}
}

func TestPagesAndHealth(t *testing.T) {
	s := newTestServer(t, nil)
	sess := s.create(t, "Hall")
	for _, p := range []string{"/", "/j/" + sess.Code, "/host/", "/host/" + sess.ID, "/show/" + sess.ID, "/healthz", "/readyz", "/metrics"} {
		res, err := http.Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/qr.svg", "")
	if st != http.StatusOK || !strings.HasPrefix(string(body), "<svg") {
		t.Fatalf("qr: %d %.40s", st, body)
	}
	if st, body := s.get(t, "/api/sessions/nope/qr.svg", ""); st != http.StatusNotFound || !strings.Contains(string(body), `"not_found"`) {
		t.Fatalf("qr of an unknown session: %d %s", st, body)
	}
	if st, body := s.get(t, "/no/such/page", ""); st != http.StatusNotFound || !strings.Contains(string(body), `"code":"not_found"`) {
		t.Fatalf("unknown path: %d %s", st, body)
	}
}

// TestPushesAreCoalesced pours votes in at once: a display gets the
// latest state a few times a second, not one message per vote.
func TestPushesAreCoalesced(t *testing.T) {
	s := newTestServer(t, func(_ *Config, h *hub.Config) { h.LiveInterval = 200 * time.Millisecond })
	sess, _, poll := pollSession(t, s)
	display := s.connect(t, sess.DisplayKey)
	const voters = 80
	phones := make([]*client, voters)
	for i := range phones {
		phones[i] = s.connect(t, s.join(t, sess.Code))
	}
	from := display.count(func(map[string]any) bool { return true })
	var wg sync.WaitGroup
	for _, p := range phones {
		wg.Add(1)
		go func(p *client) {
			defer wg.Done()
			p.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}})
		}(p)
	}
	wg.Wait()
	display.waitFor("all votes", func(m map[string]any) bool {
		a := activityOf(m, poll)
		return a != nil && a["voters"] == float64(voters)
	})
	n := display.count(func(m map[string]any) bool { return m["type"] == "activity" })
	if n-from >= voters/2 {
		t.Fatalf("display got %d activity messages for %d votes: not coalesced", n-from, voters)
	}
}

// TestHubReloadsFromSnapshot closes an idle hub and opens the session again:
// the new replica starts from a snapshot and replays only the tail, and
// nothing acked is missing.
func TestHubReloadsFromSnapshot(t *testing.T) {
	s := newTestServer(t, func(_ *Config, h *hub.Config) {
		h.SnapshotEvery = 7
		h.IdleClose = 10 * time.Millisecond
	})
	sess, host, poll := pollSession(t, s)
	var phones []*client
	for i := 0; i < 20; i++ {
		p := s.connect(t, s.join(t, sess.Code))
		if ack := p.cmd("vote", map[string]any{"activity": poll, "choices": []int{i % 2}}); ack["type"] != "ack" {
			t.Fatal(ack)
		}
		phones = append(phones, p)
	}
	var snapOff uint64
	eventually(t, "a snapshot", func() bool {
		off, _, err := s.store.LoadSnapshot(t.Context(), sess.ID)
		snapOff = off
		// Snapshots space out as the state grows (hub.snapshotBytesPerEvent):
		// one after some of the votes, with more events after it to replay.
		return err == nil && off >= 20
	})
	host.ws.CloseNow()
	for _, p := range phones {
		p.ws.CloseNow()
	}
	h, release, err := s.hubs.Acquire(t.Context(), sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	release()
	eventually(t, "the idle hub to close", func() bool {
		h2, release, err := s.hubs.Acquire(t.Context(), sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		return h2 != h
	})
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	var x struct {
		Offset     uint64
		Activities []map[string]any
	}
	json.Unmarshal(body, &x)
	if st != 200 || x.Activities[0]["voters"] != float64(20) || fmt.Sprint(votesOf(x.Activities[0])) != "[10 10 0]" || x.Offset < snapOff {
		t.Fatalf("export after reload from the snapshot at %d: %s", snapOff, body)
	}
}

// TestJoinsReachDisplaysNotPhones: a hall joining updates the participant
// count on displays and consoles, and sends nothing to the phones already
// there (the protocol pushes a header for title, presented activity, end).
func TestJoinsReachDisplaysNotPhones(t *testing.T) {
	s := newTestServer(t, nil)
	sess, host, poll := pollSession(t, s)
	display := s.connect(t, sess.DisplayKey)
	phone := s.connect(t, s.join(t, sess.Code))
	header := func(presented string, participants float64) func(m map[string]any) bool {
		return func(m map[string]any) bool {
			v, _ := m["view"].(map[string]any)
			return m["type"] == "session" && v["presented"] == presented && (participants == 0 || v["participants"] == participants)
		}
	}
	// Every earlier change reaches the phone with this push.
	host.cmd("activity.present", map[string]any{"activity": ""})
	phone.waitFor("presenting nothing", header("", 1))
	for i := 0; i < 5; i++ {
		s.join(t, sess.Code)
	}
	display.waitFor("six participants on the display", header("", 6))
	// The phone's own data comes on the attendee tick, with everything
	// changed before it: a push for the joins would come with it. (An
	// attendee acts only on the presented activity.)
	host.cmd("activity.present", map[string]any{"activity": poll})
	phone.waitFor("presenting the poll", header(poll, 6))
	if ack := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); ack["type"] != "ack" {
		t.Fatal(ack)
	}
	phone.waitFor("its vote", func(m map[string]any) bool { return m["type"] == "you" && fmt.Sprint(m["choices"]) == "[0]" })
	if n := phone.count(func(m map[string]any) bool {
		v, _ := m["view"].(map[string]any)
		return m["type"] == "session" && v["presented"] == "" && v["participants"] != float64(1)
	}); n != 0 {
		t.Fatalf("the phone got %d session pushes for joins", n)
	}
}

// /metrics counts commands by result and times them.
func TestMetricsCountAndTimeCommands(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		h.Metrics = hub.NewMetrics(reg)
		w.Gatherer = reg
	})
	sess, _, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	if ack := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); ack["type"] != "ack" {
		t.Fatal(ack)
	}
	if e := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{7}}); e["code"] != "invalid_choice" {
		t.Fatal(e)
	}
	_, body := s.get(t, "/metrics", "")
	// Three commands from the console (create, present, open), two votes.
	for _, want := range []string{
		`townhall_commands_total{op="vote",result="ok"} 1`,
		`townhall_commands_total{op="vote",result="invalid_choice"} 1`,
		`townhall_command_seconds_count 5`,
		`townhall_connections{role="attendee"} 1`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// A phone that stops reading (its socket's buffers full) is closed once a
// write to it outlasts the write timeout, and counted; the phones that
// read go on getting every push meanwhile.
func TestPhoneThatStopsReadingIsClosed(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		h.Metrics = hub.NewMetrics(reg)
		w.Gatherer = reg
		h.WriteTimeout = 300 * time.Millisecond
		h.CommandRate, h.CommandBurst = 1000, 1000
		h.Limits.QAEntriesPerParticipant = 1000
	})
	sess := s.create(t, "Hall")
	host := s.connect(t, sess.FacilitatorKey)
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Questions"}})
	qa := ack["activity"].(string)
	for _, op := range []string{"activity.present", "activity.open"} {
		if a := host.cmd(op, map[string]any{"activity": qa}); a["type"] != "ack" {
			t.Fatalf("%s: %v", op, a)
		}
	}
	reader := s.connect(t, s.join(t, sess.Code))
	// The stuck phone: a receive buffer of a few KiB that it never reads.
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stuck, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/ws", &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: small.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.CloseNow()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": s.join(t, sess.Code), "since": 0})
	if err := stuck.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}

	gauges := func() string {
		_, body := s.get(t, "/metrics", "")
		var out []string
		for _, l := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(l, `townhall_connections{role="attendee"}`) || strings.HasPrefix(l, "townhall_slow_clients_closed_total") {
				out = append(out, l)
			}
		}
		return strings.Join(out, "; ")
	}
	slowClosed := func() bool {
		_, body := s.get(t, "/metrics", "")
		return strings.Contains(string(body), "townhall_slow_clients_closed_total 1\n")
	}
	// A full board (200 questions of 280 characters) is a push of about
	// 66 KB, and every upvote changes it: a push per tick to every phone,
	// until the stuck phone's socket, several MB of buffers on this side,
	// is full and a write to it outlasts the timeout.
	long := strings.Repeat("How will the budget for the districts be shared? ", 6)
	var entries []string
	for i := 0; i < 200; i++ {
		a := reader.cmd("qa.ask", map[string]any{"activity": qa, "text": fmt.Sprint(i, " ", long)[:280]})
		if a["type"] != "ack" {
			t.Fatalf("ask %d: %v", i, a)
		}
		entries = append(entries, a["entry"].(string))
	}
	gone := func() bool {
		_, body := s.get(t, "/metrics", "")
		return strings.Contains(string(body), `townhall_connections{role="attendee"} 1`+"\n")
	}
	changes := 0
	for ; changes < 3000 && (changes%50 != 0 || !gone()); changes++ {
		if a := reader.cmd("qa.upvote", map[string]any{"activity": qa, "entry": entries[changes%len(entries)]}); a["type"] != "ack" {
			t.Fatalf("upvote %d: %v", changes, a)
		}
	}
	// The reading phone's upvotes toggled each entry in turn.
	want := 0
	for i := range entries {
		want += (changes/len(entries) + btoi(i < changes%len(entries))) % 2
	}
	if !gone() || !slowClosed() {
		t.Fatalf("after %d changes the stuck phone was not closed as too slow: %s", changes, gauges())
	}
	reader.waitFor(fmt.Sprint("the board with ", want, " upvotes on the reading phone"), func(m map[string]any) bool {
		a, _ := m["activity"].(map[string]any)
		list, _ := a["entries"].([]any)
		votes := 0
		for _, e := range list {
			n, _ := e.(map[string]any)["votes"].(float64)
			votes += int(n)
		}
		return m["type"] == "activity" && len(list) == len(entries) && votes == want
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
