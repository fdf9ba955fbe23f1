package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOneOfEachKind: one session, one activity of every kind, each
// prepared on the console, presented and opened, answered by three phones
// and shown on the display, as a facilitator runs a town hall; the export
// then holds every kind's answers.
func TestOneOfEachKind(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	r := openKindsRoom(t, "Every kind of question")
	att := r.att
	onDisplay := func(kind, what string) {
		t.Helper()
		must(t, r.display.WaitJS(Patience, what+" on the display", fmt.Sprintf(`!!document.querySelector(".show-%s")`, kind),
			`document.getElementById("stage").innerText.slice(0, 300)`))
	}
	confirmed := func(p *Tab, sel string) {
		t.Helper()
		must(t, p.WaitJS(Patience, "the answer confirmed", fmt.Sprintf(`(() => { const c = document.querySelector(%s); return !!c && c.textContent !== ""; })()`, JS(sel)),
			`[document.getElementById("main").innerText.slice(0, 300), document.getElementById("alert").textContent]`))
	}
	run := func(id string) {
		t.Helper()
		must(t, PresentAndOpen(r.host, id))
	}

	poll, err := AddPoll(r.host, "Which first?", []string{"Housing", "Transport"})
	must(t, err)
	run(poll)
	onDisplay("poll", "the poll")
	for _, p := range r.phones {
		must(t, WaitPollOpen(p, 2))
		must(t, Vote(p, 0, att.T("en", "poll.received")))
	}

	cloud, err := AddWordCloud(r.host, "One word", 2)
	must(t, err)
	run(cloud)
	onDisplay("cloud", "the word cloud")
	for i, p := range r.phones {
		must(t, p.WaitJS(Patience, "the word form", `document.getElementById("word") !== null`, ""))
		typeInto(t, p, "#word", []string{"Water", "Parks", "Water"}[i], `#main .wordcloud form button[type=submit]`)
		confirmed(p, "#main .wordcloud .confirm")
	}

	qa, err := AddQA(r.host, "Your questions")
	must(t, err)
	run(qa)
	onDisplay("qa", "the Q&A")
	for i, p := range r.phones {
		must(t, p.WaitJS(Patience, "the question form", `document.getElementById("question") !== null`, ""))
		typeInto(t, p, "#question", fmt.Sprintf("Question %d?", i+1), `#main .qa form button[type=submit]`)
		confirmed(p, "#main .qa .confirm")
	}

	queue, err := AddQueue(r.host, "Speakers", 120, []string{"North", "South"})
	must(t, err)
	run(queue)
	onDisplay("queue", "the queue")
	for i, p := range r.phones {
		raiseHand(t, p, []string{"Ana", "Bo", "Cy"}[i], []string{"North", "South", "North"}[i], false)
	}

	scale := addWithList(t, r.host, "scale", "Rate these", "scale-statements", "scale-add", []string{"Housing", "Parks"})
	run(scale)
	onDisplay("scale", "the scale")
	for i, p := range r.phones {
		// Open on the phone too, not only drawn: a tap on a draft's point
		// does nothing.
		must(t, p.WaitJS(Patience, "the open scale", fmt.Sprintf(`!!document.querySelector(%s) && !document.querySelector(%s).hasAttribute("aria-disabled")`, JS(point(1, 1)), JS(point(1, 1))), ""))
		rate(t, p, att, []int{1 + i, 5 - i})
	}

	ranking := addWithList(t, r.host, "ranking", "Rank these", "ranking-options", "ranking-add", []string{"Buses", "Trees", "Rents"})
	run(ranking)
	onDisplay("ranking", "the ranking")
	for i, p := range r.phones {
		must(t, p.WaitJS(Patience, "the ranking", `document.querySelectorAll("#main .act.ranking .rank-item").length === 3 && !document.querySelector("#main .act.ranking .rank-item:nth-child(2) .rank-up").hasAttribute("aria-disabled")`, ""))
		for range i {
			must(t, p.Do(chromedp.Click(chromedp.CSS(rankItem(2)+" .rank-up"))))
		}
		must(t, p.Do(chromedp.Click(chromedp.CSS(`#main .act.ranking > button.btn`))))
		confirmed(p, "#main .act.ranking .confirm")
	}
	// A copy of the ranking opens in its form with every option (the
	// shared list of texts, dom.js), then goes again.
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(Card(ranking)+` .card-prepare button[data-action="duplicate"]`))))
	copyExpr := fmt.Sprintf(`(() => { const c = [...document.querySelectorAll("#activities > article")].find(a => a.dataset.key !== %s && a.classList.contains("is-copy")); return c ? c.dataset.key : ""; })()`, JS(ranking))
	must(t, r.host.WaitJS(Patience, "the ranking's copy in its form", fmt.Sprintf(`%s !== "" && document.activeElement === document.getElementById("ranking-title") &&
		JSON.stringify([...document.querySelectorAll("#ranking-options > li input:first-of-type")].map(i => i.value)) === %s`, copyExpr, JS(`["Buses","Trees","Rents"]`)),
		`[document.activeElement.id, [...document.querySelectorAll("#ranking-options > li input")].map(i => i.value)]`))
	rankCopy, err := Eval[string](r.host, copyExpr)
	must(t, err)
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(`#form-ranking .cancel-edit`))))
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(Card(rankCopy)+` .card-prepare button[data-action="delete"]`))))
	must(t, r.host.Do(chromedp.Click(chromedp.CSS(Card(rankCopy)+` button[data-action="delete-yes"]`))))
	must(t, r.host.WaitJS(Patience, "the copy deleted", fmt.Sprintf(`document.querySelector(%s) === null`, JS(Card(rankCopy))), consoleErrors))

	must(t, chooseKind(r.host, "open"))
	must(t, r.host.Do(chromedp.SendKeys(chromedp.ID("open-title"), "In one sentence"), chromedp.SetValue(chromedp.ID("open-max-entries"), "2"),
		chromedp.Click(chromedp.CSS(`#form-open button[type=submit]`))))
	open, err := waitCard(r.host, "In one sentence")
	must(t, err)
	run(open)
	onDisplay("open", "the open question")
	for i, p := range r.phones {
		must(t, p.WaitJS(Patience, "the answer form, open", fieldReady("#main .act.open #open-answer"), ""))
		must(t, p.Do(chromedp.SendKeys(chromedp.ID("open-answer"), fmt.Sprintf("Answer number %d", i+1)), chromedp.Click(chromedp.CSS(`#main .act.open form button[type=submit]`))))
		confirmed(p, "#main .act.open .confirm")
	}
	// A second answer begun: "received" was about the first, and goes.
	must(t, r.phones[0].Do(chromedp.SendKeys(chromedp.ID("open-answer"), "A")))
	must(t, r.phones[0].WaitJS(Patience, "the confirmation gone once a new answer is typed", `document.querySelector("#main .act.open .confirm").textContent === "" && !document.querySelector("#main .act.open form").hidden`,
		textOf("#main .act.open")))

	// Twenty seconds: three phones answer together, as in a hall, in time
	// on a busy machine.
	quiz, err := addQuiz(r.host, "Capital?", []string{"Lyon", "Paris"}, []int{1}, 20)
	must(t, err)
	run(quiz)
	onDisplay("quiz", "the quiz")
	must(t, answerTogether(r.phones, []int{1, 1, 1}, func(int) string { return "" }))
	// Nobody closes the quiz: the server does when its time is up.
	must(t, r.display.WaitJS(2*Patience, "the quiz's leaderboard", `document.querySelectorAll(".show-quiz .quiz-board li").length >= 1`,
		`document.getElementById("stage").innerText.slice(0, 300)`))

	var ex struct {
		Activities []struct {
			ID        string `json:"id"`
			Kind      string `json:"kind"`
			Responses int    `json:"responses"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, r.srv.Export(ctx, r.created.ID, r.created.FacilitatorKey, &ex))
	want := map[string]string{poll: "poll", cloud: "wordcloud", qa: "qa", queue: "queue", scale: "scale", ranking: "ranking", open: "open", quiz: "quiz"}
	seen := 0
	for _, a := range ex.Activities {
		if want[a.ID] != a.Kind {
			t.Errorf("export: activity %s is a %s, want %q", a.ID, a.Kind, want[a.ID])
			continue
		}
		seen++
		if a.Responses < 3 {
			t.Errorf("export: the %s has %d responses, want 3", a.Kind, a.Responses)
		}
	}
	if seen != len(want) {
		t.Errorf("export: %d of the %d activities", seen, len(want))
	}
}
