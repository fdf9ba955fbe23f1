package e2e

// Browser tests of the attendee page's answers to a refused join: a wrong
// code, a network that guessed too many, a full session, an ended one, a
// busy server (which the page retries by itself: with its real Redis down
// and up again, and behind a proxy that answers 503 a set number of times)
// and a request the server does not take. Each screen is checked with
// axe-core.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/townhall/townhall/internal/redistest"
)

// startServerArgs is startServer with more flags for the process.
func startServerArgs(t *testing.T, args ...string) *Server {
	t.Helper()
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Bin: suite.bin, Addr: addr, Data: t.TempDir(), Args: args}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", s.Logs())
		}
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// createSession creates a session through the API.
func createSession(t *testing.T, base, title string) Created {
	t.Helper()
	var c Created
	postJSON(t, base+"/api/sessions", map[string]string{"title": title}, &c)
	if c.Code == "" || c.FacilitatorKey == "" {
		t.Fatalf("create answered %+v", c)
	}
	return c
}

// endSession sends session.end as the facilitator over a websocket and
// waits for its ack.
func endSession(t *testing.T, srv *Server, c Created) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+srv.Addr+"/ws", nil)
	must(t, err)
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 20)
	write := func(v any) {
		b, _ := json.Marshal(v)
		must(t, ws.Write(ctx, websocket.MessageText, b))
	}
	write(map[string]any{"type": "hello", "token": c.FacilitatorKey, "since": 0})
	sent := false
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("ending the session: %v", err)
		}
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Code string `json:"code"`
		}
		must(t, json.Unmarshal(b, &m))
		switch {
		case m.Type == "welcome" && !sent:
			write(map[string]any{"type": "cmd", "id": "end-1", "op": "session.end"})
			sent = true
		case m.Type == "ack" && m.ID == "end-1":
			ws.Close(websocket.StatusNormalClosure, "")
			return
		case m.Type == "error":
			t.Fatalf("ending the session: %s", b)
		}
	}
}

// joinScreen is an expression for what the attendee page shows: its
// heading and body text.
const joinScreen = `JSON.stringify({h1: (document.querySelector("#main h1") || {}).textContent, body: document.getElementById("main").innerText.slice(0, 300), title: document.title})`

// waitHeading waits until the page's heading is want, has the focus, and
// the tab's title says it too.
func waitHeading(t *testing.T, tab *Tab, want string) {
	t.Helper()
	must(t, tab.WaitJS(Patience, "the heading "+want,
		fmt.Sprintf(`document.querySelector("#main h1").textContent === %s && document.activeElement === document.querySelector("#main h1") && document.title.startsWith(%s)`, JS(want), JS(want)),
		joinScreen))
}

