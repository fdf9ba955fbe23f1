package web

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/e2e"
	"github.com/townhall/townhall/hub"
)

// TestAttendeePageSendsTheJoinKey opens the join link, key in the
// fragment, in a real Chromium from an address whose failed-join budget
// someone has spent: the page sends the key and joins. Without the key
// the same page is held back.
func TestAttendeePageSendsTheJoinKey(t *testing.T) {
	t.Parallel()
	if !e2e.HaveChromium() {
		t.Fatalf("Chromium is not installed at %s (make deps installs it)", e2e.ChromiumPath)
	}
	s := newTestServer(t, func(w *Config, _ *hub.Config) { w.JoinFailures, w.JoinFailureEvery = 1, time.Hour })
	sess, key, _ := s.createWithKey(t, "Scanned")
	if a := s.tryJoin(t, map[string]string{"code": wrongCode(sess.Code, rand.New(rand.NewPCG(7, 8)))}); a.status != http.StatusNotFound {
		t.Fatalf("the guess: %d", a.status)
	}
	if a := s.tryJoin(t, map[string]string{"code": sess.Code}); a.status != http.StatusTooManyRequests {
		t.Fatalf("the budget is not spent: %d", a.status)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), e2e.BrowserOptions(filepath.Join(t.TempDir(), "profile"))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	open := func(name, url string) *e2e.Tab {
		tab, err := e2e.NewTab(browser, name, 400, 800)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(tab.Ctx, time.Minute)
		tab.Ctx = ctx
		t.Cleanup(func() { cancel(); tab.Cancel() })
		if err := tab.Do(chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		return tab
	}

	// The page's title for a 429, in any of its languages.
	var tables map[string]map[string]string
	raw, err := os.ReadFile("../static/i18n/attendee.json")
	if err != nil || json.Unmarshal(raw, &tables) != nil {
		t.Fatalf("reading the attendee page's translations: %v", err)
	}
	var titles []string
	for _, tb := range tables {
		titles = append(titles, tb["join.limited_title"])
	}
	titlesJS, _ := json.Marshal(titles)
	typed := open("typed", s.URL+"/j/"+sess.Code)
	if err := typed.WaitJS(e2e.Patience, "the limited screen of a typed code",
		`(() => { const h = document.querySelector("#main section.msg h1"); return !!h && `+string(titlesJS)+`.includes(h.textContent); })()`,
		`document.getElementById("main").innerText.slice(0, 200)`); err != nil {
		t.Fatal(err)
	}
	scanned := open("scanned", s.URL+"/j/"+sess.Code+"#"+key)
	if err := e2e.WaitAttendeeReady(scanned, sess.Code); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the scanned phone in the export", func() bool { return s.exported(t, sess)["participants"] == float64(1) })
	if tok, err := e2e.Eval[string](typed, `localStorage.getItem("townhall.token.`+sess.Code+`") || ""`); err != nil || tok != "" {
		t.Fatalf("the typed code joined while the budget is spent: %q %v", tok, err)
	}
}
