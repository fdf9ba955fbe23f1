package web

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/townhall/townhall/hub"
)

// TestPostsNeedJSON: a POST whose body is not declared JSON gets 415 and
// does nothing, which also keeps other sites' forms and text/plain posts
// (sent cross-site without a preflight) out.
func TestPostsNeedJSON(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w *Config, _ *hub.Config) { w.JoinFailures = 1 })
	sess := s.create(t, "Typed")
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonp", "application/json;;"} {
		for path, body := range map[string]string{"/api/sessions": `{"title":"Sneaky"}`, "/api/join": `{"code":"` + sess.Code + `"}`} {
			st, out, _ := s.send(t, "POST", path, ct, body)
			if st != http.StatusUnsupportedMediaType || errCode(out) != "unsupported_media_type" {
				t.Errorf("POST %s with Content-Type %q: %d %v, want 415 unsupported_media_type", path, ct, st, out)
			}
		}
	}
	// A wrong code sent as text/plain is not even counted as a failure.
	s.send(t, "POST", "/api/join", "text/plain", `{"code":"00000000"}`)
	if st, _, _ := s.send(t, "POST", "/api/join", "application/json; charset=utf-8", `{"code":"00000001"}`); st != http.StatusNotFound {
		t.Fatalf("the first JSON wrong code: %d, want 404", st)
	}
	if x := s.exported(t, sess); x["participants"] != float64(0) {
		t.Fatalf("a refused post joined: participants %v", x["participants"])
	}
	if st, out, _ := s.send(t, "POST", "/api/sessions", "Application/JSON; charset=utf-8", `{"title":"Fine"}`); st != http.StatusCreated {
		t.Fatalf("JSON with a charset: %d %v", st, out)
	}
}

// TestTrailingDataRefused: a body is one JSON value; anything after it
// but white space means the client sent something other than it meant.
func TestTrailingDataRefused(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, nil)
	sess := s.create(t, "Strict")
	for _, body := range []string{`{"title":"x"} {"title":"y"}`, `{"title":"x"}garbage`, `{"title":"x"}}`, `{"title":"x"}]`, `{"title":"x"}null`} {
		if st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", body); st != http.StatusBadRequest || errCode(out) != "bad_request" {
			t.Errorf("create %q: %d %v, want 400", body, st, out)
		}
	}
	if st, out, _ := s.send(t, "POST", "/api/join", "application/json", `{"code":"`+sess.Code+`"}{"code":"1"}`); st != http.StatusBadRequest {
		t.Errorf("join with trailing data: %d %v, want 400", st, out)
	}
	if x := s.exported(t, sess); x["participants"] != float64(0) {
		t.Fatalf("a refused join counted: %v", x["participants"])
	}
	if st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", "{\"title\":\"x\"}\r\n\t "); st != http.StatusCreated {
		t.Fatalf("trailing white space: %d %v, want 201", st, out)
	}
	big := `{"code":"` + strings.Repeat("1", 70<<10) + `"}`
	if st, out, _ := s.send(t, "POST", "/api/join", "application/json", big); st != http.StatusRequestEntityTooLarge || errCode(out) != "too_large" {
		t.Fatalf("a 70 KiB join: %d %v, want 413 too_large", st, out)
	}
	// A create may carry a plan, up to 1 MiB.
	big = `{"title":"` + strings.Repeat("a", 1<<20) + `"}`
	if st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", big); st != http.StatusRequestEntityTooLarge || errCode(out) != "too_large" {
		t.Fatalf("a 1 MiB create: %d %v, want 413 too_large", st, out)
	}
}

