package e2e

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// quizSeconds is the quiz's time, short, with room for three phones on
// a busy machine to answer. Nothing here measures it: the test waits for
// what the pages show.
const quizSeconds = 8

// quizExport is the part of the export that the quiz test reads.
type quizExport struct {
	Activities []struct {
		ID          string `json:"id"`
		Kind        string `json:"kind"`
		State       string `json:"state"`
		Correct     []int  `json:"correct"`
		Seconds     int    `json:"seconds"`
		Points      int    `json:"points"`
		Responses   int    `json:"responses"`
		Leaderboard []struct {
			Rank   int    `json:"rank"`
			Name   string `json:"name"`
			Points int    `json:"points"`
		} `json:"leaderboard"`
		Answers []struct {
			Name    string  `json:"name"`
			Choice  int     `json:"choice"`
			Correct bool    `json:"correct"`
			Points  int     `json:"points"`
			Seconds float64 `json:"seconds"`
		} `json:"answers"`
	} `json:"activities"`
}

// addQuiz fills the console's quiz form: the answers, which are right,
// the seconds; and returns the new activity's id.
func addQuiz(t *Tab, title string, options []string, right []int, seconds int) (string, error) {
	if err := chooseKind(t, "quiz"); err != nil {
		return "", err
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("quiz-title"), title)}
	for i := 2; i < len(options); i++ {
		steps = append(steps, chromedp.Click(chromedp.ID("quiz-add")))
	}
	for i, o := range options {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#quiz-options > li:nth-child(%d) input[type=text]", i+1)), o))
	}
	if err := t.Do(steps...); err != nil {
		return "", err
	}
	// The form starts with the first answer ticked: tick exactly these.
	js := fmt.Sprintf(`(() => { const right = %s; document.querySelectorAll("#quiz-options > li input[type=checkbox]").forEach((b, i) => { b.checked = right.includes(i); }); })()`, jsInts(right))
	if _, err := Eval[chromedp.Void](t, js); err != nil {
		return "", err
	}
	if err := t.Do(
		chromedp.SetValue(chromedp.ID("quiz-seconds"), fmt.Sprint(seconds)),
		chromedp.Click(chromedp.CSS(`#form-quiz button[type=submit]`)),
	); err != nil {
		return "", err
	}
	return waitCard(t, title)
}

