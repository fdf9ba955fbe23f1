package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	kbd "github.com/chromedp/chromedp/kb"
)

// A rating scale and a ranking, each run from the console to three phones
// and the display, and read back from the export (JSON and CSV).

var (
	scaleStatements = []string{"Affordable housing", "Public transport", "Green spaces"}
	rankingOptions  = []string{"Bus lanes", "Tree planting", "Rent caps", "Night buses"}
)

// kindsRoom is a session with a console, a display and three phones.
type kindsRoom struct {
	srv     *Server
	created Created
	host    *Tab
	display *Tab
	phones  []*Tab
	att     Tables
	show    Tables
	hostT   Tables
}

func openKindsRoom(t *testing.T, title string) *kindsRoom {
	t.Helper()
	r := &kindsRoom{srv: startServer(t), att: tables(t, "attendee"), show: tables(t, "show"), hostT: tables(t, "host")}
	r.host = newTab(t, "console", ScreenWidth, ScreenHeight)
	var err error
	r.created, err = CreateSession(r.host, r.srv.URL(), title)
	must(t, err)
	link, err := ShowLink(r.host)
	must(t, err)
	r.display = newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, r.display.Do(chromedp.Navigate(link)))
	for i := range 3 {
		p := newTab(t, fmt.Sprintf("phone %d", i+1), PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(p, r.srv.URL(), r.created.Code))
		r.phones = append(r.phones, p)
	}
	return r
}

// addWithList fills the console's form of kind: its title and a list of
// texts (statements or options), each in the next input of the list,
// adding inputs with the add button; then creates it.
func addWithList(t *testing.T, tab *Tab, kind, title, listID, addID string, texts []string, more ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	must(t, chooseKind(tab, kind))
	have, err := Eval[int](tab, fmt.Sprintf(`document.querySelectorAll("#%s > li").length`, listID))
	must(t, err)
	steps := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID(kind+"-title"), title)}
	for range len(texts) - have {
		steps = append(steps, chromedp.Click(chromedp.ID(addID)))
	}
	for i, s := range texts {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#%s > li:nth-child(%d) input", listID, i+1)), s))
	}
	steps = append(steps, more...)
	steps = append(steps, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#form-%s button[type=submit]`, kind))))
	must(t, tab.Do(steps...))
	id, err := waitCard(tab, title)
	must(t, err)
	return id
}

// point is the selector of point p (from 1) of statement s (from 0) on a
// phone's scale.
func point(s, p int) string {
	return fmt.Sprintf(`#main .act.scale .scale-statement:nth-child(%d) .scale-point:nth-child(%d)`, s+1, p)
}

const phoneScaleSubmit = `#main .act.scale > button.btn`

