package web

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/townhall/townhall/hub"
)

var csvHeader = []string{"activity", "kind", "title", "item", "count", "status", "voters", "name", "constituency", "created_at", "started_at", "ended_at", "seconds"}

// csvRow is one line of the CSV export; empty fields stay empty.
type csvRow struct {
	item, count, status, voters, name, constituency, created, started, ended, seconds string
}

// writeCSV writes one row per poll option, word, Q&A entry and speaker.
// It reads the export through its JSON shape, the protocol's, so the CSV
// carries exactly what the JSON export does.
func writeCSV(w io.Writer, x hub.Export) error {
	raw, err := json.Marshal(x.Activities)
	if err != nil {
		return err
	}
	var acts []map[string]any
	if err := json.Unmarshal(raw, &acts); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, a := range acts {
		head := []string{str(a["id"]), str(a["kind"]), str(a["title"])}
		row := func(r csvRow) {
			cw.Write(safe(append(append([]string{}, head...),
				r.item, r.count, r.status, r.voters, r.name, r.constituency, r.created, r.started, r.ended, r.seconds)))
		}
		switch a["kind"] {
		case "poll":
			for _, o := range list(a["options"]) {
				row(csvRow{item: str(o["label"]), count: str(o["votes"]), status: str(a["state"]), voters: str(a["voters"])})
			}
		case "wordcloud":
			for _, w := range list(a["words"]) {
				status := "visible"
				switch {
				case w["hidden"] == true:
					status = "hidden"
				case w["pending"] == true:
					status = "pending"
				case w["flagged"] == true:
					status = "approved"
				}
				row(csvRow{item: str(w["text"]), count: str(w["count"]), status: status})
			}
		case "qa":
			for _, e := range list(a["entries"]) {
				status := str(e["status"])
				if e["pinned"] == true {
					status += " pinned"
				}
				row(csvRow{item: str(e["text"]), count: str(e["votes"]), status: status, created: str(e["createdAt"])})
			}
		case "queue":
			for _, s := range list(a["speakers"]) {
				row(csvRow{item: str(s["name"]), status: "spoke", name: str(s["name"]), constituency: str(s["constituency"]),
					started: str(s["startedAt"]), ended: str(s["endedAt"]), seconds: str(s["seconds"])})
			}
			// Exported mid-session, the queue's present is part of its
			// record too: who speaks now, and who waits, in order.
			if sp, ok := a["speaking"].(map[string]any); ok {
				row(csvRow{item: str(sp["name"]), status: "speaking", name: str(sp["name"]), constituency: str(sp["constituency"]),
					started: str(sp["startedAt"])})
			}
			for _, h := range list(a["waiting"]) {
				row(csvRow{item: str(h["name"]), status: "waiting " + str(h["kind"]), name: str(h["name"]), constituency: str(h["constituency"]),
					created: str(h["raisedAt"])})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func list(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	}
	return fmt.Sprint(v)
}

// safe keeps spreadsheets from running a cell as a formula: text that
// starts like one gets a leading apostrophe.
func safe(row []string) []string {
	for i, c := range row {
		if c != "" && (c[0] == '=' || c[0] == '+' || c[0] == '-' || c[0] == '@' || c[0] == '\t' || c[0] == '\r') {
			row[i] = "'" + c
		}
	}
	return row
}
