package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/session"
)

// quizSession starts session "s" in store: Ana joins (as p2), and a quiz
// of 5 seconds is created (a3), presented and opened, its open stamped at
// opened. More events follow as given.
func quizSession(t *testing.T, store eventlog.Store, opened time.Time, more ...session.Event) {
	t.Helper()
	ctx := t.Context()
	if _, err := store.Create(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	var spec session.ActivitySpec
	if err := json.Unmarshal([]byte(`{"kind":"quiz","title":"Capital?","options":["Paris","Lyon"],"correct":[0],"seconds":5}`), &spec); err != nil {
		t.Fatal(err)
	}
	events := append([]session.Event{
		{Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "Hall", Rules: session.CurrentRules}},
		{Cmd: session.Command{Op: session.OpJoin, Name: "Ana"}},
		{Actor: session.Host, Cmd: session.Command{ID: "h1", Op: "activity.create", Spec: &spec}},
		{Actor: session.Host, Cmd: session.Command{ID: "h2", Op: "activity.present", Activity: "a3"}},
		{Time: opened, Actor: session.Host, Cmd: session.Command{ID: "h3", Op: "activity.open", Activity: "a3"}},
	}, more...)
	for _, e := range events {
		if _, err := store.Append(ctx, "s", e); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t *testing.T) eventlog.Store {
	t.Helper()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func startManager(t *testing.T, store eventlog.Store) *Manager {
	t.Helper()
	m := NewManager(store, Config{})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m.Shutdown(ctx)
	})
	return m
}

// stateOf is the state of an activity in a hub's replica.
func stateOf(h *Hub, id string) string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if a := h.state.Activity(id); a != nil {
		return a.State
	}
	return ""
}