// rate taps one point per statement (0 skips it) and sends the ratings.
func rate(t *testing.T, tab *Tab, att Tables, ratings []int) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for s, p := range ratings {
		if p > 0 {
			steps = append(steps, chromedp.Click(chromedp.CSS(point(s, p))))
		}
	}
	must(t, tab.Do(steps...))
	for s, p := range ratings {
		if p > 0 {
			must(t, tab.WaitJS(Patience, "the point chosen", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-checked") === "true"`, JS(point(s, p))), `document.querySelector("#main").outerHTML.slice(0, 3000)`))
		}
	}
	must(t, tab.Do(chromedp.Click(chromedp.CSS(phoneScaleSubmit))))
	must(t, tab.WaitJS(Patience, "the ratings' confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.scale .confirm"), JS(att.T("en", "scale.received"))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .act.scale .confirm"))))
}

// rateByKeyboard rates with the keyboard alone: Tab to each statement's
// row (one tab stop each), the arrows to the point, the space bar to
// choose it; then Tab to the send button and Enter.
func rateByKeyboard(t *testing.T, tab *Tab, att Tables, ratings []int) {
	t.Helper()
	tabTo(t, tab, point(0, 1), 30)
	for s, p := range ratings {
		if s > 0 {
			must(t, press(tab, "\t"))
		}
		for range p - 1 {
			must(t, press(tab, kbd.ArrowRight))
		}
		must(t, tab.WaitJS(Patience, "the focus on the point", fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, JS(point(s, p))), `document.activeElement.outerHTML.slice(0, 200)`))
		must(t, press(tab, " "))
		must(t, tab.WaitJS(Patience, "the point chosen", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-checked") === "true"`, JS(point(s, p))), ""))
	}
	tabTo(t, tab, phoneScaleSubmit, 5)
	must(t, press(tab, "\r"))
	must(t, tab.WaitJS(Patience, "the ratings' confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.scale .confirm"), JS(att.T("en", "scale.received"))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .act.scale .confirm"))))
}

// fetchExport gets the export as JSON into v, and as CSV rows.
func fetchExport(t *testing.T, r *kindsRoom, v any) [][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, r.srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, v))
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

// csvRowsOf are the CSV rows of one activity, from the item column on.
func csvRowsOf(rows [][]string, id string) [][]string {
	var out [][]string
	for _, row := range rows {
		if row[0] == id {
			out = append(out, row[3:7])
		}
	}
	return out
}

// axeClean runs axe-core on the tabs and fails on serious violations.
func axeClean(t *testing.T, tabs ...*Tab) {
	t.Helper()
	src := axeSource(t)
	for _, tab := range tabs {
		must(t, WaitIdle(tab))
		checkAxe(t, tab, runAxe(t, tab, src))
	}
}

// TestScaleFlow: a facilitator prepares a 1-5 scale of three statements on
// the console; three phones rate them (one with the keyboard alone, one
// skips a statement, one changes its ratings); the display shows each statement's distribution with its
// mean, and says it as text; the export carries every answer.
func TestScaleFlow(t *testing.T) {
	requireBrowser(t)
	r := openKindsRoom(t, "City network")
	id := addWithList(t, r.host, "scale", "Rate these priorities", "scale-statements", "scale-add", scaleStatements,
		chromedp.SendKeys(chromedp.ID("scale-label-min"), "Not at all"),
		chromedp.SendKeys(chromedp.ID("scale-label-max"), "Absolutely"))
	must(t, PresentAndOpen(r.host, id))

	must(t, r.display.WaitJS(Patience, "the scale on the display", `document.querySelectorAll(".show-scale .scale-row").length === 3`, `document.body.innerText.slice(0, 300)`))
	for _, p := range r.phones {
		must(t, p.WaitJS(Patience, "the open scale on the phone", `document.querySelectorAll("#main .act.scale .scale-point:not([aria-disabled])").length === 15`,
			`document.getElementById("main").innerText.slice(0, 300)`))
	}
	// The ends of the scale are named for screen readers on their buttons.
	label, err := Eval[string](r.phones[0], fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-label")`, JS(point(0, 5))))
	must(t, err)
	if label != "5, Absolutely" {
		t.Errorf("the top point is labelled %q", label)
	}

	rate(t, r.phones[0], r.att, []int{4, 5, 0})
	rateByKeyboard(t, r.phones[1], r.att, []int{4, 3, 1})
	rate(t, r.phones[2], r.att, []int{2, 0, 1})
	// The third phone rates the statement it skipped: its new ratings
	// (2, 4, 1) replace the first ones.
	rate(t, r.phones[2], r.att, []int{0, 4, 0})

	// Statement 1: 4, 4, 2; statement 2: 5, 3, 4; statement 3: 1, 1.
	want := []string{
		r.show.T("en", "scale.stats", "mean", "3.33", "median", "4", "n", 3),
		r.show.T("en", "scale.stats", "mean", "4", "median", "4", "n", 3),
		r.show.T("en", "scale.stats", "mean", "1", "median", "1", "n", 2),
	}
	wj, _ := json.Marshal(want)
	must(t, r.display.WaitJS(Patience, "each statement's mean and median on the display", fmt.Sprintf(
		`JSON.stringify([...document.querySelectorAll(".show-scale .scale-stats")].map(e => e.textContent)) === %s`, JS(string(wj))),
		`[...document.querySelectorAll(".show-scale .scale-row")].map(e => e.innerText)`))
	// The columns of the first statement: none at 1, 3 and 5, a full one
	// at 4 (two ratings), half of it at 2; the mean sits at 3.33 on the
	// axis of five columns.
	must(t, r.display.WaitJS(Patience, "the distribution bars and the mean mark", `(() => {
		const row = document.querySelector(".show-scale .scale-row");
		const h = [...row.querySelectorAll(".scale-fill")].map(e => parseFloat(e.style.height));
		const mean = parseFloat(row.querySelector(".scale-mean").style.left);
		return JSON.stringify(h) === "[0,50,0,100,0]" && Math.abs(mean - (3.33 - 1 + 0.5) / 5 * 100) < 0.01;
	})()`, `[...document.querySelectorAll(".show-scale .scale-row")].map(r => [[...r.querySelectorAll(".scale-fill")].map(e => e.style.height), r.querySelector(".scale-mean").style.left])`))
	// The same as text in the display's aria-live list.
	live := r.show.T("en", "live.scale", "label", scaleStatements[0], "mean", "3.33", "median", "4", "n", 3, "counts", "1: 0, 2: 1, 3: 0, 4: 2, 5: 0")
	must(t, r.display.WaitJS(Patience, "the results in the display's aria-live list", fmt.Sprintf(
		`[...document.querySelectorAll("#live li")].some(e => e.textContent === %s) && !!document.querySelector("#live").closest("[aria-live]")`, JS(live)),
		`[...document.querySelectorAll("#live li")].map(e => e.textContent)`))
	// The console's card says the same.
	must(t, r.host.WaitJS(Patience, "the means on the console", fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)[0] === %s`,
		JS(Card(id)+" .scale-stats"), JS(r.hostT.T("en", "scale.stats", "mean", "3.33", "median", "4", "n", 3))),
		fmt.Sprintf(`document.querySelector(%s).innerText`, JS(Card(id)))))
	// The phones see no results until they are revealed to them.
	hidden, err := Eval[bool](r.phones[0], `document.querySelector("#main .act.scale .resbox").hidden`)
	must(t, err)
	if !hidden {
		t.Error("a phone shows the results before they were revealed to attendees")
	}
	// Revealed from the console, the phones show them, and say them.
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(Card(id)+" fieldset.reveal label:first-of-type input"))))
	stats := r.att.T("en", "scale.stats", "mean", "3.33", "median", "4", "n", 3)
	must(t, r.phones[0].WaitJS(Patience, "the results on the phone", fmt.Sprintf(
		`!document.querySelector("#main .act.scale .resbox").hidden && document.querySelector("#main .act.scale .resbox .scale-stats").textContent === %s`, JS(stats)),
		`document.querySelector("#main .act.scale .resbox").innerText`))
	said := scaleStatements[0] + ": " + stats + " " + r.att.T("en", "scale.yours", "n", 4)
	must(t, r.phones[0].WaitJS(Patience, "the results in the phone's live region", fmt.Sprintf(
		`document.querySelector("#main .act.scale > [aria-live]").textContent.includes(%s)`, JS(said)),
		`document.querySelector("#main .act.scale > [aria-live]").textContent`))
	axeClean(t, r.host, r.phones[0], r.display)

	var ex struct {
		Activities []struct {
			ID         string `json:"id"`
			Kind       string `json:"kind"`
			Voters     int    `json:"voters"`
			Statements []struct {
				Label  string  `json:"label"`
				Counts []int   `json:"counts"`
				Mean   float64 `json:"mean"`
			} `json:"statements"`
			Answers []struct {
				Ratings []*int `json:"ratings"`
			} `json:"answers"`
		} `json:"activities"`
	}
	rows := fetchExport(t, r, &ex)
	found := false
	for _, a := range ex.Activities {
		if a.ID != id {
			continue
		}
		found = true
		var counts [][]int
		for _, s := range a.Statements {
			counts = append(counts, s.Counts)
		}
		if a.Kind != "scale" || a.Voters != 3 || !slices.EqualFunc(counts, [][]int{{0, 1, 0, 2, 0}, {0, 0, 1, 1, 1}, {2, 0, 0, 0, 0}}, slices.Equal) {
			t.Fatalf("exported scale: %+v", a)
		}
		var answers []string
		for _, ans := range a.Answers {
			var cells []string
			for _, r := range ans.Ratings {
				if r == nil {
					cells = append(cells, "-")
				} else {
					cells = append(cells, fmt.Sprint(*r))
				}
			}
			answers = append(answers, strings.Join(cells, ","))
		}
		if strings.Join(answers, " ") != "4,5,- 4,3,1 2,4,1" {
			t.Fatalf("exported answers: %v", answers)
		}
	}
	if !found {
		t.Fatalf("the export has no activity %s", id)
	}
	var got, answered [][]string
	for _, r := range csvRowsOf(rows, id) {
		if r[2] == "answer" {
			answered = append(answered, r)
		} else {
			got = append(got, r)
		}
	}
	if len(got) != 15 {
		t.Fatalf("CSV rows of the scale: %v", got)
	}
	// Every answer is a row too: one per participant and statement rated,
	// as many as the counts hold.
	rated := 0
	for _, r := range got {
		n, _ := strconv.Atoi(r[1])
		rated += n
	}
	if len(answered) != rated || rated == 0 {
		t.Fatalf("CSV answer rows: %d for %d ratings: %v", len(answered), rated, answered)
	}
	for _, w := range [][]string{
		{scaleStatements[0], "2", "rated 4", "3"},
		{scaleStatements[1], "1", "rated 5", "3"},
		{scaleStatements[2], "2", "rated 1", "3"},
		{scaleStatements[2], "0", "rated 5", "3"},
	} {
		if !slices.ContainsFunc(got, func(row []string) bool { return slices.Equal(row, w) }) {
			t.Errorf("the CSV has no row %v: %v", w, got)
		}
	}
}

type inputParams = input.DispatchMouseEventParams

// withLeftHeld is a mouse move with the left button down.
func withLeftHeld(p *inputParams) {
	p.Button = input.MouseButtonLeft
	p.Buttons = 1
}

// rankItem is the selector of the phone's ranking item at place k (from 0).
func rankItem(k int) string {
	return fmt.Sprintf(`#main .act.ranking .rank-items > li:nth-child(%d)`, k+1)
}

// phoneOrder is an expression for the labels on a phone's ranking, in
// order.
const phoneOrder = `JSON.stringify([...document.querySelectorAll("#main .act.ranking .rank-items .rank-label")].map(e => e.textContent))`

func waitPhoneOrder(t *testing.T, tab *Tab, labels []string) {
	t.Helper()
	want, _ := json.Marshal(labels)
	must(t, tab.WaitJS(Patience, "the order on the phone", phoneOrder+" === "+JS(string(want)), phoneOrder))
}

// TestRankingFlow: a facilitator prepares a ranking of four measures; one
// phone orders them with the keyboard alone (the up buttons), one drags an
// item by its handle, one clicks the arrows; the display shows the ranked
// list with Borda scores (a tie on score goes to the option put first more
// often, and the display and the console say so); the export carries every
// ranking.
func TestRankingFlow(t *testing.T) {
	requireBrowser(t)
	r := openKindsRoom(t, "City network")
	id := addWithList(t, r.host, "ranking", "Rank these measures", "ranking-options", "ranking-add", rankingOptions)
	must(t, PresentAndOpen(r.host, id))
	must(t, r.display.WaitJS(Patience, "the ranking on the display", `document.querySelectorAll(".show-ranking .rank-row").length === 4`, `document.body.innerText.slice(0, 300)`))
	for _, p := range r.phones {
		must(t, p.WaitJS(Patience, "the open ranking on the phone", `document.querySelectorAll("#main .act.ranking .rank-item").length === 4 && !document.querySelector("#main .act.ranking .rank-item:nth-child(2) .rank-up").hasAttribute("aria-disabled")`,
			`document.getElementById("main").innerText.slice(0, 300)`))
	}
	submit := `#main .act.ranking > button.btn`
	received := r.att.T("en", "ranking.received")
	send := func(tab *Tab) {
		t.Helper()
		must(t, tab.Do(chromedp.Click(chromedp.CSS(submit))))
		must(t, tab.WaitJS(Patience, "the ranking's confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.ranking .confirm"), JS(received)),
			fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .act.ranking .confirm"))))
	}

	// Phone 1, keyboard only: Rent caps up twice with Enter; the focus
	// stays on its up button, and its new place is said.
	kb := r.phones[0]
	tabTo(t, kb, rankItem(2)+" .rank-up", 30)
	must(t, press(kb, "\r"))
	waitPhoneOrder(t, kb, []string{rankingOptions[0], rankingOptions[2], rankingOptions[1], rankingOptions[3]})
	must(t, kb.WaitJS(Patience, "the focus on the moved item's up button", fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, JS(rankItem(1)+" .rank-up")), `document.activeElement.outerHTML.slice(0, 200)`))
	must(t, press(kb, "\r"))
	waitPhoneOrder(t, kb, []string{rankingOptions[2], rankingOptions[0], rankingOptions[1], rankingOptions[3]})
	// At the top the focus stays on its up button, now unavailable: one
	// Enter too many changes nothing.
	must(t, kb.WaitJS(Patience, "the focus on the top item's unavailable up button", fmt.Sprintf(`document.activeElement === document.querySelector(%s) && document.activeElement.getAttribute("aria-disabled") === "true"`, JS(rankItem(0)+" .rank-up")), `document.activeElement.outerHTML.slice(0, 200)`))
	must(t, press(kb, "\r"))
	waitPhoneOrder(t, kb, []string{rankingOptions[2], rankingOptions[0], rankingOptions[1], rankingOptions[3]})
	moved := r.att.T("en", "ranking.moved", "label", rankingOptions[2], "place", 1, "n", 4)
	must(t, kb.WaitJS(Patience, "the new place said", fmt.Sprintf(`[...document.querySelectorAll("#main .act.ranking [aria-live]")].some(e => e.textContent === %s)`, JS(moved)), `[...document.querySelectorAll("#main [aria-live]")].map(e => e.textContent)`))
	tabTo(t, kb, submit, 20)
	must(t, press(kb, "\r"))
	must(t, kb.WaitJS(Patience, "the ranking's confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.ranking .confirm"), JS(received)), textOf("#main .act.ranking .confirm")))

	// Phone 2 drags Night buses by its handle to the top.
	dr := r.phones[1]
	type box struct{ X, Y, Top float64 }
	at := func(sel string) box {
		b, err := Eval[box](dr, fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect(); return {X: r.left + r.width / 2, Y: r.top + r.height / 2, Top: r.top}; })()`, JS(sel)))
		must(t, err)
		return b
	}
	from, to := at(rankItem(3)+" .rank-handle"), at(rankItem(0))
	must(t, dr.Do(
		chromedp.MouseEvent(chromedp.MouseMoved, from.X, from.Y),
		chromedp.MouseEvent(chromedp.MousePressed, from.X, from.Y, chromedp.ButtonLeft, func(p *inputParams) { p.ClickCount = 1; p.Buttons = 1 }),
		chromedp.MouseEvent(chromedp.MouseMoved, from.X, (from.Y+to.Y)/2, withLeftHeld),
		chromedp.MouseEvent(chromedp.MouseMoved, from.X, to.Top+2, withLeftHeld),
		chromedp.MouseEvent(chromedp.MouseReleased, from.X, to.Top+2, chromedp.ButtonLeft, func(p *inputParams) { p.ClickCount = 1 }),
	))
	waitPhoneOrder(t, dr, []string{rankingOptions[3], rankingOptions[0], rankingOptions[1], rankingOptions[2]})
	send(dr)

	// Phone 3 clicks the arrows: Rent caps up twice, Night buses up twice.
	ck := r.phones[2]
	for _, sel := range []string{rankItem(2), rankItem(1), rankItem(3), rankItem(2)} {
		must(t, ck.Do(chromedp.Click(chromedp.CSS(sel+" .rank-up"))))
	}
	waitPhoneOrder(t, ck, []string{rankingOptions[2], rankingOptions[3], rankingOptions[0], rankingOptions[1]})
	send(ck)

	// Scores (4, 3, 2, 1 points by place): Bus lanes 3+3+2 = 8, Tree
	// planting 2+2+1 = 5, Rent caps 4+1+4 = 9, Night buses 1+4+3 = 8. Night
	// buses was put first once, Bus lanes never: it goes before.
	order := []string{rankingOptions[2], rankingOptions[3], rankingOptions[0], rankingOptions[1]}
	scores := []int{9, 8, 8, 5}
	var lines, texts []string
	firsts := []int{2, 1, 0, 0}
	for k, label := range order {
		score := r.show.T("en", "ranking.points", "n", scores[k])
		texts = append(texts, label+"|"+score)
		lines = append(lines, r.show.T("en", "live.rank", "place", k+1, "label", label, "score", score, "firsts", firsts[k]))
	}
	tj, _ := json.Marshal(texts)
	must(t, r.display.WaitJS(Patience, "the ranked list on the display", fmt.Sprintf(
		`JSON.stringify([...document.querySelectorAll(".show-ranking .rank-row")].map(e => e.querySelector(".rank-label").textContent + "|" + e.querySelector(".rank-score").textContent)) === %s`, JS(string(tj))),
		`[...document.querySelectorAll(".show-ranking .rank-row")].map(e => e.innerText)`))
	lj, _ := json.Marshal(lines)
	must(t, r.display.WaitJS(Patience, "the ranking in the display's aria-live list", fmt.Sprintf(
		`(() => { const items = [...document.querySelectorAll("#live li")].map(e => e.textContent); return %s.every(s => items.includes(s)); })()`, lj),
		`[...document.querySelectorAll("#live li")].map(e => e.textContent)`))
	must(t, r.host.WaitJS(Patience, "the scores on the console", fmt.Sprintf(`document.querySelector(%s).textContent === %s`,
		JS(Card(id)+" .rank-results .bar-row .bar-label"), JS("1. "+order[0])), fmt.Sprintf(`document.querySelector(%s).innerText`, JS(Card(id)))))
	// Night buses and Bus lanes tie on 8 points: the display and the
	// console say why Night buses is ahead, beside it and nowhere else.
	ties := func(sel string) string {
		return fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s)].map(e => e.hidden ? "" : e.textContent))`, JS(sel))
	}
	tieJSON := func(tb Tables) string {
		b, _ := json.Marshal([]string{"", tb.T("en", "ranking.tieFirsts", "other", order[2], "firsts", 1, "otherFirsts", 0), "", ""})
		return string(b)
	}
	must(t, r.display.WaitJS(Patience, "the tie explained on the display", ties(".show-ranking .rank-row .rank-tie")+" === "+JS(tieJSON(r.show)), ties(".show-ranking .rank-row .rank-tie")))
	must(t, r.display.WaitJS(Patience, "the tie in the display's aria-live list", fmt.Sprintf(`[...document.querySelectorAll("#live li")].some(e => e.textContent === %s)`,
		JS(r.show.T("en", "ranking.tieFirsts", "other", order[2], "firsts", 1, "otherFirsts", 0))), `[...document.querySelectorAll("#live li")].map(e => e.textContent)`))
	must(t, r.host.WaitJS(Patience, "the tie explained on the console", ties(Card(id)+" .rank-results .bar-row .rank-tie")+" === "+JS(tieJSON(r.hostT)), ties(Card(id)+" .rank-results .bar-row .rank-tie")))
	axeClean(t, r.host, r.phones[0], r.display)

	var ex struct {
		Activities []struct {
			ID      string `json:"id"`
			Kind    string `json:"kind"`
			Voters  int    `json:"voters"`
			Order   []int  `json:"order"`
			Options []struct {
				Score  int `json:"score"`
				Firsts int `json:"firsts"`
			} `json:"options"`
			Answers []struct {
				Order []int `json:"order"`
			} `json:"answers"`
		} `json:"activities"`
	}
	rows := fetchExport(t, r, &ex)
	found := false
	for _, a := range ex.Activities {
		if a.ID != id {
			continue
		}
		found = true
		var got []int
		for _, o := range a.Options {
			got = append(got, o.Score, o.Firsts)
		}
		var answers []string
		for _, ans := range a.Answers {
			answers = append(answers, fmt.Sprint(ans.Order))
		}
		if a.Kind != "ranking" || a.Voters != 3 || !slices.Equal(a.Order, []int{2, 3, 0, 1}) || !slices.Equal(got, []int{8, 0, 5, 0, 9, 2, 8, 1}) ||
			strings.Join(answers, " ") != "[2 0 1 3] [3 0 1 2] [2 3 0 1]" {
			t.Fatalf("exported ranking: %+v", a)
		}
	}
	if !found {
		t.Fatalf("the export has no activity %s", id)
	}
	want := [][]string{
		{rankingOptions[2], "9", "firsts 2", "3"},
		{rankingOptions[3], "8", "firsts 1", "3"},
		{rankingOptions[0], "8", "firsts 0", "3"},
		{rankingOptions[1], "5", "firsts 0", "3"},
	}
	all := csvRowsOf(rows, id)
	if got := all[:min(len(all), len(want))]; !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("CSV rows of the ranking:\n got %v\nwant %v", got, want)
	}
	// Then every answer: each of the three phones' places.
	places := 0
	for _, r := range all[len(want):] {
		if r[2] != "answer place" {
			t.Fatalf("CSV row after the totals: %v", r)
		}
		places++
	}
	if places < 3 {
		t.Fatalf("CSV has %d places answered", places)
	}
}

