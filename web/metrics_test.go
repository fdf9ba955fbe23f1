package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
)

// Joins are counted by result, every result and role has a series before
// the first join, and events applied from the subscription are timed.
func TestMetricsJoinsRolesAndLag(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s := newTestServer(t, func(w *Config, h *hub.Config) {
		h.Metrics = hub.NewMetrics(reg)
		w.Gatherer = reg
	})
	_, before := s.get(t, "/metrics", "")
	for _, want := range []string{
		`townhall_connections{role="attendee"} 0`,
		`townhall_connections{role="display"} 0`,
		`townhall_connections{role="facilitator"} 0`,
		`townhall_joins_total{result="ok"} 0`,
		`townhall_joins_total{result="not_found"} 0`,
	} {
		if !strings.Contains(string(before), want+"\n") {
			t.Errorf("/metrics before any connection lacks %q", want)
		}
	}

	sess, _, poll := pollSession(t, s)
	phone := s.connect(t, s.join(t, sess.Code))
	if ack := phone.cmd("vote", map[string]any{"activity": poll, "choices": []int{0}}); ack["type"] != "ack" {
		t.Fatal(ack)
	}
	if st, _, _ := s.post(t, "/api/join", map[string]string{"code": "0000 0000"}); st != http.StatusNotFound {
		t.Fatalf("a wrong code: %d", st)
	}
	if st, _, _ := s.post(t, "/api/join", "not an object"); st != http.StatusBadRequest {
		t.Fatalf("a bad body: %d", st)
	}
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, b := s.get(t, "/metrics", "")
		body = string(b)
		if !strings.Contains(body, "townhall_event_lag_seconds_count 0\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no event's lag was observed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{
		`townhall_joins_total{result="ok"} 1`,
		`townhall_joins_total{result="not_found"} 1`,
		`townhall_joins_total{result="bad_request"} 1`,
		`townhall_connections{role="attendee"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// townhall_ready follows what /readyz answers: 1 when serving, 0 once
// draining.
func TestMetricsReadyGauge(t *testing.T) {
	t.Parallel()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hubs := hub.NewManager(store, hub.Config{})
	defer hubs.Shutdown(context.Background())
	reg := prometheus.NewRegistry()
	srv := New(Config{Store: store, Hubs: hubs, Secret: []byte("test secret"), Gatherer: reg})
	reg.MustRegister(srv.ReadyGauge())
	ts := httptest.NewServer(srv)
	defer ts.Close()
	scrape := func() (int, string) {
		t.Helper()
		res, err := http.Get(ts.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		m, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer m.Body.Close()
		var b strings.Builder
		if _, err := io.Copy(&b, m.Body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, b.String()
	}
	if st, body := scrape(); st != http.StatusOK || !strings.Contains(body, "townhall_ready 1\n") {
		t.Fatalf("serving: /readyz %d, metrics:\n%s", st, grepLines(body, "townhall_ready"))
	}
	srv.Drain()
	if st, body := scrape(); st != http.StatusServiceUnavailable || !strings.Contains(body, "townhall_ready 0\n") {
		t.Fatalf("draining: /readyz %d, metrics:\n%s", st, grepLines(body, "townhall_ready"))
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
