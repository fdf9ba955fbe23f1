package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The constituencies of the report's session, and how many phones of each
// answer its poll: the third group is under minSegment (5), so views leave
// it out and count it.
var (
	reportConstituencies = []string{"Local governments", "Civil society", "Academia"}
	reportGroupSizes     = []int{6, 5, 2}
	reportOptions        = []string{"Housing", "Transport", "Green spaces"}
	reportOptionsFr      = []string{"Logement", "Transports", "Espaces verts"}
)

// reportRoom is a session run over websockets (no pages): a segmented
// poll, a moderated Q&A and a speaker queue, with phones of three
// constituencies.
type reportRoom struct {
	srv     *Server
	created Created
	fac     *client
	phones  []*client
	cons    []string // each phone's constituency
	names   []string // and join name
	poll    string
	qa      string
	queue   string
	// votes are the poll's counts by option: overall and per constituency.
	votes   []int
	byGroup map[string][]int
}

func ackActivity(t *testing.T, m message) string {
	t.Helper()
	var id string
	if err := json.Unmarshal(m.Activity, &id); err != nil || id == "" {
		t.Fatalf("the ack names no activity: %s", m.Activity)
	}
	return id
}

// openReportRoom creates the session with its constituencies, joins the
// phones with theirs, and runs the poll: phone i of group g votes option
// (g + i) % 3, so every group's counts differ.
func openReportRoom(t *testing.T, srv *Server) *reportRoom {
	t.Helper()
	r := &reportRoom{srv: srv, byGroup: map[string][]int{}, votes: make([]int, len(reportOptions))}
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities are listening", "constituencies": reportConstituencies}, &r.created)
	addrs := []string{srv.Addr}
	r.fac = connect(t, "facilitator", r.created.FacilitatorKey, addrs, 0, clientOpts{})
	// The poll in English and French; the rest in English only.
	r.fac.must("session.update", map[string]any{"languages": []string{"en", "fr"}})
	var options []map[string]string
	for i := range reportOptions {
		options = append(options, map[string]string{"en": reportOptions[i], "fr": reportOptionsFr[i]})
	}
	r.poll = ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "poll", "title": map[string]string{"en": "What should the network work on first?", "fr": "Sur quoi le réseau doit-il travailler d’abord ?"},
		"options": options, "segment": true,
	}}))
	r.fac.must("activity.present", map[string]any{"activity": r.poll})
	r.fac.must("activity.open", map[string]any{"activity": r.poll})
	for g, n := range reportGroupSizes {
		c := reportConstituencies[g]
		r.byGroup[c] = make([]int, len(reportOptions))
		for i := range n {
			var j struct {
				Token string `json:"token"`
			}
			name := fmt.Sprintf("Delegate %d-%d", g+1, i+1)
			postJSON(t, srv.URL()+"/api/join", map[string]string{"code": r.created.Code, "name": name, "constituency": c}, &j)
			p := connect(t, fmt.Sprintf("phone-%d-%d", g+1, i+1), j.Token, addrs, 0, clientOpts{})
			choice := (g + i) % len(reportOptions)
			p.must("vote", map[string]any{"activity": r.poll, "choices": []int{choice}})
			r.votes[choice]++
			r.byGroup[c][choice]++
			r.phones = append(r.phones, p)
			r.cons = append(r.cons, c)
			r.names = append(r.names, name)
		}
	}
	return r
}

