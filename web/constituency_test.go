package web

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"reflect"
	"slices"
	"testing"
)

// constituencySession creates a session with a list of constituencies.
func constituencySession(t *testing.T, s *testServer) created {
	t.Helper()
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": "Cities", "constituencies": []string{"Local governments", "Civil society"}})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, out)
	}
	return created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
}

// TestCreateWithConstituencies: the list is checked (a duplicate, "Other",
// an empty name are refused and create nothing) and views carry it.
func TestCreateWithConstituencies(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	for _, bad := range [][]string{{"Cities", "cities"}, {"Cities", "Other"}, {"Cities", " "}} {
		st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": "T", "constituencies": bad})
		if st != http.StatusBadRequest || errCode(out) != "bad_request" || out["id"] != nil {
			t.Errorf("constituencies %q: %d %v", bad, st, out)
		}
	}
	sess := constituencySession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	w := phone.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	got, _ := w["view"].(map[string]any)["constituencies"].([]any)
	if len(got) != 2 || got[0] != "Local governments" {
		t.Fatalf("the attendee's view has constituencies %v", got)
	}
}

// TestJoinWithAConstituency: a join's constituency must be one of the
// session's (any case), "other" or none; another is 400 bad_request and
// adds no participant.
func TestJoinWithAConstituency(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := constituencySession(t, s)
	for _, c := range []string{"civil society", "Other", ""} {
		st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": c})
		if st != http.StatusOK || out["token"] == nil {
			t.Fatalf("join as %q: %d %v", c, st, out)
		}
	}
	st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": "Academia"})
	if st != http.StatusBadRequest || errCode(out) != "bad_request" || out["token"] != nil {
		t.Fatalf("join as Academia: %d %v", st, out)
	}
	if x := s.exported(t, sess); x["participants"] != float64(3) {
		t.Fatalf("participants %v after a refused join; want 3", x["participants"])
	}
}

// TestCSVStartsWithABOMAndSaysConstituencies: the CSV opens in Excel with
// its accents (a UTF-8 byte-order mark first), has language and
// constituency columns, and a segmented poll's rows per constituency.
func TestCSVStartsWithABOMAndSaysConstituencies(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := constituencySession(t, s)
	host := s.connect(t, sess.FacilitatorKey)
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Priorité ?", "options": []string{"Sécurité", "Logement"}, "segment": true}})
	poll, _ := ack["activity"].(string)
	if poll == "" {
		t.Fatalf("create: %v", ack)
	}
	host.cmd("activity.present", map[string]any{"activity": poll})
	host.cmd("activity.open", map[string]any{"activity": poll})
	for i, c := range []string{"Local governments", "Local governments", "Civil society"} {
		st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": c})
		if st != http.StatusOK {
			t.Fatalf("join: %d %v", st, out)
		}
		if a := s.connect(t, out["token"].(string)).cmd("vote", map[string]any{"activity": poll, "choices": []int{i % 2}}); a["type"] != "ack" {
			t.Fatalf("vote: %v", a)
		}
	}
	body, rows, col := s.csvExport(t, sess)
	if !bytes.HasPrefix(body, []byte("\xef\xbb\xbfactivity,")) {
		t.Fatalf("the CSV starts with %q; want a UTF-8 byte-order mark, then the header", body[:min(len(body), 20)])
	}
	head := rows[0]
	item, count, cons, voters := col("item"), col("count"), col("constituency"), col("voters")
	col("language")
	var got [][]string
	for _, r := range rows[1:] {
		if len(r) != len(head) {
			t.Fatalf("row %v has %d cells, the header %d", r, len(r), len(head))
		}
		got = append(got, []string{r[item], r[count], r[voters], r[cons]})
	}
	want := [][]string{
		{"Sécurité", "2", "3", ""}, {"Logement", "1", "3", ""},
		{"Sécurité", "1", "2", "Local governments"}, {"Logement", "1", "2", "Local governments"},
		{"Sécurité", "1", "1", "Civil society"}, {"Logement", "0", "1", "Civil society"},
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("rows %v\nwant %v", got, want)
	}
}

// TestJoinPreview: a phone learns the constituencies to offer before it
// joins, with the join's own checks, and nothing is added.
func TestJoinPreview(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := constituencySession(t, s)
	st, out, _ := s.post(t, "/api/join/preview", map[string]string{"code": sess.Code})
	cons, _ := out["constituencies"].([]any)
	if st != http.StatusOK || out["title"] != "Cities" || len(cons) != 2 || cons[1] != "Civil society" || out["token"] != nil {
		t.Fatalf("preview: %d %v", st, out)
	}
	if st, out, _ := s.post(t, "/api/join/preview", map[string]string{"code": "0000 0000"}); st != http.StatusNotFound || errCode(out) != "not_found" {
		t.Fatalf("preview of an unknown code: %d %v", st, out)
	}
	plain := s.create(t, "Plain")
	if st, out, _ := s.post(t, "/api/join/preview", map[string]string{"code": plain.Code}); st != http.StatusOK || len(out["constituencies"].([]any)) != 0 {
		t.Fatalf("preview without a list: %d %v", st, out)
	}
	if x := s.exported(t, sess); x["participants"] != float64(0) {
		t.Fatalf("a preview added participants: %v", x["participants"])
	}
}