// TestScaleInTwoLanguages: in a session in English and French, the console
// writes a scale's statements and end labels in both side by side; a
// French phone reads them in French (the ends named on their buttons), its
// rating counts on the statement whatever the language, and the export
// keeps both texts.
func TestScaleInTwoLanguages(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Villes à l’écoute")
	must(t, err)
	must(t, host.Do(
		chromedp.SetValue(chromedp.ID("langs-input"), "en, fr"),
		chromedp.Click(chromedp.ID("langs-save")),
	))
	must(t, host.WaitJS(Patience, "the content languages", `document.querySelectorAll("#form-poll input[lang=fr]").length >= 3`, `document.getElementById("langs-now").textContent`))
	must(t, chooseKind(host, "scale"))
	must(t, host.WaitJS(Patience, "the French inputs of the scale", `document.querySelectorAll("#form-scale input[lang=fr]").length === 4`, `document.getElementById("form-scale").innerHTML.slice(0, 500)`))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("scale-title"), "Rate"),
		chromedp.SendKeys(chromedp.ID("scale-title-fr"), "Notez"),
		chromedp.SendKeys(chromedp.CSS("#scale-statements > li:nth-child(1) input[lang=en]"), "Housing"),
		chromedp.SendKeys(chromedp.CSS("#scale-statements > li:nth-child(1) input[lang=fr]"), "Logement"),
		chromedp.SendKeys(chromedp.ID("scale-label-min"), "Low"),
		chromedp.SendKeys(chromedp.ID("scale-label-min-fr"), "Bas"),
		chromedp.SendKeys(chromedp.ID("scale-label-max"), "High"),
		chromedp.SendKeys(chromedp.ID("scale-label-max-fr"), "Haut"),
		chromedp.Click(chromedp.CSS(`#form-scale button[type=submit]`)),
	))
	id, err := waitCard(host, "Rate")
	must(t, err)
	must(t, PresentAndOpen(host, id))

	phone := newTab(t, "French phone", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	setSelect(t, phone, "lang", "fr")
	must(t, phone.WaitJS(Patience, "the scale in French", fmt.Sprintf(`(() => {
		const s = document.querySelector("#main .act.scale");
		return s && s.closest("[lang]").lang === "fr" && document.getElementById("act-title").textContent === "Notez" &&
			s.querySelector(".scale-statement .scale-label").textContent === "Logement" &&
			document.querySelector(%s).getAttribute("aria-label") === "1, Bas" && document.querySelector(%s).getAttribute("aria-label") === "5, Haut";
	})()`, JS(point(0, 1)), JS(point(0, 5))), `document.getElementById("main").innerText.slice(0, 300)`))
	att := tables(t, "attendee")
	must(t, phone.Do(chromedp.Click(chromedp.CSS(point(0, 2))), chromedp.Click(chromedp.CSS(phoneScaleSubmit))))
	must(t, phone.WaitJS(Patience, "the French confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .act.scale .confirm"), JS(att.T("fr", "scale.received"))), textOf("#main .act.scale .confirm")))

	var ex struct {
		Activities []struct {
			ID         string               `json:"id"`
			Labels     struct{ Min string } `json:"labels"`
			LabelTexts struct {
				Min map[string]string `json:"min"`
			} `json:"labelTexts"`
			Statements []struct {
				Label  string            `json:"label"`
				Labels map[string]string `json:"labels"`
				Counts []int             `json:"counts"`
			} `json:"statements"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &ex))
	for _, a := range ex.Activities {
		if a.ID != id {
			continue
		}
		st := a.Statements[0]
		if st.Label != "Housing" || st.Labels["fr"] != "Logement" || !slices.Equal(st.Counts, []int{0, 1, 0, 0, 0}) || a.Labels.Min != "Low" || a.LabelTexts.Min["fr"] != "Bas" {
			t.Fatalf("exported scale: %+v", a)
		}
		return
	}
	t.Fatalf("the export has no activity %s", id)
}