// runBoardAndQueue adds a moderated Q&A (one entry approved, one answered,
// one hidden, one left pending) and a queue in which three phones speak,
// one of them on a point of order.
func (r *reportRoom) runBoardAndQueue(t *testing.T) {
	t.Helper()
	r.qa = ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "qa", "title": "Questions for the panel", "moderated": true,
	}}))
	r.fac.must("activity.present", map[string]any{"activity": r.qa})
	r.fac.must("activity.open", map[string]any{"activity": r.qa})
	asks := []string{"How is the data shared?", "Who pays for the indicators?", "An entry the facilitator hides", "A question still pending"}
	for i, text := range asks {
		r.phones[i*3%len(r.phones)].must("qa.ask", map[string]any{"activity": r.qa, "text": text})
	}
	var ex struct {
		Activities []struct {
			ID      string `json:"id"`
			Entries []struct {
				ID   string `json:"id"`
				Text string `json:"text"`
			} `json:"entries"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, r.srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &ex))
	ids := map[string]string{}
	for _, a := range ex.Activities {
		if a.ID == r.qa {
			for _, e := range a.Entries {
				ids[e.Text] = e.ID
			}
		}
	}
	for text, action := range map[string]string{asks[0]: "approve", asks[1]: "answered", asks[2]: "hide"} {
		if ids[text] == "" {
			t.Fatalf("the export has no entry %q: %v", text, ids)
		}
		r.fac.must("qa.moderate", map[string]any{"activity": r.qa, "entry": ids[text], "action": action})
	}

	r.queue = ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "queue", "title": "Open floor",
	}}))
	r.fac.must("activity.present", map[string]any{"activity": r.queue})
	r.fac.must("activity.open", map[string]any{"activity": r.queue})
	for i, kind := range []string{"speak", "speak", "order"} {
		k := i * 6 % len(r.phones)
		r.phones[k].must("hand.raise", map[string]any{"activity": r.queue, "name": r.names[k], "constituency": r.cons[k], "kind": kind})
	}
	for range 4 {
		r.fac.must("queue.next", map[string]any{"activity": r.queue})
	}
}

// pdfText is the text of a PDF, by pdftotext (poppler-utils, installed by
// scripts/install-test-deps.sh); in CI its absence fails the test.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		msg := "pdftotext is not installed (scripts/install-test-deps.sh installs poppler-utils): " + err.Error()
		if os.Getenv(EnvCI) == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "report.pdf")
	must(t, os.WriteFile(in, pdf, 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// printPDF prints the tab as Chromium's print dialog would, on paper of
// w×h inches, backgrounds on (the bars are backgrounds of nothing: SVG
// fills, which print either way).
func printPDF(t *testing.T, tab *Tab, w, h float64) []byte {
	t.Helper()
	yes := true
	res, err := chromedp.Call(tab.Ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: w, PaperHeight: h, PrintBackground: &yes})
	if err != nil {
		t.Fatalf("%s: print to PDF: %v", tab.Name, err)
	}
	if len(res.Data) < 1000 || !strings.HasPrefix(string(res.Data), "%PDF-") {
		t.Fatalf("%s: the print is not a PDF (%d bytes)", tab.Name, len(res.Data))
	}
	return res.Data
}

// squash folds a PDF's text to single spaces: pdftotext breaks lines where
// the page did.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestReportPrintsToPDF: the report of a session with a segmented poll, a
// moderated board and a queue, printed by Chromium on A4 and on Letter,
// in English and in French, says every result in the PDF's text: the
// poll's options in its charts and its tables, each constituency shown,
// the small one left out and counted, the board's moderation record and
// the queue's record.
func TestReportPrintsToPDF(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	rep := tables(t, "report")
	r := openReportRoom(t, srv)
	r.runBoardAndQueue(t)

	tab := newTab(t, "report", ScreenWidth, ScreenHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/report/"+r.created.ID+"#"+r.created.FacilitatorKey)))
	must(t, tab.WaitJS(Patience, "the report", `document.body.dataset.ready === "true"`, `document.getElementById("main").innerText.slice(0, 400)`))

	// Charts: one bar chart for the poll, one small chart per shown
	// constituency, one for the queue; each with a table beside it.
	charts, err := Eval[int](tab, `document.querySelectorAll("svg.chart").length`)
	must(t, err)
	multiples, err := Eval[int](tab, `document.querySelectorAll(".kind-poll .multiple svg.chart").length`)
	must(t, err)
	if multiples != 2 || charts < 4 {
		t.Errorf("the report has %d charts, %d of them small multiples of the poll; want at least 4, and 2", charts, multiples)
	}
	// The poll's table says each option's votes.
	for i, o := range reportOptions {
		row, err := Eval[string](tab, fmt.Sprintf(`[...document.querySelectorAll(".kind-poll table.data")[0].tBodies[0].rows][%d].innerText`, i))
		must(t, err)
		if !strings.Contains(row, o) || !strings.Contains(row, fmt.Sprint(r.votes[i])) {
			t.Errorf("poll table row %d is %q; want %s with %d votes", i, row, o, r.votes[i])
		}
	}

	// A single-choice poll's shares add up to 100 in the main table and in
	// every group's column, as on the console and the display (a group of
	// 2, 2 and 2 is 34, 33 and 33).
	sums, err := Eval[[]int](tab, `(() => {
		const pcts = (cells) => cells.map((c) => Number((c.innerText.match(/(\d+)\s*%/) || [0, 0])[1]));
		const sum = (xs) => xs.reduce((s, x) => s + x, 0);
		const main = [...document.querySelectorAll(".kind-poll table.data")[0].tBodies[0].rows].map((r) => r.cells[2]);
		const cross = [...document.querySelector(".kind-poll table.cross").tBodies[0].rows];
		const cols = [...cross[0].cells].slice(1).map((_, j) => sum(pcts(cross.map((r) => r.cells[j + 1]))));
		return [sum(pcts(main)), ...cols];
	})()`)
	must(t, err)
	if len(sums) < 3 {
		t.Fatalf("the report's poll shares: %v; want the main table and two groups", sums)
	}
	for _, n := range sums {
		if n != 100 {
			t.Errorf("the report's poll shares add up to %v (main table first, then each group); want 100 each", sums)
			break
		}
	}

	for _, paper := range []struct {
		name string
		w, h float64
	}{{"A4", 8.27, 11.69}, {"Letter", 8.5, 11}} {
		text := squash(pdfText(t, printPDF(t, tab, paper.w, paper.h)))
		want := []string{
			"Cities are listening", "What should the network work on first?",
			rep.T("en", "seg.heading"), "Local governments", "Civil society",
			rep.T("en", "seg.hiddenOne", "n", 1, "min", 5),
			"Questions for the panel", rep.T("en", "mod.heading"), "How is the data shared?",
			"Open floor", rep.T("en", "queue.order"), rep.T("en", "queue.first"), rep.T("en", "queue.pointOfOrder"),
		}
		for _, w := range want {
			if !strings.Contains(text, squash(w)) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", paper.name, w, text)
			}
		}
		// Each option is in the chart (SVG text) and in the table.
		for _, o := range reportOptions {
			if n := strings.Count(text, o); n < 2 {
				t.Errorf("%s: %q is %d times in the PDF; want it in the chart and in the table", paper.name, o, n)
			}
		}
		for _, no := range []string{"An entry the facilitator hides", "A question still pending", "Academia ("} {
			if strings.Contains(text, no) {
				t.Errorf("%s: the PDF shows %q, which the report must leave out", paper.name, no)
			}
		}
	}

	// In French, from the page's switch.
	_, err = Eval[chromedp.Void](tab, `(() => { const s = document.getElementById("lang"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	must(t, err)
	must(t, tab.WaitJS(Patience, "the report in French", fmt.Sprintf(`document.documentElement.lang === "fr" && document.body.innerText.includes(%s)`, JS(rep.T("fr", "seg.heading"))), `document.body.innerText.slice(0, 300)`))
	text := squash(pdfText(t, printPDF(t, tab, 8.27, 11.69)))
	for _, w := range []string{rep.T("fr", "seg.heading"), rep.T("fr", "mod.heading"), rep.T("fr", "queue.order"), rep.T("fr", "seg.hiddenOne", "n", 1, "min", 5),
		"Sur quoi le réseau doit-il travailler d’abord ?", "Questions for the panel"} {
		if !strings.Contains(text, squash(w)) {
			t.Errorf("French: the PDF's text lacks %q:\n%s", w, text)
		}
	}
	// The poll's own text in French, in its chart and its table.
	for i, o := range reportOptionsFr {
		if n := strings.Count(text, o); n < 2 || strings.Contains(text, reportOptions[i]+" ") {
			t.Errorf("French: %q is %d times in the PDF (want chart and table), or the English %q is there", o, n, reportOptions[i])
		}
	}
}

// TestReportRefusesABadKey: a report link without the facilitator key
// says so instead of a report.
func TestReportRefusesABadKey(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	rep := tables(t, "report")
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Private"}, &c)
	tab := newTab(t, "report with the display key", ScreenWidth, ScreenHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/report/"+c.ID+"#"+c.DisplayKey)))
	must(t, tab.WaitJS(Patience, "the refusal", fmt.Sprintf(`!document.getElementById("failure").hidden && document.getElementById("failure-text").textContent === %s && document.getElementById("report").hidden`,
		JS(rep.T("en", "failure.unauthorized"))), `document.getElementById("main").innerText`))
}

// TestReportAccessible: axe-core finds nothing serious on the report, in
// English and in French; every chart is hidden from assistive technology
// with a table beside it; the contents reach each section by keyboard
// without losing the key from the address.
func TestReportAccessible(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	r := openReportRoom(t, srv)
	r.runBoardAndQueue(t)
	tab := newTab(t, "report", ScreenWidth, ScreenHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/report/"+r.created.ID+"#"+r.created.FacilitatorKey)))
	must(t, tab.WaitJS(Patience, "the report", `document.body.dataset.ready === "true"`, `document.getElementById("main").innerText.slice(0, 400)`))
	checkAxe(t, tab, runAxe(t, tab, src))

	bare, err := Eval[int](tab, `[...document.querySelectorAll("svg.chart")].filter(s => s.getAttribute("aria-hidden") !== "true" || !s.closest(".chart-block, .multiple")).length`)
	must(t, err)
	if bare > 0 {
		t.Errorf("%d charts are not hidden from assistive technology, or stand without their table", bare)
	}
	// The session's texts carry their language: the poll's in the page's
	// (it has both), the board's and the queue's in the default.
	langs, err := Eval[[]string](tab, `[".kind-poll h2", ".kind-poll table.data tbody th span", ".kind-qa h2"].map(s => { const e = document.querySelector(s); return e ? e.lang : "missing " + s; })`)
	must(t, err)
	if strings.Join(langs, " ") != "en en en" {
		t.Errorf("languages of the session's texts: %v; want en for each", langs)
	}
	// The board's moderation record by constituency leaves out the groups
	// too small to keep their askers apart, and says so: a report is shared.
	small, err := Eval[bool](tab, `[...document.querySelectorAll(".kind-qa p.note")].some(p => /fewer than 5/.test(p.textContent))`)
	must(t, err)
	if !small {
		t.Errorf("the board's record does not say that small groups are left out")
	}

	// By keyboard: the skip link first, then through the contents to the
	// queue's section.
	must(t, press(tab, "\t"))
	if f := focused(tab); !strings.Contains(f, "skip-link") {
		t.Fatalf("the first Tab reaches %s; want the skip link", f)
	}
	tabTo(t, tab, ".report-toc li:nth-child(3) a", 20)
	must(t, press(tab, "\r"))
	must(t, tab.WaitJS(Patience, "the queue's heading focused", `document.activeElement && document.activeElement.tagName === "H2" && document.activeElement.textContent === "Open floor"`, `document.activeElement.outerHTML.slice(0, 120)`))
	if hash, err := Eval[string](tab, `location.hash`); err != nil || hash != "#"+r.created.FacilitatorKey {
		t.Errorf("after moving to a section the address's fragment is %q (%v); want the key", hash, err)
	}

	_, err = Eval[chromedp.Void](tab, `(() => { const s = document.getElementById("lang"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	must(t, err)
	must(t, tab.WaitJS(Patience, "the report in French", `document.documentElement.lang === "fr" && document.querySelector(".kind-poll h2").lang === "fr" && document.querySelector(".kind-qa h2").lang === "en"`,
		`[document.documentElement.lang, document.querySelector(".kind-poll h2").outerHTML]`))
	checkAxe(t, tab, runAxe(t, tab, src))
}

// TestSegmentsOnTheDisplay: a poll segmented by three constituencies. One
// phone joins from the join link and is asked its group with none chosen
// for it (axe-core finds nothing serious on that screen); it answers
// Academia, which stays under minSegment. The display shows a panel for
// each of the two larger groups with their shares, says that one group is
// not shown, and reads it all in its live region; the console's card has
// the same table; the export counts the phone in Academia.
func TestSegmentsOnTheDisplay(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	show, att, host := tables(t, "show"), tables(t, "attendee"), tables(t, "host")
	r := openReportRoom(t, srv)

	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(r.created.Links.Join)))
	must(t, phone.WaitJS(Patience, "the group question", fmt.Sprintf(`document.querySelector("#main h1") && document.querySelector("#main h1").textContent === %s`, JS(att.T("en", "join.group_title"))),
		`document.getElementById("main").innerText.slice(0, 300)`))
	radios, err := Eval[[]string](phone, `[...document.querySelectorAll("#main input[type=radio]")].map(r => r.checked ? "checked" : r.closest("label").textContent)`)
	must(t, err)
	want := append(append([]string{}, reportConstituencies...), att.T("en", "join.group_other"), att.T("en", "join.group_none"))
	if strings.Join(radios, "|") != strings.Join(want, "|") {
		t.Fatalf("the join form offers %v; want %v, none chosen", radios, want)
	}
	checkAxe(t, phone, runAxe(t, phone, src))
	must(t, phone.Do(chromedp.Click(chromedp.CSS(`#main label.opt:nth-child(3)`)), chromedp.Click(chromedp.CSS(`#main form button[type=submit]`))))
	must(t, WaitPollOpen(phone, len(reportOptions)))
	must(t, Vote(phone, 0, att.T("en", "poll.received")))

	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(r.created.Links.Show)))
	// Local governments: 2 of 6 for each option; civil society 2, 2, 1 of 5.
	lg := []int{2, 2, 2}
	cs := []int{1, 2, 2}
	panels := func(name string, votes []int, n int) string {
		var out []string
		for i, p := range shares(votes, n) {
			out = append(out, reportOptions[i]+" "+fmt.Sprintf("%d%%", p))
		}
		return name + " " + show.T("en", "seg.n", "n", n) + " " + strings.Join(out, " ")
	}
	wantPanels := []string{panels("Local governments", lg, 6), panels("Civil society", cs, 5)}
	hidden := show.T("en", "seg.hiddenOne", "n", 1, "min", 5)
	must(t, display.WaitJS(Patience, "two constituencies on the display, one left out",
		fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(".show-poll .seg")].map(p => [...p.querySelectorAll(".seg-title, .seg-n, .seg-label, .seg-pct")].map(e => e.textContent).join(" "))) === %s && document.querySelector(".show-poll .seg-grid .seg-note").textContent === %s`,
			JS(mustJSON(wantPanels)), JS(hidden)),
		`[...document.querySelectorAll(".show-poll .seg-grid > *")].map(p => p.innerText.replace(/\s+/g, " "))`))
	live := show.T("en", "seg.line", "name", "Local governments", "n", 6, "results", strings.Join([]string{
		show.T("en", "seg.item", "label", reportOptions[0], "n", 2, "pct", "34%"), // adding up to 100: the first of equal shares takes the rest
		show.T("en", "seg.item", "label", reportOptions[1], "n", 2, "pct", "33%"),
		show.T("en", "seg.item", "label", reportOptions[2], "n", 2, "pct", "33%"),
	}, ", "))
	must(t, display.WaitJS(Patience, "the groups in the live region", fmt.Sprintf(`document.getElementById("live").textContent.includes(%s) && document.getElementById("live").textContent.includes(%s)`, JS(live), JS(hidden)),
		`document.getElementById("live").textContent`))
	// The bars are readable from the back: the group's name at least the
	// display's body size.
	size, err := Eval[float64](display, `parseFloat(getComputedStyle(document.querySelector(".show-poll .seg-title")).fontSize) / parseFloat(getComputedStyle(document.body).fontSize)`)
	must(t, err)
	if size < 1 {
		t.Errorf("a group's name is %.2f of the display's body text; want at least as large", size)
	}

	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(r.created.Links.Host)))
	must(t, console.WaitJS(Patience, "the console's table by constituency",
		fmt.Sprintf(`(() => { const tb = document.querySelector(%s + " .seg-table"); return tb && tb.tHead.rows[0].cells.length === 3 && tb.tBodies[0].rows[0].innerText.replace(/\s+/g, " ").trim() === %s && tb.parentNode.querySelector(".seg-note").textContent === %s; })()`,
			JS(Card(r.poll)), JS(reportOptions[0]+" "+host.T("en", "seg.cell", "n", 2, "pct", "34%")+" "+host.T("en", "seg.cell", "n", 1, "pct", "20%")), JS(hidden)),
		fmt.Sprintf(`(document.querySelector(%s) || document.body).innerText.slice(0, 600)`, JS(Card(r.poll)))))

	var ex struct {
		Activities []struct {
			ID       string `json:"id"`
			Segments []struct {
				Constituency string `json:"constituency"`
				Responses    int    `json:"responses"`
			} `json:"segments"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &ex))
	got := map[string]int{}
	for _, a := range ex.Activities {
		if a.ID == r.poll {
			for _, s := range a.Segments {
				got[s.Constituency] = s.Responses
			}
		}
	}
	if got["Academia"] != 3 || got["Local governments"] != 6 || got["Civil society"] != 5 {
		t.Errorf("the export's segments %v; want the phone counted in Academia (3)", got)
	}
}

// TestCloudSegmentsOnTheDisplay: a segmented word cloud shows each larger
// group's most sent words on the display and the console, the small group
// left out and said.
func TestCloudSegmentsOnTheDisplay(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	show, host := tables(t, "show"), tables(t, "host")
	r := openReportRoom(t, srv)
	cloud := ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "wordcloud", "title": "One word for the network", "maxEntries": 1, "segment": true,
	}}))
	r.fac.must("activity.present", map[string]any{"activity": cloud})
	r.fac.must("activity.open", map[string]any{"activity": cloud})
	// Local governments say "Data" (4) and "Trust" (2); civil society
	// "Trust" (5); academia "Data" (2).
	for i, p := range r.phones {
		word := "Trust"
		if (r.cons[i] == "Local governments" && i < 4) || r.cons[i] == "Academia" {
			word = "Data"
		}
		p.must("word.submit", map[string]any{"activity": cloud, "text": word})
	}
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(r.created.Links.Show)))
	hidden := show.T("en", "seg.hiddenOne", "n", 1, "min", 5)
	want := []string{
		"Local governments " + show.T("en", "seg.n", "n", 6) + " Data 67% Trust 33%",
		"Civil society " + show.T("en", "seg.n", "n", 5) + " Trust 100%",
	}
	must(t, display.WaitJS(Patience, "two groups' words on the display",
		fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(".show-cloud .seg")].map(p => [...p.querySelectorAll(".seg-title, .seg-n, .seg-label, .seg-pct")].map(e => e.textContent).join(" "))) === %s && document.querySelector(".show-cloud .seg-note").textContent === %s`,
			JS(mustJSON(want)), JS(hidden)),
		`[...document.querySelectorAll(".show-cloud .seg-grid > *")].map(p => p.innerText.replace(/\s+/g, " "))`))
	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(r.created.Links.Host)))
	must(t, console.WaitJS(Patience, "the cloud's table by constituency",
		fmt.Sprintf(`(() => { const tb = document.querySelector(%s + " .seg-table"); return tb && [...tb.tBodies[0].rows].map(r => r.innerText.replace(/\s+/g, " ").trim()).join("|") === %s; })()`,
			JS(Card(cloud)), JS("Trust "+host.T("en", "seg.cell", "n", 2, "pct", "33%")+" "+host.T("en", "seg.cell", "n", 5, "pct", "100%")+"|Data "+host.T("en", "seg.cell", "n", 4, "pct", "67%")+" "+host.T("en", "seg.cell", "n", 0, "pct", "0%"))),
		fmt.Sprintf(`(document.querySelector(%s) || document.body).innerText.slice(0, 600)`, JS(Card(cloud)))))
}

// previewConstituencies is what POST /api/join/preview offers for code.
func previewConstituencies(t *testing.T, srv *Server, code string) []string {
	t.Helper()
	var info struct {
		Constituencies []string `json:"constituencies"`
	}
	postJSON(t, srv.URL()+"/api/join/preview", map[string]string{"code": code}, &info)
	return info.Constituencies
}

// TestConsoleSetsConstituencies: the console's create form takes the
// session's constituencies, its session panel changes them, and the join
// page offers what was saved; the report link carries the key.
func TestConsoleSetsConstituencies(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	host := tables(t, "host")
	tab := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/host/"), chromedp.WaitVisible(chromedp.ID("create-constituencies")),
		chromedp.SendKeys(chromedp.ID("create-title"), "Cities"),
		chromedp.SendKeys(chromedp.ID("create-constituencies"), "Local governments\nCivil society\n"),
		chromedp.Click(chromedp.ID("create-submit"))))
	must(t, tab.WaitJS(Patience, "the console of the new session", `/^\/host\/[^/]+$/.test(location.pathname) && document.getElementById("status").dataset.status === "online"`, `document.body.innerText.slice(0, 300)`))
	raw, err := Eval[string](tab, `localStorage.getItem("townhall.host." + decodeURIComponent(location.pathname.split("/")[2]))`)
	must(t, err)
	var c Created
	must(t, json.Unmarshal([]byte(raw), &c))
	if got := previewConstituencies(t, srv, c.Code); strings.Join(got, "|") != "Local governments|Civil society" {
		t.Fatalf("created with constituencies %v", got)
	}
	names := `[...document.querySelectorAll("#cons-rows > li input")].map(i => i.value).join("|")`
	must(t, tab.WaitJS(Patience, "the session's list in the panel", names+` === "Local governments|Civil society"`, names))
	must(t, tab.Do(chromedp.Click(chromedp.ID("cons-add")), chromedp.SendKeys(chromedp.CSS(`#cons-rows > li:nth-child(3) input`), "Academia"), chromedp.Click(chromedp.ID("cons-save"))))
	must(t, tab.WaitJS(Patience, "the saved list announced", fmt.Sprintf(`document.getElementById("live").textContent.includes(%s)`, JS(host.T("en", "cons.saved", "list", "Local governments, Civil society, Academia"))), consoleErrors))
	if got := previewConstituencies(t, srv, c.Code); len(got) != 3 || got[2] != "Academia" {
		t.Fatalf("after saving: %v", got)
	}
	href, err := Eval[string](tab, `document.getElementById("report-link").href`)
	must(t, err)
	if !strings.HasSuffix(href, "/report/"+c.ID+"#"+c.FacilitatorKey) {
		t.Errorf("the report link is %q", href)
	}
}