// TestCSVSaysEachEntrysLanguageAndConstituency: a Q&A row carries the
// language its asker's connection said in hello and the constituency the
// asker joined with.
func TestCSVSaysEachEntrysLanguageAndConstituency(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := constituencySession(t, s)
	host := s.connect(t, sess.FacilitatorKey)
	if a := host.cmd("session.update", map[string]any{"languages": []string{"en", "fr"}}); a["type"] != "ack" {
		t.Fatalf("session.update: %v", a)
	}
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Questions"}})
	qa, _ := ack["activity"].(string)
	host.cmd("activity.present", map[string]any{"activity": qa})
	host.cmd("activity.open", map[string]any{"activity": qa})
	st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": "Civil society"})
	if st != http.StatusOK {
		t.Fatalf("join: %d %v", st, out)
	}
	phone := s.dial(t, nil)
	phone.sendRaw(map[string]any{"type": "hello", "token": out["token"], "since": 0, "lang": "fr"})
	phone.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	if a := phone.cmd("qa.ask", map[string]any{"activity": qa, "text": "Où sont les données ?"}); a["type"] != "ack" {
		t.Fatalf("ask: %v", a)
	}
	_, rows, col := s.csvExport(t, sess)
	item, cons, lang := col("item"), col("constituency"), col("language")
	if len(rows) != 2 || rows[1][item] != "Où sont les données ?" || rows[1][cons] != "Civil society" || rows[1][lang] != "fr" {
		t.Fatalf("rows %v", rows)
	}
}

// TestCSVInEveryLanguage: the CSV of a session in English and French has
// each row's title, item and constituency in French in columns of its own,
// from a poll and a queue whose own list is named per language.
func TestCSVInEveryLanguage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": "Cities", "languages": []string{"en", "fr"}})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, out)
	}
	sess := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
	host := s.connect(t, sess.FacilitatorKey)
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll",
		"title":   map[string]string{"en": "First?", "fr": "D'abord ?"},
		"options": []any{map[string]string{"en": "Housing", "fr": "Logement"}, "Transport"}}})
	poll, _ := ack["activity"].(string)
	ack = host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "queue", "title": "Floor",
		"constituencies": []any{map[string]string{"en": "Mayors", "fr": "Maires"}, "Youth"}}})
	queue, _ := ack["activity"].(string)
	if poll == "" || queue == "" {
		t.Fatalf("create: %v", ack)
	}
	st, out, _ = s.post(t, "/api/join", map[string]string{"code": sess.Code})
	if st != http.StatusOK {
		t.Fatalf("join: %d %v", st, out)
	}
	phone := s.dial(t, nil)
	phone.sendRaw(map[string]any{"type": "hello", "token": out["token"], "since": 0, "lang": "fr"})
	phone.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	run := func(a string) {
		host.cmd("activity.present", map[string]any{"activity": a})
		host.cmd("activity.open", map[string]any{"activity": a})
	}
	run(poll)
	if a := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); a["type"] != "ack" {
		t.Fatalf("vote: %v", a)
	}
	run(queue)
	// The French phone names its constituency as it reads it.
	if a := phone.cmd("hand.raise", map[string]any{"activity": queue, "name": "Zoé", "constituency": "Maires"}); a["type"] != "ack" {
		t.Fatalf("raise: %v", a)
	}

	_, rows, col := s.csvExport(t, sess)
	item, cons := col("item"), col("constituency")
	titleFr, itemFr, consFr := col("title_fr"), col("item_fr"), col("constituency_fr")
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[item]] = []string{r[titleFr], r[itemFr], r[cons], r[consFr]}
	}
	want := map[string][]string{
		"Housing":   {"D'abord ?", "Logement", "", ""},
		"Transport": {"D'abord ?", "", "", ""},
		"Zoé":       {"", "", "Mayors", "Maires"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows by item %v, want %v", got, want)
	}
}

// csvExport is the session's CSV export: the body as served, its rows
// (header first) read after the byte-order mark, and the index of a column
// by name (a missing one fails the test).
func (s *testServer) csvExport(t *testing.T, sess created) (body []byte, rows [][]string, col func(name string) int) {
	t.Helper()
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export?format=csv", sess.FacilitatorKey)
	if st != http.StatusOK {
		t.Fatalf("csv: %d %s", st, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col = func(name string) int {
		t.Helper()
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("no %q column in %v", name, rows[0])
		}
		return i
	}
	return body, rows, col
}
