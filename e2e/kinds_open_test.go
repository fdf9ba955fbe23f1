package e2e

// The open question in a real Chromium: prepared and moderated from the
// console, answered from three phones, shown as a wall on the display, and
// in the export; patch.js and the Go twin order a wall alike.

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/hub/patch"
)

// openQRoom is a session with a moderated open question presented and open.
type openQRoom struct {
	srv     *Server
	created Created
	id      string
	host    *Tab
	display *Tab
	phones  []*Tab
	att     Tables
	show    Tables
	hostT   Tables
}

const openTitle = "In one sentence, what should cities do first?"

// openQuestionRoom prepares the question on the console (moderated, 120
// characters at most), presents and opens it, opens the display from the
// console's link and joins n phones.
func openQuestionRoom(t *testing.T, n int) *openQRoom {
	t.Helper()
	r := &openQRoom{srv: startServer(t), att: tables(t, "attendee"), show: tables(t, "show"), hostT: tables(t, "host")}
	r.host = newTab(t, "console", ScreenWidth, ScreenHeight)
	var err error
	r.created, err = CreateSession(r.host, r.srv.URL(), "City network")
	must(t, err)
	must(t, chooseKind(r.host, "open"))
	// A bad cap is refused on the form, before anything is sent.
	must(t, r.host.Do(
		chromedp.SendKeys(chromedp.ID("open-title"), openTitle),
		chromedp.SetValue(chromedp.ID("open-max-length"), "5000"),
		chromedp.Click(chromedp.CSS(`#form-open button[type=submit]`)),
	))
	must(t, r.host.WaitJS(Patience, "the form's refusal of 5000 characters", fmt.Sprintf(`%s.includes(%s)`, consoleErrors, JS(r.hostT.T("en", "open.badLength"))), consoleErrors))
	must(t, r.host.Do(
		chromedp.SetValue(chromedp.ID("open-max-length"), "120"),
		chromedp.Click(chromedp.ID("open-moderated")),
		chromedp.Click(chromedp.CSS(`#form-open button[type=submit]`)),
	))
	r.id, err = waitCard(r.host, openTitle)
	must(t, err)
	must(t, PresentAndOpen(r.host, r.id))

	link, err := ShowLink(r.host)
	must(t, err)
	r.display = newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, r.display.Do(chromedp.Navigate(link)))
	must(t, r.display.WaitJS(Patience, "the open question on the display",
		fmt.Sprintf(`!!document.querySelector(".show-open") && document.querySelector(".show-open .show-title").textContent === %s`, JS(openTitle)),
		`document.body.innerText.slice(0, 300)`))
	for i := range n {
		p := newTab(t, fmt.Sprintf("phone %d", i+1), PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(p, r.srv.URL(), r.created.Code))
		must(t, p.WaitJS(Patience, "the answer form", `!!document.querySelector("#main .act.open #open-answer") && !document.querySelector("#main .act.open form").hidden`,
			`document.getElementById("main").innerText.slice(0, 300)`))
		r.phones = append(r.phones, p)
	}
	return r
}

