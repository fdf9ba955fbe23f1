package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/townhall/townhall/hub"
)

func TestCSVHasOneRowPerItemAndNoFormulas(t *testing.T) {
	var acts []any
	json.Unmarshal([]byte(`[
	 {"id":"a1","kind":"wordcloud","title":"One word","words":[{"text":"=HYPERLINK(\"x\")","count":2},{"text":"water","count":1,"hidden":true},{"text":"damn","count":1,"flagged":true,"pending":true}]},
	 {"id":"a2","kind":"qa","title":"Q&A","entries":[{"id":"q1","text":"-1 why?","votes":3,"status":"answered","pinned":true,"createdAt":"2026-01-01T10:00:00Z"}]},
	 {"id":"a3","kind":"queue","title":"Floor","speakers":[{"hand":"h9","name":"Ana","constituency":"Cities","startedAt":"s","endedAt":"e","seconds":61.5}]}
	]`), &acts)
	var buf bytes.Buffer
	if err := writeCSV(&buf, hub.Export{Activities: acts}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil || len(rows) != 6 {
		t.Fatalf("%d rows, %v:\n%s", len(rows), err, buf.String())
	}
	want := [][2]string{{"'=HYPERLINK(\"x\")", "visible"}, {"water", "hidden"}, {"damn", "pending"}, {"'-1 why?", "answered pinned"}, {"Ana", "spoke"}}
	for i, w := range want {
		if rows[i+1][3] != w[0] || rows[i+1][5] != w[1] {
			t.Errorf("row %d: item %q status %q, want %q %q", i+1, rows[i+1][3], rows[i+1][5], w[0], w[1])
		}
	}
	if rows[4][9] != "2026-01-01T10:00:00Z" || rows[5][8] != "Cities" || rows[5][12] != "61.5" {
		t.Errorf("columns: %q / %q", rows[4], rows[5])
	}
}

// Exported while someone speaks, the queue's rows include the speaker and
// the waiting hands, in order, after the finished turns.
func TestCSVQueueMidSession(t *testing.T) {
	var acts []any
	json.Unmarshal([]byte(`[{"id":"a3","kind":"queue","title":"Floor",
	  "speakers":[{"hand":"h1","name":"Ana","constituency":"","startedAt":"s1","endedAt":"e1","seconds":30}],
	  "speaking":{"hand":"h2","name":"Bob","constituency":"Cities","startedAt":"s2"},
	  "waiting":[{"hand":"h3","name":"Cy","constituency":"","kind":"order","raisedAt":"r3"},{"hand":"h4","name":"Di","constituency":"","kind":"speak","raisedAt":"r4"}]}]`), &acts)
	var buf bytes.Buffer
	if err := writeCSV(&buf, hub.Export{Activities: acts}); err != nil {
		t.Fatal(err)
	}
	rows, _ := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[3]+":"+r[5])
	}
	if strings.Join(got, ",") != "Ana:spoke,Bob:speaking,Cy:waiting order,Di:waiting speak" {
		t.Fatalf("queue rows: %v", got)
	}
}