// waitFor polls cond until it holds, or fails the test after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A quiz closes by itself when its time is up: two instances host the
// session, each appends the close with the same id when its timer fires,
// and the log takes it once. The close comes no earlier than the deadline.
func TestDeadlineClosesAQuizOnce(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	opened := time.Now().Add(-4500 * time.Millisecond).UTC()
	quizSession(t, store, opened)
	var hubs []*Hub
	for range 2 {
		h, release, err := startManager(t, store).Acquire(t.Context(), "s")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
		hubs = append(hubs, h)
	}
	for i, h := range hubs {
		waitFor(t, "instance "+string(rune('A'+i))+" to see the quiz closed", func() bool { return stateOf(h, "a3") == session.Closed })
	}

	evs, err := store.Read(t.Context(), "s", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var closes []session.Event
	for _, e := range evs {
		if e.Cmd.Op == "activity.close" {
			closes = append(closes, e)
		}
	}
	deadline := opened.Add(5 * time.Second)
	if len(closes) == 0 || len(closes) > 2 {
		t.Fatalf("%d closes in the log, want one per instance at most", len(closes))
	}
	for _, e := range closes {
		if e.Actor != session.Host || e.Cmd.ID != deadlineID("a3", deadline) || e.Time.Before(deadline) {
			t.Fatalf("close %+v: want the facilitator's, id %s, at or after %v", e, deadlineID("a3", deadline), deadline)
		}
	}
	// Whatever the number of appends, one close took effect: the quiz's
	// record has the first one's time on both instances.
	for _, h := range hubs {
		h.mu.RLock()
		closedAt := h.state.Activity("a3").Body.(*session.Quiz).ClosedAt
		h.mu.RUnlock()
		if !closedAt.Equal(closes[0].Time) {
			t.Fatalf("closed at %v, want the first close's %v", closedAt, closes[0].Time)
		}
	}
}

// A quiz whose time ran out while no instance hosted the session is
// closed when one loads it; a quiz the facilitator closed first is not
// closed again.
func TestDeadlineClosesAtLoadAndNotTwice(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	quizSession(t, store, time.Now().Add(-time.Minute).UTC())
	h, release, err := startManager(t, store).Acquire(t.Context(), "s")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	waitFor(t, "the overdue quiz to close", func() bool { return stateOf(h, "a3") == session.Closed })

	// A second quiz, closed by the facilitator before its time: nothing
	// more is appended when the time comes, and the last event, appended
	// after it, is that one's.
	ctx := t.Context()
	// Each spec its own: the embedded store hands the replica the
	// event as appended, pointers and all.
	var spec, spec3 session.ActivitySpec
	json.Unmarshal([]byte(`{"kind":"quiz","title":"Two","options":["a","b"],"correct":[1],"seconds":5}`), &spec)
	json.Unmarshal([]byte(`{"kind":"quiz","title":"Three","options":["a","b"],"correct":[1],"seconds":5}`), &spec3)
	// Its time runs out 4 s after its open: ample for the close appended
	// just after, on a busy machine too.
	opened := time.Now().Add(-time.Second).UTC()
	for _, e := range []session.Event{
		{Actor: session.Host, Cmd: session.Command{ID: "h4", Op: "activity.create", Spec: &spec}},
		{Time: opened, Actor: session.Host, Cmd: session.Command{ID: "h5", Op: "activity.open", Activity: "a7"}},
		{Actor: session.Host, Cmd: session.Command{ID: "h6", Op: "activity.close", Activity: "a7"}},
	} {
		if _, err := store.Append(ctx, "s", e); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the second quiz closed by hand", func() bool { return stateOf(h, "a7") == session.Closed })
	// A third, opened after, whose close by the server marks the time
	// after the second's deadline has passed.
	third := opened.Add(500 * time.Millisecond)
	for _, e := range []session.Event{
		{Actor: session.Host, Cmd: session.Command{ID: "h7", Op: "activity.create", Spec: &spec3}},
		{Time: third, Actor: session.Host, Cmd: session.Command{ID: "h8", Op: "activity.open", Activity: "a10"}},
	} {
		if _, err := store.Append(ctx, "s", e); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the third quiz to close", func() bool { return stateOf(h, "a10") == session.Closed })
	evs, err := store.Read(ctx, "s", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		if e.Cmd.Op == "activity.close" {
			ids = append(ids, e.Cmd.ID)
		}
	}
	want := []string{deadlineID("a3", evs[4].Time.Add(5*time.Second)), "h6", deadlineID("a10", third.Add(5*time.Second))}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("closes in the log: %v, want %v", ids, want)
	}
}

// A phone on a real websocket that answered in time gets, when the time
// is up and the server closes the quiz, the correct answer, the
// leaderboard and its own points, without anyone clicking.
func TestDeadlinePushesTheResultsToPhones(t *testing.T) {
	t.Parallel()
	store := openStore(t)
	opened := time.Now().Add(-3 * time.Second).UTC()
	quizSession(t, store, opened, session.Event{Time: opened.Add(time.Second), Actor: "p2",
		Cmd: session.Command{ID: "x1", Op: "answer", Activity: "a3", Args: json.RawMessage(`{"type":"cmd","id":"x1","op":"answer","activity":"a3","choice":0}`)}})
	m := startManager(t, store)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		h, release, err := m.Acquire(r.Context(), "s")
		if err != nil {
			return
		}
		defer release()
		h.Serve(r.Context(), ws, nil, session.Attendee, "p2", false, "")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()

	var view, you map[string]any
	for view == nil || you == nil {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("reading: %v (view %v, you %v)", err, view, you)
		}
		var m struct {
			Type     string
			Activity json.RawMessage
			View     struct{ Activities []map[string]any }
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		switch m.Type {
		case "welcome", "session":
			if len(m.View.Activities) == 1 {
				got = m.View.Activities[0]
			}
		case "activity":
			json.Unmarshal(m.Activity, &got)
		case "you":
			var y map[string]any
			json.Unmarshal(data, &y)
			if _, closed := y["rank"]; closed {
				you = y
			}
		}
		if got != nil && got["state"] == session.Closed {
			view = got
		}
	}
	lb, _ := json.Marshal(view["leaderboard"])
	if string(lb) != `[{"name":"Ana","points":900,"rank":1}]` || you["correct"] != true || you["points"] != float64(900) || you["total"] != float64(900) {
		t.Fatalf("after the time: leaderboard %s, correct %v; you %v", lb, view["correct"], you)
	}
}