// answer types text on a phone, checks the characters left, sends it and
// waits for the confirmation.
func (r *openQRoom) answer(t *testing.T, p *Tab, text string) {
	t.Helper()
	must(t, p.Do(chromedp.SendKeys(chromedp.ID("open-answer"), text)))
	left := 120 - len([]rune(text))
	must(t, p.WaitJS(Patience, "the characters left", fmt.Sprintf(`%s === %s`, textOf("#open-left"), JS(r.att.T("en", "open.left", "n", left))), textOf("#open-left")))
	must(t, p.Do(chromedp.Click(chromedp.CSS(`#main .act.open form button[type=submit]`))))
	must(t, p.WaitJS(Patience, "the answer's confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.open .confirm"), JS(r.att.T("en", "open.received_moderated"))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .act.open .confirm"))))
}

// entryOf is the id of the console's row showing text.
func (r *openQRoom) entryOf(t *testing.T, text string) string {
	t.Helper()
	expr := fmt.Sprintf(`(() => { for (const li of document.querySelectorAll(%s)) if (li.querySelector(".row-text").textContent === %s) return li.dataset.key; return ""; })()`,
		JS(Card(r.id)+" .open-row"), JS(text))
	must(t, r.host.WaitJS(Patience, "the console's row of "+text, expr, fmt.Sprintf(`document.querySelector(%s).innerText`, JS(Card(r.id)))))
	id, err := Eval[string](r.host, expr)
	must(t, err)
	return id
}

// moderate clicks a row's action and waits for the row's new status.
func (r *openQRoom) moderate(t *testing.T, entry, action, status string) {
	t.Helper()
	li := fmt.Sprintf(`%s .open-row[data-key=%s]`, Card(r.id), JS(entry))
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(li+fmt.Sprintf(` button[data-action=%s]`, JS(action))))))
	must(t, r.host.WaitJS(Patience, "the row "+status+" after "+action, fmt.Sprintf(`document.querySelector(%s).dataset.status === %s`, JS(li), JS(status)), consoleErrors))
}