// TestJoinRefusals: every refusal of POST /api/join has its own screen, in
// the page's language, that says what to do, and none is a dead end.
func TestJoinRefusals(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	src := axeSource(t)
	tb := tables(t, "attendee")

	t.Run("wrong code, then too many from this network", func(t *testing.T) {
		t.Parallel()
		// Two wrong codes per hour: the third answer is 429 with a long
		// Retry-After, so the countdown is seen running.
		srv := startServerArgs(t, "--join-failures", "2", "--join-failure-every", "1h")
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/00000000")))
		waitHeading(t, phone, tb.T("en", "join.notfound_title"))
		// The code form is right there.
		must(t, phone.WaitJS(Patience, "the code form", `document.querySelector("#main form input#code") !== null`, joinScreen))
		checkAxe(t, phone, runAxe(t, phone, src))

		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/00000001")))
		waitHeading(t, phone, tb.T("en", "join.notfound_title"))
		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/00000002")))
		waitHeading(t, phone, tb.T("en", "join.limited_title"))
		// "Wait {n} s": n counts down, and "Try again" stays disabled.
		pattern := regexp.QuoteMeta(tb.T("en", "join.limited", "n", "NNN"))
		re := regexp.MustCompile("^" + regexpReplace(pattern, "NNN", `(\d+)`) + "$")
		seconds := func() int {
			s, err := Eval[string](phone, `document.querySelector("#main section p").textContent`)
			must(t, err)
			m := re.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("the limited screen says %q; want %q", s, tb.T("en", "join.limited", "n", "N"))
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}
		first := seconds()
		if first < 2 || first > 30 {
			t.Fatalf("the countdown starts at %d s; want the Retry-After bounded to 30 s", first)
		}
		pollUntil(t, "the countdown to go down", func() bool { return seconds() < first })
		dis, err := Eval[bool](phone, `document.querySelector("#main section button").getAttribute("aria-disabled") === "true"`)
		must(t, err)
		if !dis {
			t.Error("the limited screen's button is enabled during the wait")
		}
		checkAxe(t, phone, runAxe(t, phone, src))

		// In French too.
		must(t, phone.Do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)))
		must(t, phone.WaitJS(Patience, "the French limited screen", fmt.Sprintf(`document.querySelector("#main h1").textContent === %s && document.querySelector("#main section p").textContent.startsWith(%s)`,
			JS(tb.T("fr", "join.limited_title")), JS(tb.T("fr", "join.limited")[:10])), joinScreen))
		// The language change did not restart the count.
		must(t, phone.Do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang"); s.value = "en"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)))
		must(t, phone.WaitJS(Patience, "the English limited screen", fmt.Sprintf(`document.querySelector("#main h1").textContent === %s`, JS(tb.T("en", "join.limited_title"))), joinScreen))
		if n := seconds(); n >= first {
			t.Errorf("after a change of language the countdown shows %d s, it started at %d s", n, first)
		}
	})

	t.Run("session full", func(t *testing.T) {
		t.Parallel()
		srv := startServerArgs(t, "--max-participants", "1")
		c := createSession(t, srv.URL(), "Small room")
		joinToken(t, srv, c.Code)
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+c.Code)))
		waitHeading(t, phone, tb.T("en", "join.full_title"))
		must(t, phone.WaitJS(Patience, "the full screen's text", fmt.Sprintf(`document.querySelector("#main section p").textContent === %s && document.querySelector("#main section button") !== null`, JS(tb.T("en", "join.full"))), joinScreen))
		stored, err := Eval[bool](phone, fmt.Sprintf(`localStorage.getItem(%s) !== null`, JS("townhall.token."+c.Code)))
		must(t, err)
		if stored {
			t.Error("the refused phone stored a token")
		}
		checkAxe(t, phone, runAxe(t, phone, src))
	})

	t.Run("session ended", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		c := createSession(t, srv.URL(), "Over")
		endSession(t, srv, c)
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+c.Code)))
		waitHeading(t, phone, tb.T("en", "join.ended_title"))
		must(t, phone.WaitJS(Patience, "the ended screen's text", fmt.Sprintf(`document.querySelector("#main section p").textContent === %s`, JS(tb.T("en", "join.ended"))), joinScreen))
		checkAxe(t, phone, runAxe(t, phone, src))
	})

	t.Run("server busy, retried by itself", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		c := createSession(t, srv.URL(), "Busy")
		// The first two joins get what the server answers when its store is
		// away; then the real server answers.
		p := startJoinProxy(t, srv, func(n int64, w http.ResponseWriter) bool {
			if n > 2 {
				return false
			}
			refuseJoin(w, http.StatusServiceUnavailable, "unavailable", "1")
			return true
		})
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(p.url+"/j/"+c.Code)))
		waitHeading(t, phone, tb.T("en", "join.busy_title"))
		must(t, phone.WaitJS(Patience, "the busy screen's countdown", fmt.Sprintf(`document.querySelector("#main section p").textContent === %s`, JS(tb.T("en", "join.busy", "n", 1))), joinScreen))
		checkAxe(t, phone, runAxe(t, phone, src))
		must(t, phone.WaitJS(Patience, "the page joined after the busy answers",
			fmt.Sprintf(`localStorage.getItem(%s) !== null && document.querySelector("#main > section") !== null && !document.querySelector("#main > .loading") && document.querySelector("#main h1").textContent === %s`,
				JS("townhall.token."+c.Code), JS(tb.T("en", "waiting.title"))),
			joinScreen))
		if n := p.joins.Load(); n != 3 {
			t.Errorf("the page asked to join %d times; want 2 busy answers and 1 success", n)
		}
		if participants(t, srv, c) != 1 {
			t.Error("the session does not have the one participant")
		}
	})

	t.Run("store away, then back: the page joins by itself", func(t *testing.T) {
		t.Parallel()
		rd := redistest.Start(t, redistest.Options{AOF: true})
		srv := startServerArgs(t, "--redis", rd.URL(), "--secret", randomHex(32))
		c := createSession(t, srv.URL(), "Redis away")
		rd.Down()
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+c.Code)))
		waitHeading(t, phone, tb.T("en", "join.busy_title"))
		rd.Up()
		must(t, phone.WaitJS(Patience, "the page joined once Redis was back",
			fmt.Sprintf(`localStorage.getItem(%s) !== null && document.querySelector("#main h1").textContent === %s`,
				JS("townhall.token."+c.Code), JS(tb.T("en", "waiting.title"))),
			joinScreen))
		if participants(t, srv, c) != 1 {
			t.Error("the session does not have the one participant")
		}
	})

	t.Run("server busy for too long", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		c := createSession(t, srv.URL(), "Always busy")
		p := startJoinProxy(t, srv, func(n int64, w http.ResponseWriter) bool {
			refuseJoin(w, http.StatusServiceUnavailable, "unavailable", "1")
			return true
		})
		phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(p.url+"/j/"+c.Code)))
		must(t, phone.WaitJS(Patience, "the page to stop retrying", fmt.Sprintf(`(document.querySelector("#main section p") || {}).textContent === %s`, JS(tb.T("en", "join.busy_failed"))), joinScreen))
		if n := p.joins.Load(); n != 6 {
			t.Errorf("the page asked %d times; want 1 and 5 retries", n)
		}
		checkAxe(t, phone, runAxe(t, phone, src))
		// The person decides when to ask again.
		must(t, phone.Do(chromedp.Click(chromedp.CSS("#main section button"))))
		pollUntil(t, "another join after the click", func() bool { return p.joins.Load() == 7 })
	})

	t.Run("a request the server does not take", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t)
		c := createSession(t, srv.URL(), "Odd")
		var mu sync.Mutex
		status := http.StatusUnsupportedMediaType
		p := startJoinProxy(t, srv, func(n int64, w http.ResponseWriter) bool {
			mu.Lock()
			defer mu.Unlock()
			code := "unsupported_media_type"
			if status == http.StatusBadRequest {
				code = "bad_request"
			}
			refuseJoin(w, status, code, "")
			return true
		})
		for _, st := range []int{http.StatusUnsupportedMediaType, http.StatusBadRequest} {
			mu.Lock()
			status = st
			mu.Unlock()
			phone := newTab(t, fmt.Sprintf("phone %d", st), PhoneWidth, PhoneHeight)
			must(t, phone.Do(chromedp.Navigate(p.url+"/j/"+c.Code)))
			waitHeading(t, phone, tb.T("en", "join.failed_title"))
			must(t, phone.WaitJS(Patience, "the generic text and a retry", fmt.Sprintf(`document.querySelector("#main section p").textContent === %s && document.querySelector("#main section button").textContent === %s`,
				JS(tb.T("en", "join.failed")), JS(tb.T("en", "join.retry"))), joinScreen))
		}
	})
}

// pollUntil checks cond every 100 ms until it holds, for at most Patience.
func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", Patience, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func regexpReplace(s, old, new string) string {
	return regexp.MustCompile(regexp.QuoteMeta(old)).ReplaceAllLiteralString(s, new)
}

// joinProxy stands between the browser and a real server: it passes
// everything (websockets too) but lets the test answer POST /api/join.
type joinProxy struct {
	url   string
	joins atomic.Int64
}

// startJoinProxy starts the proxy; answer gets the count of joins so far
// (from 1) and answers the request itself (true) or lets it pass.
func startJoinProxy(t *testing.T, srv *Server, answer func(n int64, w http.ResponseWriter) bool) *joinProxy {
	t.Helper()
	target, err := url.Parse(srv.URL())
	must(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &joinProxy{}
	addr, err := FreeAddr()
	must(t, err)
	hs := &http.Server{Addr: addr, ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/join" {
			if answer(p.joins.Add(1), w) {
				return
			}
		}
		rp.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", addr)
	must(t, err)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	p.url = "http://" + addr
	return p
}

// refuseJoin writes an error answer in the server's shape.
func refuseJoin(w http.ResponseWriter, status int, code, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": "Refused by the test."}})
}