// answerTogether has every phone answer the open quiz at once, as a hall
// does, and waits for each answer's confirmation, the text said(i) when it
// is not "". One phone after another on a busy machine can miss a short
// quiz's time.
func answerTogether(phones []*Tab, choices []int, said func(i int) string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(phones))
	for i, p := range phones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.WaitJS(Patience, "the answers open", fmt.Sprintf(`(() => { const b = document.querySelector(%s); return !!b && !b.hasAttribute("aria-disabled") && !b.disabled; })()`, JS(quizButton(choices[i]))),
				`document.getElementById("main").innerText.slice(0, 300)`); err != nil {
				errs[i] = err
				return
			}
			if err := p.Do(chromedp.Click(chromedp.CSS(quizButton(choices[i])))); err != nil {
				errs[i] = err
				return
			}
			text := `document.querySelector("#main .quiz .confirm").textContent !== ""`
			if want := said(i); want != "" {
				text = fmt.Sprintf(`%s === %s`, textOf("#main .quiz .confirm"), JS(want))
			}
			errs[i] = p.WaitJS(Patience, "the answer's confirmation", fmt.Sprintf(`%s && document.querySelector(%s).getAttribute("aria-pressed") === "true"`, text, JS(quizButton(choices[i]))),
				fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .quiz .confirm")))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func jsInts(xs []int) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprint(x))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// quizButton is the selector of answer i on the phone.
func quizButton(i int) string {
	return fmt.Sprintf(`#main .quiz .options > button.opt:nth-child(%d)`, i+1)
}

// A quiz from the console to three phones and the display: prepared with
// its right answer, presented, opened; the phones answer, the countdown
// runs out and the server closes it by itself; the display shows the right
// answer, the counts and the leaderboard, each phone its own result; the
// export has every answer with its points; axe-core finds nothing serious
// on any of the three screens. One phone reads French.
func TestQuizFlow(t *testing.T) {
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	att, show, hostT := tables(t, "attendee"), tables(t, "show"), tables(t, "host")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Quiz night")
	must(t, err)
	options := []string{"Geneva", "Vienna", "Brussels"}
	quiz, err := addQuiz(host, "Where is the UN's European seat?", options, []int{0}, quizSeconds)
	must(t, err)
	card := Card(quiz)
	must(t, host.Do(chromedp.Click(chromedp.CSS(card+` .activity-controls .actions > button:nth-child(1)`))))
	must(t, host.WaitJS(Patience, "the quiz presented", fmt.Sprintf(`document.querySelector(%s).classList.contains("is-presented")`, JS(card)), consoleErrors))
	// The facilitator sees the right answer from the start.
	must(t, host.WaitJS(Patience, "the right answer on the console", fmt.Sprintf(`document.querySelector(%s + " .quiz-bars li:nth-child(1) .quiz-right").textContent === %s`, JS(card), JS(hostT.T("en", "quiz.isCorrect"))), consoleErrors))

	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	must(t, display.WaitJS(Patience, "the quiz on the display", fmt.Sprintf(`document.querySelectorAll(".show-quiz .quiz-option").length === 3 && %s === "%d"`, textOf(".show-quiz .quiz-clock"), quizSeconds), `document.body.innerText.slice(0, 300)`))

	// The second phone reads Spanish, the third French.
	langs := []string{"en", "es", "fr"}
	var phones []*Tab
	for i := range 3 {
		p := newTab(t, fmt.Sprintf("phone %d", i+1), PhoneWidth, PhoneHeight)
		must(t, p.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
		_, err := Eval[chromedp.Void](p, fmt.Sprintf(`localStorage.setItem("townhall.lang", %s)`, JS(langs[i])))
		must(t, err)
		must(t, JoinFromLanding(p, srv.URL(), created.Code))
		must(t, p.WaitJS(Patience, "the quiz, not started", fmt.Sprintf(`document.querySelectorAll("#main .quiz .options > button.opt[aria-disabled=true]").length === 3 && %s === %s`,
			textOf("#act-state"), JS(att.T(langs[i], "quiz.draft"))), `document.getElementById("main").innerText.slice(0, 300)`))
		phones = append(phones, p)
	}

	// Open: the clock starts at the open event; every phone can answer.
	must(t, host.Do(chromedp.Click(chromedp.CSS(card+` .activity-controls .actions > button:nth-child(2)`))))
	choices := []int{0, 1, 0}
	must(t, answerTogether(phones, choices, func(i int) string { return att.T(langs[i], "quiz.received", "label", options[choices[i]]) }))
	// Answered: no second answer, and still no right answer on the phones
	// and the display while the clock runs.
	for _, p := range phones {
		must(t, p.WaitJS(Patience, "the answers locked", `document.querySelectorAll("#main .quiz .options > button.opt[aria-disabled=true]").length === 3`, `document.getElementById("main").innerText.slice(0, 300)`))
	}

	// Nobody closes it: the server does when the time is up.
	must(t, host.WaitJS(Patience+quizSeconds*time.Second, "the quiz closed by the server", fmt.Sprintf(`document.querySelector(%s + " .tag-state").dataset.state === "closed"`, JS(card)), consoleErrors))

	var ex quizExport
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &ex))
	var q = ex.Activities[0]
	if q.ID != quiz || q.Kind != "quiz" || q.State != "closed" || q.Responses != 3 || len(q.Answers) != 3 || q.Seconds != quizSeconds || q.Points != 1000 {
		t.Fatalf("export: %+v", q)
	}
	points := map[string]int{}
	for _, a := range q.Answers {
		// Each right answer scores by its time, as the contract says.
		want := 0
		if a.Choice == 0 {
			want = int(math.Round(1000 * (1 - a.Seconds/(2*quizSeconds))))
		}
		if a.Correct != (a.Choice == 0) || a.Points != want && math.Abs(float64(a.Points-want)) > 1 || a.Seconds < 0 || a.Seconds > quizSeconds {
			t.Fatalf("exported answer %+v: want %d points", a, want)
		}
		points[a.Name] = a.Points
	}
	// The phones joined in this order: Participant 1, 2 and 3.
	if len(points) != 3 || points["Participant 2"] != 0 || points["Participant 1"] < 500 || points["Participant 3"] < 500 {
		t.Fatalf("points by name: %v", points)
	}
	if len(q.Leaderboard) != 3 || q.Leaderboard[2].Name != "Participant 2" || q.Leaderboard[2].Rank != 3 {
		t.Fatalf("leaderboard: %+v", q.Leaderboard)
	}

	// The display: the right answer marked, the counts, the leaderboard,
	// and all of it in its live text.
	var rows, live []string
	for _, l := range q.Leaderboard {
		rows = append(rows, fmt.Sprintf("%d|%s|%s", l.Rank, l.Name, show.T("en", "quiz.pts", "n", groupThousands(l.Points))))
		live = append(live, show.T("en", "live.leader", "rank", l.Rank, "name", l.Name, "points", groupThousands(l.Points)))
	}
	live = append(live, show.T("en", "live.optionRight", "letter", "A", "label", "Geneva", "n", 2))
	shown := `(() => {
		const rows = [...document.querySelectorAll(".show-quiz .quiz-board li")].map(li => [...li.children].map(c => c.textContent).join("|"));
		const right = [...document.querySelectorAll(".show-quiz .quiz-option.is-right .quiz-label")].map(e => e.textContent);
		const counts = [...document.querySelectorAll(".show-quiz .quiz-option .quiz-count")].map(e => e.textContent);
		return JSON.stringify({rows, right, counts});
	})()`
	want := fmt.Sprintf(`{"rows":%s,"right":["Geneva"],"counts":["2","1","0"]}`, jsStrings(rows))
	must(t, display.WaitJS(Patience, "the results on the display", fmt.Sprintf(`%s === %s && %s.every(s => document.getElementById("live").textContent.includes(s))`, shown, JS(want), jsStrings(live)),
		fmt.Sprintf(`[%s, %s, document.getElementById("live").textContent]`, shown, JS(want))))

	// Each phone: right or not, its points, its total and rank.
	for i, p := range phones {
		name := fmt.Sprintf("Participant %d", i+1)
		lang := langs[i]
		verdict := att.T(lang, "quiz.right")
		if choices[i] != 0 {
			verdict = att.T(lang, "quiz.wrong")
		}
		rank := 0
		for _, l := range q.Leaderboard {
			if l.Name == name {
				rank = l.Rank
			}
		}
		// Without a join name, listed as "Participant N" in its language.
		listed := att.T(lang, "quiz.listedAs", "name", att.T(lang, "quiz.participant", "n", i+1))
		must(t, p.WaitJS(Patience, "the phone's result", fmt.Sprintf(`%s === %s && %s === %s && %s === %s && %s === %s && %s === %s`,
			textOf("#main .quiz .quiz-verdict"), JS(verdict), textOf("#main .quiz .quiz-listed"), JS(listed),
			textOf("#main .quiz .quiz-points"), JS(att.T(lang, "quiz.points", "n", numberIn(lang, points[name]))),
			textOf("#main .quiz .quiz-standing"), JS(att.T(lang, "quiz.standing", "total", numberIn(lang, points[name]), "rank", rank)),
			textOf("#main .quiz .quiz-answer"), JS(att.T(lang, "quiz.answerWas", "labels", "Geneva"))),
			`document.getElementById("main").innerText.slice(0, 400)`))
	}

	// The CSV: a row per answer option, then one per answer.
	csvRows := fetchCSV(t, srv, created)
	var optionRows, answerRows int
	for _, r := range csvRows[1:] {
		if r[0] != quiz {
			continue
		}
		if strings.HasPrefix(r[5], "answer ") {
			answerRows++
		} else {
			optionRows++
		}
	}
	if optionRows != 3 || answerRows != 3 {
		t.Fatalf("CSV: %d option rows and %d answer rows, want 3 and 3:\n%v", optionRows, answerRows, csvRows)
	}

	checkAxe(t, host, runAxe(t, host, src))
	checkAxe(t, phones[0], runAxe(t, phones[0], src))
	must(t, WaitIdle(display))
	res := runAxe(t, display, src)
	checkAxe(t, display, res)
	for _, v := range res.Violations {
		if v.ID == "color-contrast" {
			t.Errorf("display: text contrast fails on %d elements", len(v.Nodes))
		}
	}
}

// groupThousands writes n as the English pages do (1,000).
func groupThousands(n int) string { return numberIn("en", n) }

// numberIn writes n as Intl.NumberFormat does in English (1,000) and
// French (1 000, with a narrow no-break space).
func numberIn(lang string, n int) string {
	sep := ","
	if lang == "fr" {
		sep = "\u202f"
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}

func jsStrings(xs []string) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, JS(x))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// fetchCSV reads the session's CSV export.
func fetchCSV(t *testing.T, srv *Server, c Created) [][]string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/api/sessions/"+c.ID+"/export?format=csv", nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+c.FacilitatorKey)
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