// TestOpenFlow: an open question from the console to three phones; one
// answer is approved, one hidden, one approved and highlighted; the display
// shows the wall newest first with the highlighted answer larger and whole;
// the phones see their own answers' status; the export has every answer.
func TestOpenFlow(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	r := openQuestionRoom(t, 3)
	texts := []string{
		"Plant trees on every street",
		"Something the moderator will not show",
		// Long enough to wrap on the wall: it must never be cut.
		"Open the school yards after hours so that every neighbourhood has a green place to meet, play and cool down in summer",
	}
	for i, p := range r.phones {
		r.answer(t, p, texts[i])
	}
	// Nothing is on the wall before it is approved, but the room sees it
	// is heard.
	must(t, r.display.WaitJS(Patience, "three answers counted, none shown", fmt.Sprintf(`document.querySelectorAll(".open-card").length === 0 && [...document.querySelectorAll(".show-open .show-count")].some(e => e.textContent === %s)`,
		JS(r.show.T("en", "open.count", "n", 3))), `document.querySelector(".show-open").innerText`))
	// One answer per person: the form is gone.
	must(t, r.phones[0].WaitJS(Patience, "the phone's last answer sent", fmt.Sprintf(`document.querySelector("#main .act.open form").hidden && !document.querySelector("#main .act.open .done").hidden && %s === %s`, textOf("#main .act.open .done"), JS(r.att.T("en", "open.done"))), textOf("#main .act.open")))

	ids := make([]string, 3)
	for i, s := range texts {
		ids[i] = r.entryOf(t, s)
		must(t, r.host.WaitJS(Patience, "a pending row", fmt.Sprintf(`document.querySelector(%s).dataset.status === "pending"`, JS(Card(r.id)+" .open-row[data-key="+JS(ids[i])+"]")), ""))
	}
	r.moderate(t, ids[0], "approve", "visible")
	r.moderate(t, ids[1], "hide", "hidden")
	r.moderate(t, ids[2], "approve", "visible")
	r.moderate(t, ids[2], "highlight", "visible")
	must(t, r.host.WaitJS(Patience, "the highlighted row", fmt.Sprintf(`document.querySelector(%s).classList.contains("is-highlighted")`, JS(Card(r.id)+" .open-row[data-key="+JS(ids[2])+"]")), consoleErrors))

	// The wall: newest first, the highlighted one larger, every text whole.
	want, _ := json.Marshal([]string{texts[2], texts[0]})
	must(t, r.display.WaitJS(Patience, "the wall", fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(".open-card .open-text")].map(e => e.textContent)) === %s
		&& document.querySelectorAll(".open-card")[0].classList.contains("is-highlighted")`, JS(string(want))),
		fmt.Sprintf(`[JSON.stringify([...document.querySelectorAll(".open-card .open-text")].map(e => e.textContent)), %s, [...document.querySelectorAll(".open-card")].map(e => e.className)]`, JS(string(want)))))
	var wall struct {
		Big, Small float64
		Cut        []string
	}
	raw, err := Eval[string](r.display, `JSON.stringify((() => {
		const p = [...document.querySelectorAll(".open-card .open-text")];
		const size = (e) => parseFloat(getComputedStyle(e).fontSize);
		const cut = p.filter(e => { const b = e.getBoundingClientRect(); return e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1 || b.bottom > innerHeight || b.right > innerWidth; }).map(e => e.textContent);
		return {big: size(p[0]), small: size(p[1]), cut};
	})())`)
	must(t, err)
	must(t, json.Unmarshal([]byte(raw), &wall))
	if wall.Big <= wall.Small || wall.Small < 20 {
		t.Errorf("the highlighted answer is drawn at %.1fpx, the other at %.1fpx: want it larger, both readable from afar", wall.Big, wall.Small)
	}
	if len(wall.Cut) > 0 {
		t.Errorf("answers cut on the wall: %q", wall.Cut)
	}
	// The same as text in the display's aria-live list.
	live, _ := json.Marshal([]string{r.show.T("en", "live.openHighlighted", "text", texts[2]), texts[0], r.show.T("en", "open.count", "n", 3)})
	must(t, r.display.WaitJS(Patience, "the wall in the aria-live list", fmt.Sprintf(`(() => {
		const items = [...document.querySelectorAll("#live li")].map(e => e.textContent);
		return %s.every(s => items.includes(s)) && !items.includes(%s) && !!document.querySelector("#live").closest("[aria-live]");
	})()`, string(live), JS(texts[1])), `[...document.querySelectorAll("#live li")].map(e => e.textContent)`))

	// Each phone sees its own answer's status, and says it in aria-live.
	status := []string{r.att.T("en", "open.visible"), r.att.T("en", "open.not_shown"), r.att.T("en", "open.visible") + " · " + r.att.T("en", "open.highlighted")}
	for i, p := range r.phones {
		must(t, p.WaitJS(Patience, "the phone's own answer", fmt.Sprintf(`(() => {
			const li = document.querySelector("#main .act.open .entry.mine");
			return !!li && li.querySelector(".qtext").textContent === %s && li.querySelector(".badges").textContent === %s;
		})()`, JS(texts[i]), JS(status[i])), textOf("#main .act.open")))
	}
	must(t, r.phones[1].WaitJS(Patience, "the hidden answer said in aria-live", fmt.Sprintf(`[...document.querySelectorAll("#main .act.open [aria-live]")].some(e => e.textContent === %s)`,
		JS(r.att.T("en", "open.status", "visible", 0, "pending", 0, "hidden", 1))), `[...document.querySelectorAll("#main [aria-live]")].map(e => e.textContent)`))
	must(t, r.phones[0].WaitJS(Patience, "the shown answer said in aria-live", fmt.Sprintf(`[...document.querySelectorAll("#main .act.open [aria-live]")].some(e => e.textContent === %s)`,
		JS(r.att.T("en", "open.status", "visible", 1, "pending", 0, "hidden", 0))), `[...document.querySelectorAll("#main [aria-live]")].map(e => e.textContent)`))

	// "Received" is said once, in the status region, and holds while the
	// question is open; closed, it goes, the answers' status staying.
	confirm := `document.querySelector("#main .act.open .confirm")`
	if got, err := Eval[string](r.phones[0], confirm+`.getAttribute("role") + "|" + `+confirm+`.textContent`); err != nil || got != "status|"+r.att.T("en", "open.received_moderated") {
		t.Errorf("the phone's confirmation while open: %q (%v)", got, err)
	}
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(Card(r.id)+` .activity-controls .actions > button:nth-child(2)`))))
	for _, p := range r.phones {
		must(t, p.WaitJS(Patience, "no confirmation once the question is closed", fmt.Sprintf(`%s.textContent === "" && %s === %s && !!document.querySelector("#main .act.open .entry.mine .badges")`,
			confirm, textOf("#act-state"), JS(r.att.T("en", "open.closed"))), textOf("#main .act.open")))
	}

	// The export: every answer, the hidden one marked, in JSON and CSV.
	var ex struct {
		Activities []struct {
			ID        string `json:"id"`
			Kind      string `json:"kind"`
			Responses int    `json:"responses"`
			Entries   []struct {
				ID          string `json:"id"`
				Text        string `json:"text"`
				Status      string `json:"status"`
				Highlighted bool   `json:"highlighted"`
				Lang        string `json:"lang"`
			} `json:"entries"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, r.srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &ex))
	var got []string
	for _, a := range ex.Activities {
		if a.ID != r.id {
			continue
		}
		if a.Kind != "open" || a.Responses != 3 {
			t.Errorf("export: kind %q, responses %d", a.Kind, a.Responses)
		}
		for _, e := range a.Entries {
			got = append(got, fmt.Sprintf("%s %s %v %s", e.Text, e.Status, e.Highlighted, e.Lang))
		}
	}
	wantEx := []string{texts[2] + " visible true en", texts[1] + " hidden false en", texts[0] + " visible false en"}
	if !reflect.DeepEqual(got, wantEx) {
		t.Errorf("export entries:\n got %q\nwant %q", got, wantEx)
	}
	rows := openCSV(t, r)
	var csvGot []string
	for _, row := range rows[1:] {
		if row[0] == r.id {
			csvGot = append(csvGot, row[3]+" | "+row[5]+" | "+row[len(row)-1])
		}
	}
	wantCSV := []string{texts[2] + " | visible highlighted | en", texts[1] + " | hidden | en", texts[0] + " | visible | en"}
	if !reflect.DeepEqual(csvGot, wantCSV) {
		t.Errorf("CSV rows:\n got %q\nwant %q", csvGot, wantCSV)
	}
	if rows[0][len(rows[0])-1] != "language" {
		t.Errorf("CSV header %q", rows[0])
	}
}

