package web

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/session"
)

// csvState folds commands into a session and returns its CSV as the
// export writes it.
func csvOf(t *testing.T, cmds []struct {
	actor string
	cmd   session.Command
}) [][]string {
	t.Helper()
	var s session.State
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s.Apply(session.Event{Offset: 1, Time: at, Cmd: session.Command{Op: session.OpCreate, Session: "s", Code: "12345678", Title: "T", Rules: session.CurrentRules}})
	for i, c := range cmds {
		out := s.Apply(session.Event{Offset: uint64(i + 2), Time: at.Add(time.Duration(i) * time.Second), Actor: c.actor, Cmd: c.cmd})
		if out.Result.Err != nil {
			t.Fatalf("command %d (%s): %v", i, c.cmd.Op, out.Result.Err)
		}
	}
	x := hub.Export{CSVHeader: session.CSVHeaderFor(s.Languages)}
	for _, a := range s.Activities {
		x.CSV = append(x.CSV, a.CSV()...)
	}
	var buf bytes.Buffer
	if err := writeCSV(&buf, x); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

type step = struct {
	actor string
	cmd   session.Command
}

func host(op string, c session.Command) step  { c.Op = op; return step{session.Host, c} }
func by(p, op string, c session.Command) step { c.Op = op; return step{p, c} }

func TestCSVHasOneRowPerItemAndNoFormulas(t *testing.T) {
	t.Parallel()
	// Participants are p<offset of their join>: joins at offsets 2 and 3.
	rows := csvOf(t, []step{
		{"", session.Command{Op: session.OpJoin, Name: "Ana"}},
		{"", session.Command{Op: session.OpJoin, Name: "Bo"}},
		host("activity.create", session.Command{ID: "c1", Spec: &session.ActivitySpec{Kind: session.KindWordcloud, Title: "One word"}}), // a4
		host("activity.present", session.Command{ID: "c2", Activity: "a4"}),
		host("activity.open", session.Command{ID: "c3", Activity: "a4"}),
		by("p2", "word.submit", session.Command{ID: "w1", Activity: "a4", Text: "=HYPERLINK(\"x\")"}),
		by("p3", "word.submit", session.Command{ID: "w2", Activity: "a4", Text: "=HYPERLINK(\"x\")"}),
		by("p2", "word.submit", session.Command{ID: "w3", Activity: "a4", Text: "water"}),
		host("word.hide", session.Command{ID: "c4", Activity: "a4", Text: "water"}),
		host("activity.create", session.Command{ID: "c5", Spec: &session.ActivitySpec{Kind: session.KindQA, Title: "Q&A"}}), // a11
		host("activity.present", session.Command{ID: "c6", Activity: "a11"}),
		host("activity.open", session.Command{ID: "c7", Activity: "a11"}),
		by("p2", "qa.ask", session.Command{ID: "q1", Activity: "a11", Text: "-1 why?"}), // q14
		by("p3", "qa.upvote", session.Command{ID: "q2", Activity: "a11", Entry: "q14"}),
		host("qa.moderate", session.Command{ID: "c8", Activity: "a11", Entry: "q14", Action: "answered"}),
		host("qa.moderate", session.Command{ID: "c9", Activity: "a11", Entry: "q14", Action: "pin"}),
	})
	if len(rows) != 4 {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	want := [][3]string{{"'=HYPERLINK(\"x\")", "visible", "2"}, {"water", "hidden", "1"}, {"'-1 why?", "answered pinned", "1"}}
	for i, w := range want {
		r := rows[i+1]
		if r[3] != w[0] || r[5] != w[1] || r[4] != w[2] {
			t.Errorf("row %d: item %q status %q count %q, want %q", i+1, r[3], r[5], r[4], w)
		}
	}
	if rows[3][9] != "2026-01-01T10:00:12Z" {
		t.Errorf("created_at: %q", rows[3])
	}
}

// Exported while someone speaks, the queue's rows include the speaker and
// the waiting hands, in order, after the finished turns.
func TestCSVQueueMidSession(t *testing.T) {
	t.Parallel()
	var steps []step
	for _, n := range []string{"Ana", "Bob", "Cy", "Di"} {
		steps = append(steps, step{"", session.Command{Op: session.OpJoin, Name: n}}) // p2..p5
	}
	steps = append(steps,
		host("activity.create", session.Command{ID: "c1", Spec: &session.ActivitySpec{Kind: session.KindQueue, Title: "Floor", Constituencies: []string{"Cities"}}}), // a6
		host("activity.present", session.Command{ID: "c2", Activity: "a6"}),
		host("activity.open", session.Command{ID: "c3", Activity: "a6"}),
		by("p2", "hand.raise", session.Command{ID: "h", Activity: "a6", Name: "Ana", Kind: "speak", Constituency: "Cities"}),
		host("queue.next", session.Command{ID: "c4", Activity: "a6"}),
		by("p3", "hand.raise", session.Command{ID: "h", Activity: "a6", Name: "Bob", Kind: "speak", Constituency: "Cities"}),
		host("queue.next", session.Command{ID: "c5", Activity: "a6"}),
		by("p4", "hand.raise", session.Command{ID: "h", Activity: "a6", Name: "Cy", Kind: "order", Constituency: "Cities"}),
		by("p5", "hand.raise", session.Command{ID: "h", Activity: "a6", Name: "Di", Kind: "speak", Constituency: "Cities"}),
	)
	rows := csvOf(t, steps)
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[3]+":"+r[5]+":"+r[8])
	}
	if strings.Join(got, ",") != "Ana:spoke:Cities,Bob:speaking:Cities,Cy:waiting order:Cities,Di:waiting speak:Cities" {
		t.Fatalf("queue rows: %v", got)
	}
	if rows[1][12] != "2" {
		t.Errorf("Ana spoke %q seconds, want 2", rows[1][12])
	}
}