// TestLinksOnlyFromAllowedHosts: the join link and QR code send a hall's
// phones somewhere; a request's Host header chooses where only when the
// host is allowed, and X-Forwarded-Proto counts only from a trusted proxy.
func TestLinksOnlyFromAllowedHosts(t *testing.T) {
	t.Parallel()
	joinOf := func(out map[string]any) string {
		l, _ := out["links"].(map[string]any)
		j, _ := l["join"].(string)
		return j
	}
	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, nil)
		port := s.URL[strings.LastIndex(s.URL, ":")+1:]
		for _, host := range []string{"evil.example", "evil.example:" + port, "localhost.evil.example", "10.9.8.7:" + port} {
			st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", `{"title":"x"}`, "Host", host)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if st != http.StatusBadRequest || errCode(out) != "bad_request" || !strings.Contains(msg, "--public-url") {
				t.Errorf("create with Host %s: %d %v, want 400 naming --public-url", host, st, out)
			}
		}
		sess, key, _ := s.createWithKey(t, "Here")
		for host, want := range map[string]string{
			"localhost:" + port:  "http://localhost:" + port,
			"LOCALHOST.:" + port: "http://LOCALHOST.:" + port,
			"[::1]:" + port:      "http://[::1]:" + port,
		} {
			st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", `{"title":"x"}`, "Host", host)
			if st != http.StatusCreated || !strings.HasPrefix(joinOf(out), want+"/j/") {
				t.Errorf("create with Host %s: %d, join link %q", host, st, joinOf(out))
			}
		}
		// X-Forwarded-Proto from a peer that is not a trusted proxy.
		_, out, _ := s.send(t, "POST", "/api/sessions", "application/json", `{"title":"x"}`, "X-Forwarded-Proto", "https")
		if !strings.HasPrefix(joinOf(out), "http://127.0.0.1:") {
			t.Errorf("X-Forwarded-Proto from anyone changed the link: %q", joinOf(out))
		}
		req, _ := http.NewRequest("GET", s.URL+"/api/sessions/"+sess.ID+"/qr.svg", nil)
		req.Host = "evil.example"
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("qr.svg with Host evil.example: %d, want 400", res.StatusCode)
		}
		st, svg := s.get(t, "/api/sessions/"+sess.ID+"/qr.svg", "")
		want, _ := qrSVG(s.URL + "/j/" + sess.Code + "#" + key)
		if st != http.StatusOK || string(svg) != string(want) {
			t.Errorf("qr.svg from an allowed host: %d, not the join link", st)
		}
	})
	t.Run("listed hosts and a trusted proxy", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w *Config, _ *hub.Config) {
			w.AllowedHosts = []string{"townhall.example.org", "hall.example:8443"}
			w.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		})
		for host, ok := range map[string]bool{"townhall.example.org": true, "townhall.example.org:9000": true,
			"hall.example:8443": true, "hall.example:9000": false, "hall.example": false, "localhost": false} {
			st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", `{"title":"x"}`, "Host", host, "X-Forwarded-Proto", "https")
			if ok != (st == http.StatusCreated) {
				t.Errorf("Host %s: %d %v", host, st, out)
			}
			if ok && !strings.HasPrefix(joinOf(out), "https://"+host+"/j/") {
				t.Errorf("Host %s through the proxy: join link %q", host, joinOf(out))
			}
		}
	})
	t.Run("public URL", func(t *testing.T) {
		t.Parallel()
		s := newTestServer(t, func(w *Config, _ *hub.Config) { w.PublicURL = "https://vote.example.org/" })
		st, out, _ := s.send(t, "POST", "/api/sessions", "application/json", `{"title":"x"}`, "Host", "evil.example")
		if st != http.StatusCreated || joinOf(out) != "https://vote.example.org/j/"+out["code"].(string)+"#"+out["joinKey"].(string) {
			t.Fatalf("with --public-url: %d, join link %q", st, joinOf(out))
		}
	})
}

func TestHostAllowed(t *testing.T) {
	t.Parallel()
	s := New(Config{AllowedHosts: []string{"::1", "Hall.Example.", "10.0.0.5:8080"}})
	for host, want := range map[string]bool{
		"[::1]:8080": true, "[0:0:0:0:0:0:0:1]": true, "::1": true, "hall.example": true, "HALL.example:1": true,
		"10.0.0.5:8080": true, "10.0.0.5:8081": false, "10.0.0.5": false, "": false, "[::1": false, "evil.example": false,
	} {
		if got := s.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

// closedByServer waits, at most 10 s, for the server to end conn, and
// says whether it did.
func closedByServer(t *testing.T, conn net.Conn) bool {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestHTTPTimeouts: slow headers, a slow body and an idle keep-alive are
// each cut off; a websocket, hijacked out of the HTTP server, outlives
// them all.
func TestHTTPTimeouts(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, func(w *Config, _ *hub.Config) {
		w.HeaderTimeout, w.RequestTimeout, w.IdleTimeout = 300*time.Millisecond, time.Second, 500*time.Millisecond
	})
	sess := s.create(t, "Timed")
	host := s.connect(t, sess.FacilitatorKey)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	slowHeaders := dial()
	io.WriteString(slowHeaders, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
	if !closedByServer(t, slowHeaders) {
		t.Error("a request whose headers never end was not closed")
	}
	slowBody := dial()
	io.WriteString(slowBody, "POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"title\":")
	if !closedByServer(t, slowBody) {
		t.Error("a request whose body never ends was not closed")
	}
	idle := dial()
	io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	if !closedByServer(t, idle) {
		t.Error("an idle keep-alive connection was not closed")
	}

	// The websocket has now been open longer than every timeout: it still
	// reads commands and writes answers and pushes.
	ack := host.cmd("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Still here?", "options": []string{"Yes", "No"}}})
	if ack["type"] != "ack" {
		t.Fatalf("a command after the timeouts: %v", ack)
	}
	id, _ := ack["activity"].(string)
	host.waitFor("the new activity's push", func(m map[string]any) bool { return activityOf(m, id) != nil })
}
