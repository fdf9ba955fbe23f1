package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	kbd "github.com/chromedp/chromedp/kb"
	"github.com/coder/websocket"
)

const (
	// boardSize is the protocol's default cap of Q&A entries per activity,
	// asked by boardAskers attendees at the per-participant cap each.
	boardSize   = 5000
	perAsker    = 20
	boardAskers = boardSize / perAsker
	// askersAtOnce bounds the websockets open at a time while the board
	// fills.
	askersAtOnce = 25
	// qaPage is the number of questions the console draws at a time, and
	// phonePage the number a phone does.
	qaPage    = 100
	phonePage = 50
	// everyNth question mentions filterWord, for the filter to find.
	everyNth   = 100
	filterWord = "bicycle"
)

// ask joins the session and asks n questions over one websocket, as a
// phone would, and returns when every one is acked.
func ask(ctx context.Context, base, code, activity string, asker, n int) error {
	body, _ := json.Marshal(map[string]string{"code": code})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/join", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var j struct {
		Token string `json:"token"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(data, &j) != nil || j.Token == "" {
		return fmt.Errorf("join: %s: %s", res.Status, data)
	}
	ws, _, err := websocket.Dial(ctx, strings.Replace(base, "http://", "ws://", 1)+"/ws", nil)
	if err != nil {
		return err
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4 << 20)
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": j.Token, "since": 0, "patches": false})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		return err
	}
	sent := false
	acked := 0
	frames := map[string][]byte{}
	retries := 0
	for acked < n {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("asker %d after %d acks: %w", asker, acked, err)
		}
		var m struct {
			Type, ID, Code, Message string
			Retryable               bool
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		switch m.Type {
		case "welcome":
			if sent {
				return errors.New("welcomed twice")
			}
			sent = true
			for i := range n {
				q := asker*n + i
				text := fmt.Sprintf("Question %d from asker %d: when does the council fund item %d?", q, asker, q)
				if q%everyNth == 0 {
					text = fmt.Sprintf("Question %d from asker %d: a %s lane on street %d?", q, asker, filterWord, q)
				}
				id := fmt.Sprintf("a%d-%d", asker, i)
				cmd, _ := json.Marshal(map[string]any{"type": "cmd", "id": id, "op": "qa.ask", "activity": activity, "text": text})
				frames[id] = cmd
				if err := ws.Write(ctx, websocket.MessageText, cmd); err != nil {
					return err
				}
			}
		case "ack":
			acked++
		case "error":
			// A busy server asks for the same id again, as conn.js does.
			if m.Retryable && frames[m.ID] != nil && retries < 10*n {
				retries++
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(200 * time.Millisecond):
				}
				if err := ws.Write(ctx, websocket.MessageText, frames[m.ID]); err != nil {
					return err
				}
				continue
			}
			if m.ID != "" {
				return fmt.Errorf("asker %d: %s refused: %s %s", asker, m.ID, m.Code, m.Message)
			}
		}
	}
	ws.Close(websocket.StatusNormalClosure, "")
	return nil
}

// fillBoard has boardAskers attendees ask perAsker questions each, a
// bounded number of them at a time.
func fillBoard(t *testing.T, srv *Server, code, activity string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	sem := make(chan struct{}, askersAtOnce)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range boardAskers {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := ask(ctx, srv.URL(), code, activity, i, perAsker); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("filling the board: %v", errs[0])
	}
	t.Logf("%d attendees asked %d questions in %v", boardAskers, boardSize, time.Since(start).Round(100*time.Millisecond))
}

// perfProbe runs in the console before its own scripts: it records the
// main thread's long tasks and when the Q&A list first holds a page of
// questions.
const perfProbe = `(() => {
	window.__longTasks = [];
	try {
		new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
			.observe({type: "longtask", buffered: true});
	} catch (e) {}
	const look = () => {
		const list = document.querySelector(".qa-rows");
		if (list && list.children.length >= ` + "100" + `) { window.__firstPage = performance.now(); return; }
		requestAnimationFrame(look);
	};
	requestAnimationFrame(look);
})()`

// startClock starts a clock in the page that stops once cond holds
// (checked on every DOM change and every frame) and leaves the
// milliseconds it took in window[name] (-1 after 20 s).
func startClock(tab *Tab, name, cond string) error {
	_, err := Eval[chromedp.Void](tab, fmt.Sprintf(`(() => {
		const name = %s;
		window[name] = undefined;
		const t0 = performance.now();
		let done = false;
		const check = () => {
			if (done) return true;
			if (!(%s)) return false;
			done = true;
			window[name] = performance.now() - t0;
			return true;
		};
		const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });
		obs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
		const frame = () => { if (!check()) requestAnimationFrame(frame); else obs.disconnect(); };
		requestAnimationFrame(frame);
		setTimeout(() => { if (!done) { done = true; window[name] = -1; obs.disconnect(); } }, 20000);
	})()`, JS(name), cond))
	return err
}

// readClock waits for the clock started as name and returns its reading.
func readClock(t *testing.T, tab *Tab, name string) float64 {
	t.Helper()
	must(t, tab.WaitJS(Patience+5*time.Second, "the clock "+name, fmt.Sprintf(`window[%s] !== undefined`, JS(name)), ""))
	ms, err := Eval[float64](tab, fmt.Sprintf(`window[%s]`, JS(name)))
	must(t, err)
	return ms
}

// TestConsoleLargeBoard: a Q&A board at its cap of 5,000 questions, asked by
// 250 attendees over the server, opens in the console with a bounded number
// of rows; "Show more" and the filter reach the others by keyboard, and a
// moderation click still goes through.
func TestConsoleLargeBoard(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	hostT := tables(t, "host")
	var created Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]string{"title": "Big board"}, &created)
	fac := connect(t, "host", created.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	ack := fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Questions", "moderated": false}})
	var qa string
	must(t, json.Unmarshal(ack.Activity, &qa))
	fac.must("activity.open", map[string]any{"activity": qa})
	fac.must("activity.present", map[string]any{"activity": qa})
	// The askers are not shown the board: 250 phones each receiving a board
	// of thousands of questions four times a second is another test.
	fac.must("activity.reveal", map[string]any{"activity": qa, "attendees": false, "display": false})
	fillBoard(t, srv, created.Code, qa)

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	_, err := chromedp.Call(host.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: perfProbe})
	must(t, err)
	must(t, host.Do(chromedp.Navigate(srv.URL()+"/host/"+created.ID+"#"+created.FacilitatorKey)))
	card := Card(qa)
	rows := JS(card + " .qa-rows > li")
	count := fmt.Sprintf(`document.querySelectorAll(%s).length`, rows)
	info := textOf(card + " .hint")
	must(t, host.WaitJS(Patience, "the board on the console", fmt.Sprintf(`%s === %d && %s.includes(%s)`, count, qaPage, info, JS(hostT.T("en", "qa.count", "n", boardSize))), fmt.Sprintf(`[%s, %s]`, count, info)))
	firstPage, err := Eval[float64](host, `window.__firstPage || -1`)
	must(t, err)
	shown := textOf(card + " .qa-shown")
	if got, err := Eval[string](host, shown); err != nil || got != hostT.T("en", "qa.showing", "shown", qaPage, "n", boardSize) {
		t.Errorf("the console says %q (%v); want %q", got, err, hostT.T("en", "qa.showing", "shown", qaPage, "n", boardSize))
	}
	nodes, err := Eval[int](host, `document.getElementsByTagName("*").length`)
	must(t, err)
	t.Logf("the console drew its first %d of %d questions %.0f ms after navigation; the page holds %d elements", qaPage, boardSize, firstPage, nodes)
	if nodes > 20*qaPage+1000 {
		t.Errorf("the console holds %d elements for %d questions drawn: the rows are not bounded", nodes, qaPage)
	}

	// "Show more", by keyboard: a hundred more rows, and the focus on the
	// first of them.
	more := card + " .activity-body > button"
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`document.querySelector(%s).focus()`, JS(more)))
	must(t, err)
	if ok, err := Eval[bool](host, fmt.Sprintf(`document.activeElement === document.querySelector(%s) && document.activeElement.textContent === %s`, JS(more), JS(hostT.T("en", "qa.showMore", "n", qaPage)))); err != nil || !ok {
		t.Fatalf("the show-more button is not there or takes no focus (%v): %s", err, focused(host))
	}
	must(t, startClock(host, "more", fmt.Sprintf(`%s === %d`, count, 2*qaPage)))
	must(t, press(host, "\r"))
	must(t, host.WaitJS(Patience, "two pages of questions", fmt.Sprintf(`%s === %d && document.activeElement === document.querySelectorAll(%s)[%d]`, count, 2*qaPage, rows, qaPage), fmt.Sprintf(`[%s, document.activeElement.outerHTML.slice(0, 80)]`, count)))
	moreMS := readClock(t, host, "more")

	// The filter, by keyboard: type a word, Enter, and only the matching
	// questions are listed.
	search := card + ` .qa-tools input[type="search"]`
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`document.querySelector(%s).focus()`, JS(search)))
	must(t, err)
	matching := boardSize / everyNth
	must(t, startClock(host, "filter", fmt.Sprintf(`%s === %d && [...document.querySelectorAll(%s)].every(li => li.textContent.includes(%s))`, count, matching, rows, JS(filterWord))))
	must(t, host.Do(chromedp.KeyEvent(filterWord)))
	must(t, press(host, "\r"))
	filterMS := readClock(t, host, "filter")
	if filterMS < 0 {
		t.Fatalf("the filter did not list the %d questions with %q: %v", matching, filterWord, mustText(host, count))
	}
	if got, err := Eval[string](host, shown); err != nil || got != hostT.T("en", "qa.showingFound", "shown", matching, "n", matching) {
		t.Errorf("with the filter the console says %q (%v)", got, err)
	}

	// A moderation click on a large board still goes through: hide the
	// first match, from the keyboard.
	hide := fmt.Sprintf(`document.querySelector(%s + " .row-actions button[data-action=hide]")`, JS(card+" .qa-rows > li:first-child"))
	entryID, err := Eval[string](host, fmt.Sprintf(`document.querySelector(%s).dataset.key`, JS(card+" .qa-rows > li:first-child")))
	must(t, err)
	must(t, startClock(host, "hide", fmt.Sprintf(`(() => { const li = [...document.querySelectorAll(%s)].find(li => li.dataset.key === %s); return !!li && li.dataset.status === "hidden"; })()`, rows, JS(entryID))))
	_, err = Eval[chromedp.Void](host, hide+`.focus()`)
	must(t, err)
	must(t, press(host, "\r"))
	hiddenMS := readClock(t, host, "hide")
	if hiddenMS < 0 {
		t.Fatalf("the hidden question is not shown hidden on the console")
	}
	if n, err := Eval[int](host, count); err != nil || n != matching {
		t.Errorf("after a push the console lists %d questions (%v); want the %d matches", n, err, matching)
	}

	// Clearing the filter goes back to the first page.
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`(() => { const s = document.querySelector(%s); s.focus(); s.select(); })()`, JS(search)))
	must(t, err)
	must(t, host.Do(chromedp.KeyEvent(kbd.Backspace)))
	must(t, press(host, "\r"))
	must(t, host.WaitJS(Patience, "the first page again", fmt.Sprintf(`%s === %d`, count, qaPage), count))

	longTasks, err := Eval[[]float64](host, `window.__longTasks || []`)
	must(t, err)
	longest := 0.0
	for _, d := range longTasks {
		longest = max(longest, d)
	}
	t.Logf("show %d more: %.0f ms; type the filter word and Enter until %d matches are listed: %.0f ms; a moderation by keyboard seen on the console: %.0f ms; long tasks: %d, the longest %.0f ms", qaPage, moreMS, matching, filterMS, hiddenMS, len(longTasks), longest)
	// Last, as axe itself is a long task.
	checkAxe(t, host, runAxe(t, host, axeSource(t)))

	// A phone shown the whole board draws a page of it too.
	att := tables(t, "attendee")
	fac.must("activity.reveal", map[string]any{"activity": qa, "attendees": true, "display": false})
	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	phoneRows := `document.querySelectorAll("#main .qa > ul.entries > li")`
	phoneMore := `[...document.querySelectorAll("#main .qa > button")].find(b => !b.hidden)`
	must(t, phone.WaitJS(Patience, "a page of questions on the phone", fmt.Sprintf(`%s.length === %d && %s.textContent === %s`, phoneRows, phonePage, phoneMore, JS(att.T("en", "qa.show_more", "n", phonePage))), phoneRows+`.length`))
	_, err = Eval[chromedp.Void](phone, phoneMore+`.focus()`)
	must(t, err)
	must(t, press(phone, "\r"))
	must(t, phone.WaitJS(Patience, "two pages on the phone", fmt.Sprintf(`%s.length === %d && document.activeElement === %s[%d]`, phoneRows, 2*phonePage, phoneRows, phonePage), phoneRows+`.length`))
}

func mustText(tab *Tab, expr string) string {
	v, err := Eval[any](tab, expr)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(v)
}

// TestPhoneLimitMessage: an attendee who has asked as many questions as a
// participant may gets the server's sentence on the phone when asking one
// more, and the board does not grow.
func TestPhoneLimitMessage(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	var created Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]string{"title": "Limits"}, &created)
	fac := connect(t, "host", created.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	ack := fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "qa", "title": "Questions", "moderated": false}})
	var qa string
	must(t, json.Unmarshal(ack.Activity, &qa))
	fac.must("activity.open", map[string]any{"activity": qa})
	fac.must("activity.present", map[string]any{"activity": qa})

	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	must(t, phone.WaitJS(Patience, "the question form", `!!document.getElementById("question")`, `document.getElementById("main").innerText.slice(0, 300)`))
	// The same participant asks its 20 questions from another socket of
	// the same token, quicker than typing them.
	token, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s)`, JS("townhall.token."+created.Code)))
	must(t, err)
	same := connect(t, "samephone", token, []string{srv.Addr}, 0, clientOpts{})
	for i := range perAsker {
		same.must("qa.ask", map[string]any{"activity": qa, "text": fmt.Sprintf("Question number %d?", i+1)})
	}

	must(t, phone.Do(
		chromedp.SendKeys(chromedp.ID("question"), "One question too many?"),
		chromedp.Click(chromedp.CSS(`#main .qa form button[type=submit]`)),
	))
	want := fmt.Sprintf("You have asked %d questions, the most allowed.", perAsker)
	must(t, phone.WaitJS(Patience, "the limit on the phone", fmt.Sprintf(`%s === %s`, textOf("#alert"), JS(want)), textOf("#alert")))
	if v, err := Eval[string](phone, `document.getElementById("question").value`); err != nil || v != "One question too many?" {
		t.Errorf("the refused question was not kept in the form: %q (%v)", v, err)
	}
	var x struct {
		Activities []struct {
			ID      string            `json:"id"`
			Entries []json.RawMessage `json:"entries"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &x))
	for _, a := range x.Activities {
		if a.ID == qa && len(a.Entries) != perAsker {
			t.Errorf("the board holds %d questions; want %d", len(a.Entries), perAsker)
		}
	}
}