func openCSV(t *testing.T, r *openQRoom) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL()+"/api/sessions/"+r.created.ID+"/export?format=csv", nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+r.created.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	must(t, err)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("CSV export: %s: %s", res.Status, body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	must(t, err)
	return rows
}

// TestOpenAccessibility runs axe-core on the open question's screens: the
// console with its moderation list, the phone with its answer and status,
// and the display's wall, whose contrast must hold.
func TestOpenAccessibility(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	src := axeSource(t)
	r := openQuestionRoom(t, 1)
	r.answer(t, r.phones[0], "Housing first")
	id := r.entryOf(t, "Housing first")
	checkAxe(t, r.host, runAxe(t, r.host, src))
	r.moderate(t, id, "approve", "visible")
	r.moderate(t, id, "highlight", "visible")
	must(t, r.display.WaitJS(Patience, "the answer on the wall", `document.querySelectorAll(".open-card.is-highlighted").length === 1`, `document.querySelector(".show-open").innerText`))
	must(t, r.phones[0].WaitJS(Patience, "the phone's status", `!!document.querySelector("#main .act.open .entry.mine .badges")`, ""))
	checkAxe(t, r.host, runAxe(t, r.host, src))
	checkAxe(t, r.phones[0], runAxe(t, r.phones[0], src))
	// The phone's whole page with this kind's module and style sheet, as
	// sent (compressed), stays in the attendee budget.
	var weight struct {
		Total int
		URLs  []string
	}
	raw, err := Eval[string](r.phones[0], `JSON.stringify((() => {
		const all = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
			.filter(e => new URL(e.name).origin === location.origin && !e.name.includes("/api/") && !e.name.includes("/ws"));
		return {total: all.reduce((n, e) => n + e.encodedBodySize, 0), urls: all.map(e => new URL(e.name).pathname)};
	})())`)
	must(t, err)
	must(t, json.Unmarshal([]byte(raw), &weight))
	if !contains(weight.URLs, "/static/js/kinds/open.js") || !contains(weight.URLs, "/static/css/kinds/open.css") {
		t.Errorf("the phone did not load the open module and its styles: %v", weight.URLs)
	}
	if weight.Total >= attendeeBudget {
		t.Errorf("the phone with an open question transfers %d bytes; the budget is %d (%v)", weight.Total, attendeeBudget, weight.URLs)
	}
	t.Logf("the phone with an open question: %d bytes", weight.Total)
	must(t, WaitIdle(r.display))
	res := runAxe(t, r.display, src)
	checkAxe(t, r.display, res)
	for _, v := range res.Violations {
		if v.ID == "color-contrast" {
			t.Errorf("display: text contrast fails on %d elements", len(v.Nodes))
		}
	}
	if !contains(res.Passes, "color-contrast") {
		t.Errorf("display: axe's color-contrast rule did not pass (incomplete: %v)", res.Incomplete)
	}
}

