package web

import (
	"net/http"
	"reflect"
	"testing"
)

// consNames is the list of TestConstituencyNamesOverHTTP: named in three
// languages, in two, and plainly.
var consNames = []any{
	map[string]string{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"},
	map[string]string{"en": "Civil society", "fr": "Société civile"},
	"UN agencies",
}

// TestConstituencyNamesOverHTTP: POST /api/sessions takes names per
// language (a bad one is 400 and creates nothing), the preview carries
// them beside the identities, a join names one in any language and is
// counted under its identity, a French connection reads the French names,
// the console can clear the list, and the export has identities and names.
func TestConstituencyNamesOverHTTP(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	for _, bad := range []any{
		[]any{map[string]string{"en": "Cities", "de": "Städte"}},
		[]any{map[string]string{"en": "Cities", "fr": ""}},
		[]any{map[string]string{"en": "Cities", "fr": "Villes"}, map[string]string{"en": "Towns", "fr": "VILLES"}},
	} {
		st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": "T", "languages": []string{"en", "fr"}, "constituencies": bad})
		if st != http.StatusBadRequest || errCode(out) != "bad_request" || out["id"] != nil || out["error"] == nil {
			t.Errorf("constituencies %v: %d %v", bad, st, out)
		}
	}
	st, out, _ := s.post(t, "/api/sessions", map[string]any{"title": "Cities", "languages": []string{"en", "fr", "es"}, "constituencies": consNames})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, out)
	}
	sess := created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}

	st, pre, _ := s.post(t, "/api/join/preview", map[string]string{"code": sess.Code})
	wantNames := []any{
		map[string]any{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"},
		map[string]any{"en": "Civil society", "fr": "Société civile"},
		nil,
	}
	if st != http.StatusOK || !reflect.DeepEqual(pre["constituencies"], []any{"Local governments", "Civil society", "UN agencies"}) ||
		!reflect.DeepEqual(pre["constituencyNames"], wantNames) {
		t.Fatalf("preview: %d %v", st, pre)
	}
	st, j, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": "société civile"})
	if st != http.StatusOK {
		t.Fatalf("join in French: %d %v", st, j)
	}
	if st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": "Sociedad civil"}); st != http.StatusBadRequest || errCode(out) != "bad_request" {
		t.Fatalf("a name the list lacks: %d %v", st, out)
	}
	phone := s.connectIn(t, j["token"].(string), "fr")
	w := phone.latest(func(m map[string]any) bool { return m["type"] == "welcome" })
	if got := w["view"].(map[string]any)["constituencies"]; !reflect.DeepEqual(got, []any{"Collectivités locales", "Société civile", "UN agencies"}) {
		t.Fatalf("the French phone reads %v", got)
	}

	host := s.connectIn(t, sess.FacilitatorKey, "es")
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "First?", "options": []string{"A", "B"}, "segment": true, "minSegment": 1}})
	poll, _ := ack["activity"].(string)
	host.cmd("activity.present", map[string]any{"activity": poll})
	host.cmd("activity.open", map[string]any{"activity": poll})
	if out := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{1}}); out["type"] != "ack" {
		t.Fatalf("vote: %v", out)
	}
	x := s.exported(t, sess)
	if !reflect.DeepEqual(x["constituencies"], []any{"Local governments", "Civil society", "UN agencies"}) || !reflect.DeepEqual(x["constituencyNames"], wantNames) {
		t.Fatalf("export header: %v %v", x["constituencies"], x["constituencyNames"])
	}
	var seg map[string]any
	for _, a := range x["activities"].([]any) {
		for _, sg := range a.(map[string]any)["segments"].([]any) {
			if m := sg.(map[string]any); m["responses"] == float64(1) {
				seg = m
			}
		}
	}
	if seg == nil || seg["constituency"] != "Civil society" || !reflect.DeepEqual(seg["constituencyNames"], wantNames[1]) {
		t.Fatalf("export segment %v", seg)
	}

	// Cleared: the views list none, and a join takes any text again.
	if out := host.cmd("session.update", map[string]any{"constituencies": []any{}}); out["type"] != "ack" {
		t.Fatalf("clear: %v", out)
	}
	if x := s.exported(t, sess); x["constituencies"] != nil || x["constituencyNames"] != nil {
		t.Fatalf("after clearing, the export lists %v %v", x["constituencies"], x["constituencyNames"])
	}
	if st, out, _ := s.post(t, "/api/join", map[string]string{"code": sess.Code, "constituency": "Anyone"}); st != http.StatusOK {
		t.Fatalf("join after clearing: %d %v", st, out)
	}
}
