package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReportPage: /report/<id> serves the report page under the same
// Content-Security-Policy as the other pages; the key stays in the
// fragment, so the page itself needs none, and its data (the export)
// still does.
func TestReportPage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Hall")
	res, err := http.Get(s.URL + "/report/" + sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `src="/static/js/report.js"`) {
		t.Fatalf("/report/%s: %d %.200s", sess.ID, res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q; want no-cache, as the other pages", cc)
	}
	for _, asset := range []string{"/static/js/report.js", "/static/css/report.css", "/static/i18n/report.json"} {
		if st, _ := s.get(t, asset, ""); st != http.StatusOK {
			t.Errorf("%s: %d", asset, st)
		}
	}
	if st, _ := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.DisplayKey); st != http.StatusUnauthorized {
		t.Errorf("the export with the display key: %d; want 401", st)
	}
}