// TestOpenPatchOrder: patch.js and the Go twin (hub/patch) apply the same
// patches of an open wall to the same views, newest first by the log order
// in the id, even where createdAt ties (seconds only).
func TestOpenPatchOrder(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	entry := func(id, text, at string, hl bool) string {
		return fmt.Sprintf(`{"id": %q, "text": %q, "status": "visible", "highlighted": %v, "createdAt": %q}`, id, text, hl, at)
	}
	const at = "2026-01-01T10:00:00Z"
	view := func(entries ...string) string {
		return `{"id": "a5", "kind": "open", "title": "Why?", "state": "open", "maxLength": 280, "maxEntries": 1, "moderated": false, "responses": 2, "entries": [` + strings.Join(entries, ",") + `]}`
	}
	e9, e12 := entry("o9", "nine", at, false), entry("o12", "twelve", at, false)
	cases := []struct {
		name, view, patch, want string
	}{
		{"new answers in one second go first, by id", view(e12, e9),
			`{"type": "patch", "activity": "a5", "offset": 30, "base": 20, "set": {"responses": 4}, "upsert": [` + entry("o13", "thirteen", at, false) + `,` + entry("o100", "hundred", at, false) + `]}`,
			withList(view(), "entries", "["+entry("o100", "hundred", at, false)+","+entry("o13", "thirteen", at, false)+","+e12+","+e9+"]", "responses", "4")},
		{"a highlight does not move an answer", view(e12, e9),
			`{"type": "patch", "activity": "a5", "offset": 30, "base": 20, "upsert": [{"id": "o9", "highlighted": true}]}`,
			view(e12, entry("o9", "nine", at, true))},
		{"a hidden answer leaves the wall", view(e12, e9),
			`{"type": "patch", "activity": "a5", "offset": 30, "base": 20, "remove": ["o12"]}`,
			view(e9)},
		{"an approved older answer goes back in its place", view(e12),
			`{"type": "patch", "activity": "a5", "offset": 30, "base": 20, "upsert": [` + e9 + `,` + entry("o10", "ten", "2026-01-01T10:00:05Z", false) + `]}`,
			view(e12, entry("o10", "ten", "2026-01-01T10:00:05Z", false), e9)},
	}
	tab := patchPage(t)
	type input struct {
		View  json.RawMessage `json:"view"`
		Patch json.RawMessage `json:"patch"`
	}
	var in []input
	for _, c := range cases {
		in = append(in, input{json.RawMessage(c.view), json.RawMessage(c.patch)})
	}
	b, err := json.Marshal(in)
	must(t, err)
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`import("/static/js/patch.js").then(m => JSON.stringify(`+string(b)+`.map(c => m.applyPatch(c.view, c.patch, 20))))`, chromedp.EvalAwaitPromise))
	must(t, err)
	var js []json.RawMessage
	must(t, json.Unmarshal([]byte(raw), &js))
	for i, c := range cases {
		if !patch.Equal(js[i], []byte(c.want)) {
			t.Errorf("%s: patch.js\n got  %s\n want %s", c.name, js[i], c.want)
		}
		v, err := patch.Parse([]byte(c.view))
		must(t, err)
		var p patch.Patch
		must(t, json.Unmarshal([]byte(c.patch), &p))
		must(t, patch.Apply(v, p))
		if got := v.Marshal(); !patch.Equal(got, []byte(c.want)) {
			t.Errorf("%s: the Go twin\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}