// TestReportOfEveryKind: the report draws a scale, a ranking, a quiz and
// open answers as charts with their tables (none falls back to the table
// of raw fields), their constituencies as small multiples with the small
// group left out, the quiz's leaderboard but not who answered what, and
// only the open answers moderation let through.
func TestReportOfEveryKind(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	rep := tables(t, "report")
	r := openReportRoom(t, srv)
	run := func(spec map[string]any) string {
		t.Helper()
		id := ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": spec}))
		r.fac.must("activity.present", map[string]any{"activity": id})
		r.fac.must("activity.open", map[string]any{"activity": id})
		return id
	}
	scale := run(map[string]any{"kind": "scale", "title": "Rate the priorities", "statements": []string{"Housing comes first", "Transport comes first"}, "min": 1, "max": 5, "segment": true})
	for i, p := range r.phones {
		p.must("rate", map[string]any{"activity": scale, "ratings": []int{1 + i%5, 5 - i%5}})
	}
	ranking := run(map[string]any{"kind": "ranking", "title": "Order the measures", "options": []string{"Buses", "Bicycles", "Trains"}, "segment": true})
	for i, p := range r.phones {
		p.must("rank", map[string]any{"activity": ranking, "order": []int{i % 3, (i + 1) % 3}})
	}
	quiz := run(map[string]any{"kind": "quiz", "title": "Which city hosts the summit?", "options": []string{"Nairobi", "Mombasa"}, "correct": []int{0}, "seconds": 60})
	for i, p := range r.phones[:4] {
		p.must("answer", map[string]any{"activity": quiz, "choice": i % 2})
	}
	r.fac.must("activity.close", map[string]any{"activity": quiz})
	open := run(map[string]any{"kind": "open", "title": "In one sentence", "moderated": true})
	answers := []string{"Fund the buses", "Plant more trees", "An answer the facilitator hides"}
	for i, text := range answers {
		r.phones[i].must("open.submit", map[string]any{"activity": open, "text": text})
	}
	var ex struct {
		Activities []struct {
			ID      string                      `json:"id"`
			Entries []struct{ ID, Text string } `json:"entries"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	must(t, r.srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &ex))
	ids := map[string]string{}
	for _, a := range ex.Activities {
		if a.ID == open {
			for _, e := range a.Entries {
				ids[e.Text] = e.ID
			}
		}
	}
	for text, action := range map[string]string{answers[0]: "approve", answers[1]: "approve", answers[2]: "hide"} {
		r.fac.must("open.moderate", map[string]any{"activity": open, "entry": ids[text], "action": action})
	}
	r.fac.must("open.moderate", map[string]any{"activity": open, "entry": ids[answers[1]], "action": "highlight"})

	tab := newTab(t, "report", ScreenWidth, ScreenHeight)
	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/report/"+r.created.ID+"#"+r.created.FacilitatorKey)))
	must(t, tab.WaitJS(Patience, "the report", `document.body.dataset.ready === "true"`, `document.getElementById("main").innerText.slice(0, 400)`))

	counts, err := Eval[map[string]int](tab, `(() => {
		const n = (sel) => document.querySelectorAll(sel).length;
		return {scale: n(".kind-scale svg.chart"), scaleMultiples: n(".kind-scale .multiple svg.chart"), ranking: n(".kind-ranking svg.chart"),
			rankingMultiples: n(".kind-ranking .multiple svg.chart"), quiz: n(".kind-quiz svg.chart"), tables: n(".kind-scale table.data, .kind-ranking table.data, .kind-quiz table.data, .kind-open table.data")};
	})()`)
	must(t, err)
	// Two groups of the three are shown (Academia's 2 are too few).
	if want := map[string]int{"scale": 3, "scaleMultiples": 2, "ranking": 3, "rankingMultiples": 2, "quiz": 1}; counts["tables"] < 6 ||
		counts["scale"] != want["scale"] || counts["scaleMultiples"] != want["scaleMultiples"] || counts["ranking"] != want["ranking"] ||
		counts["rankingMultiples"] != want["rankingMultiples"] || counts["quiz"] != want["quiz"] {
		t.Errorf("the report draws %v; want %v and at least 6 tables", counts, want)
	}
	// The open answers: the highlighted one first, the hidden one nowhere.
	wall, err := Eval[[]string](tab, `[...document.querySelector(".kind-open table.data").tBodies[0].rows].map(r => r.cells[0].innerText)`)
	must(t, err)
	if !reflect.DeepEqual(wall, []string{"Plant more trees", "Fund the buses"}) {
		t.Errorf("the report's open answers are %q", wall)
	}

	text := squash(pdfText(t, printPDF(t, tab, 8.27, 11.69)))
	for _, w := range []string{
		"Rate the priorities", "Housing comes first", rep.T("en", "scale.mean"), rep.T("en", "scale.median"),
		"Order the measures", "Buses", rep.T("en", "ranking.borda"),
		"Which city hosts the summit?", "Nairobi", rep.T("en", "quiz.leaderboard"), "Delegate 1-1",
		"In one sentence", "Plant more trees", rep.T("en", "mod.heading"),
		rep.T("en", "seg.hiddenOne", "n", 1, "min", 5),
	} {
		if !strings.Contains(text, squash(w)) {
			t.Errorf("the PDF's text lacks %q:\n%s", w, text)
		}
	}
	for _, no := range []string{"An answer the facilitator hides", rep.T("en", "generic.facts"), rep.T("en", "generic.field")} {
		if strings.Contains(text, no) {
			t.Errorf("the PDF shows %q, which the report must leave out", no)
		}
	}
	checkAxe(t, tab, runAxe(t, tab, src))
}

// TestSegmentsOfEveryKindOnScreens: a ranking and a scale made in the
// console with "results by constituency" ticked, and a segmented quiz,
// show their groups on the console card (a table, the small group left out
// and said) and on the display (a panel per group).
func TestSegmentsOfEveryKindOnScreens(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	hostT, showT := tables(t, "host"), tables(t, "show")
	r := openReportRoom(t, srv)
	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(r.created.Links.Host)))
	must(t, console.WaitJS(Patience, "the console", `document.getElementById("status").dataset.status === "online"`, ""))
	ranking := addWithList(t, console, "ranking", "Order the measures", "ranking-options", "ranking-add", []string{"Buses", "Bicycles", "Trains"},
		chromedp.Click(chromedp.ID("ranking-segment")))
	scale := addWithList(t, console, "scale", "Rate the priorities", "scale-statements", "scale-add", []string{"Housing comes first", "Transport comes first"},
		chromedp.Click(chromedp.ID("scale-segment")))
	quiz := ackActivity(t, r.fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "quiz", "title": "Which city hosts the summit?", "options": []string{"Nairobi", "Mombasa"}, "correct": []int{0}, "seconds": 60, "segment": true,
	}}))
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(r.created.Links.Show)))

	for _, k := range []struct {
		id     string
		answer func(i int) (string, map[string]any)
		close  bool
	}{
		{ranking, func(i int) (string, map[string]any) {
			return "rank", map[string]any{"order": []int{i % 3, (i + 1) % 3}}
		}, false},
		{scale, func(i int) (string, map[string]any) {
			return "rate", map[string]any{"ratings": []int{1 + i%5, 5 - i%5}}
		}, false},
		{quiz, func(i int) (string, map[string]any) { return "answer", map[string]any{"choice": i % 2} }, true},
	} {
		r.fac.must("activity.present", map[string]any{"activity": k.id})
		r.fac.must("activity.open", map[string]any{"activity": k.id})
		for i, p := range r.phones {
			op, args := k.answer(i)
			args["activity"] = k.id
			p.must(op, args)
		}
		if k.close {
			r.fac.must("activity.close", map[string]any{"activity": k.id})
		}
		r.fac.must("activity.reveal", map[string]any{"activity": k.id, "display": true})
		// The console: a column per shown group (Academia's 2 answers are
		// too few), and the group left out said.
		card := Card(k.id)
		must(t, console.WaitJS(Patience, "the groups on the console card", fmt.Sprintf(`(() => {
			const tb = document.querySelector(%s);
			const note = document.querySelector(%s);
			return !!tb && tb.tHead.rows[0].cells.length === 3 && tb.tBodies[0].rows[0].cells[1].textContent.trim() !== "" && !!note && note.textContent.includes(%s);
		})()`, JS(card+" .segments table.seg-table"), JS(card+" .segments .seg-note"), JS(hostT.T("en", "seg.hiddenOne", "n", 1, "min", 5))),
			fmt.Sprintf(`(document.querySelector(%s) || {}).innerText`, JS(card+" .segments"))))
		must(t, display.WaitJS(Patience, "the groups on the display", fmt.Sprintf(`document.querySelectorAll(".show-segments .seg-grid .seg").length === 2 &&
			document.querySelector(".show-segments .seg-grid").textContent.includes("Local governments") && document.querySelector(".show-segments").textContent.includes(%s)`,
			JS(showT.T("en", "seg.hiddenOne", "n", 1, "min", 5))), `(document.querySelector(".show-segments") || document.body).innerText.slice(0, 400)`))
	}
	// The closed quiz, its board and its groups fit the display's screen.
	must(t, display.WaitJS(Patience, "the quiz's groups on screen", `document.querySelector(".show-segments .seg-note:last-child").getBoundingClientRect().bottom <= innerHeight`,
		`[document.querySelector(".show-segments .seg-note:last-child").getBoundingClientRect().bottom, innerHeight]`))
	// The scale's groups are told by their means ("2.67"), not a share.
	cell, err := Eval[string](console, fmt.Sprintf(`document.querySelector(%s).textContent`, JS(Card(scale)+" .segments table.seg-table tbody td")))
	must(t, err)
	if ok, _ := regexp.MatchString(`^\d[.,]\d+$`, cell); !ok {
		t.Errorf("the scale's group cell reads %q; want a mean such as 2.67", cell)
	}
	// A draft made with the box ticked is segmented, and its Edit shows it.
	var x struct {
		Activities []struct {
			ID      string `json:"id"`
			Segment bool   `json:"segment"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	must(t, srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &x))
	for _, a := range x.Activities {
		if (a.ID == ranking || a.ID == scale) && !a.Segment {
			t.Errorf("activity %s was made with the box ticked but is not segmented", a.ID)
		}
	}
}
