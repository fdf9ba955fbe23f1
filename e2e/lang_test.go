package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// setSelect chooses a value in a <select> as a person would, firing change.
func setSelect(t *testing.T, tab *Tab, id, value string) {
	t.Helper()
	_, err := Eval[chromedp.Void](tab, fmt.Sprintf(`(() => { const s = document.getElementById(%s); s.value = %s; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, JS(id), JS(value)))
	must(t, err)
}

// A session with English, French and Spanish content: the console writes
// each text in all three side by side, a French, a Spanish and an English
// phone each read their language (with the lang attribute a screen reader
// needs), their votes add up on one bar, and the display shows two
// languages at once.
func TestContentInThreeLanguages(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Cities are listening")
	must(t, err)
	must(t, host.Do(
		chromedp.SetValue(chromedp.ID("langs-input"), "en, fr, es"),
		chromedp.Click(chromedp.ID("langs-save")),
	))
	must(t, host.WaitJS(Patience, "the content languages", `document.querySelectorAll("#form-poll input[lang=es]").length >= 3`, `document.getElementById("langs-now").textContent + document.getElementById("langs-error").textContent`))

	must(t, chooseKind(host, "poll"))
	type texts struct{ en, fr, es string }
	title := texts{"What should cities do first?", "Que doivent faire les villes d’abord ?", "¿Qué deben hacer primero las ciudades?"}
	options := []texts{{"Housing", "Logement", "Vivienda"}, {"Transport", "Transports", "Transporte"}}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.ID("poll-title"), title.en),
		chromedp.SendKeys(chromedp.ID("poll-title-fr"), title.fr),
		chromedp.SendKeys(chromedp.ID("poll-title-es"), title.es),
	}
	for i, o := range options {
		li := fmt.Sprintf("#poll-options > li:nth-child(%d) ", i+1)
		steps = append(steps,
			chromedp.SendKeys(chromedp.CSS(li+"input[lang=en]"), o.en),
			chromedp.SendKeys(chromedp.CSS(li+"input[lang=fr]"), o.fr),
		)
		// The second option is left without Spanish: the console says so.
		if i == 0 {
			steps = append(steps, chromedp.SendKeys(chromedp.CSS(li+"input[lang=es]"), o.es))
		}
	}
	must(t, host.Do(steps...))
	must(t, host.WaitJS(Patience, "the missing Spanish marked", `document.querySelector("#poll-options > li:nth-child(2) input[lang=es]").getAttribute("aria-describedby") && document.getElementById(document.querySelector("#poll-options > li:nth-child(2) input[lang=es]").getAttribute("aria-describedby")).textContent !== "" && document.getElementById(document.querySelector("#poll-options > li:nth-child(1) input[lang=es]").getAttribute("aria-describedby")).textContent === ""`, ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`))))
	poll, err := waitCard(host, title.en)
	must(t, err)
	must(t, PresentAndOpen(host, poll))

	phones := map[string]*Tab{}
	want := map[string]texts{}
	for _, l := range []string{"fr", "es", "en"} {
		tab := newTab(t, "phone "+l, PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(tab, srv.URL(), created.Code))
		if l != "en" {
			setSelect(t, tab, "lang", l)
		}
		phones[l] = tab
	}
	// Typed with a plain space, the French "?" is shown with a no-break one
	// (langs.js frSpaces), so that it never starts a line alone.
	want["fr"] = texts{strings.Replace(title.fr, " ?", "\u202f?", 1), options[0].fr, options[1].fr}
	want["es"] = texts{title.es, options[0].es, options[1].en} // no Spanish: the default
	want["en"] = texts{title.en, options[0].en, options[1].en}
	for l, tab := range phones {
		w := want[l]
		must(t, tab.WaitJS(Patience, l+" phone in "+l,
			fmt.Sprintf(`(() => { const s = document.querySelector("#main > section.poll"); if (!s) return false;
				const o = s.querySelectorAll(".options > button.opt .txt");
				return s.lang === %s && document.getElementById("act-title").textContent === %s && o.length === 2 && o[0].textContent === %s && o[1].textContent === %s; })()`,
				JS(l), JS(w.en), JS(w.fr), JS(w.es)),
			`[document.querySelector("#main > section") && document.querySelector("#main > section").lang, document.getElementById("main").innerText.slice(0, 200)]`))
		must(t, tab.Do(chromedp.Click(chromedp.CSS(OptionButton(0)))))
		must(t, tab.WaitJS(Patience, l+" vote received", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-checked") === "true"`, JS(OptionButton(0))), ""))
	}

	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	must(t, display.WaitJS(Patience, "the language choice on the display", `!document.getElementById("lang2-row").hidden`, ""))
	setSelect(t, display, "lang2", "es")
	must(t, display.WaitJS(Patience, "two languages on the display with three votes on one bar",
		fmt.Sprintf(`(() => { const h = document.querySelector(".show-poll .show-title"); const s = document.querySelector(".show-poll .show-title-2 [lang=es]");
			const r = document.querySelector(".show-poll .poll-row"); const l2 = r && r.querySelector(".poll-label [lang=es]");
			return h && h.textContent === %s && h.lang === "en" && s && s.textContent === %s && l2 && l2.textContent === %s && r.querySelector(".poll-count").textContent === "3"; })()`,
			JS(title.en), JS(title.es), JS(options[0].es)),
		`document.querySelector(".show-poll") && document.querySelector(".show-poll").innerText`))
	// The choice is remembered.
	must(t, display.Do(chromedp.Reload()))
	must(t, display.WaitJS(Patience, "the second language after a reload", `document.querySelector(".show-poll .show-title-2 [lang=es]") !== null`, ""))

	// A Q&A: each question carries its asker's language; the console and
	// the display show one language's questions when asked to.
	must(t, chooseKind(host, "qa"))
	must(t, host.Do(chromedp.SendKeys(chromedp.ID("qa-title"), "Questions"), chromedp.Click(chromedp.CSS(`#form-qa button[type=submit]`))))
	qa, err := waitCard(host, "Questions")
	must(t, err)
	must(t, PresentAndOpen(host, qa))
	asked := map[string]string{"fr": "Quand commence le budget participatif ?", "es": "¿Cuándo empieza el presupuesto participativo?", "en": "When does participatory budgeting start?"}
	for l, q := range asked {
		tab := phones[l]
		must(t, tab.WaitJS(Patience, "the question form", `document.getElementById("question") !== null`, ""))
		typeInto(t, tab, "#question", q, `#main .qa form button[type=submit]`)
		must(t, tab.WaitJS(Patience, "the question sent", `document.getElementById("question").value === ""`, ""))
	}
	card := Card(qa)
	must(t, host.WaitJS(Patience, "three questions, each marked with its language", fmt.Sprintf(`(() => { const r = [...document.querySelectorAll(%s)]; return r.length === 3 && r.every(e => e.lang); })()`, JS(card+" .qa-rows .row-text")), ""))
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`(() => { const s = document.querySelector(%s); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, JS(card+" .qa-tools select[id^=qa-lang]")))
	must(t, err)
	must(t, host.WaitJS(Patience, "the French questions only", fmt.Sprintf(`(() => { const r = [...document.querySelectorAll(%s)]; return r.length === 1 && r[0].textContent === %s && r[0].lang === "fr"; })()`, JS(card+" .qa-rows .row-text"), JS(strings.Replace(asked["fr"], " ?", "\u202f?", 1))),
		fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)`, JS(card+" .qa-rows .row-text"))))
	must(t, display.WaitJS(Patience, "the questions' language choice", `!document.getElementById("qlang-row").hidden && document.querySelectorAll(".show-qa .qa-text").length === 3`, ""))
	setSelect(t, display, "qlang", "es")
	must(t, display.WaitJS(Patience, "the Spanish question only on the display", fmt.Sprintf(`(() => { const q = [...document.querySelectorAll(".show-qa .qa-text")]; return q.length === 1 && q[0].textContent === %s && q[0].lang === "es"; })()`, JS(asked["es"])),
		`[...document.querySelectorAll(".show-qa .qa-text")].map(e => e.textContent)`))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ex struct {
		Activities []struct {
			ID      string `json:"id"`
			Options []struct {
				Label  string            `json:"label"`
				Labels map[string]string `json:"labels"`
				Votes  int               `json:"votes"`
			} `json:"options"`
		} `json:"activities"`
	}
	must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &ex))
	for _, a := range ex.Activities {
		if a.ID == poll {
			o := a.Options[0]
			if o.Votes != 3 || o.Label != "Housing" || o.Labels["fr"] != "Logement" || o.Labels["es"] != "Vivienda" {
				t.Fatalf("export: %+v", a.Options)
			}
			return
		}
	}
	t.Fatalf("no poll %s in the export", poll)
}

// The same idea in three languages counts as one word once the console
// merges it, spellings that differ by accents are offered as a merge, and
// an unmerge takes it back.
func TestWordMergeFromConsole(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "One word")
	must(t, err)
	cloud, err := AddWordCloud(host, "What matters most?", 3)
	must(t, err)
	must(t, PresentAndOpen(host, cloud))
	words := [][]string{{"Housing", "Énergie"}, {"Logement", "energie"}, {"Vivienda"}}
	for i, ws := range words {
		a := newTab(t, fmt.Sprintf("phone %d", i+1), PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(a, srv.URL(), created.Code))
		for _, w := range ws {
			typeInto(t, a, "#word", w, `#main .wordcloud form button[type=submit]`)
			must(t, a.WaitJS(Patience, "the word sent", `document.querySelectorAll("#main .wordcloud .chips li").length > 0 && document.getElementById("word").value === ""`, ""))
		}
	}
	card := Card(cloud)
	waitTexts(t, host, "the words on the console", card+" .row-text", []string{"Housing", "Logement", "Vivienda", "Énergie", "energie"})
	// Énergie and energie differ by an accent only: the console offers them.
	must(t, host.WaitJS(Patience, "the suggested merge", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent === "Énergie · energie")`, JS(card+" .wc-suggest .row-text")), ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(card+` .wc-suggest button[data-action=merge]`))))
	// The same word in three languages is the facilitator's to say.
	must(t, host.Do(
		chromedp.SendKeys(chromedp.CSS(card+" .wc-merge input[id$=-texts]"), "Housing, Logement, Vivienda"),
		chromedp.SendKeys(chromedp.CSS(card+" .wc-merge input[id$=-as]"), "Housing"),
		chromedp.Click(chromedp.CSS(card+" .wc-merge button[type=submit]")),
	))
	count := func(word string) string {
		return fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(li => li.querySelector(".row-text").textContent === %s).map(li => li.querySelector(".row-count").textContent)`, JS(card+" .rows li"), JS(word))
	}
	must(t, host.WaitJS(Patience, "Housing counted as one word of three", fmt.Sprintf(`(() => { const c = %s; return c.length === 1 && c[0].includes("3") && %s.length === 0; })()`, count("Housing"), count("Logement")),
		fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)`, JS(card+" .rows li"))))
	must(t, host.WaitJS(Patience, "Énergie counted as one word of two", fmt.Sprintf(`(() => { const c = %s; return c.length === 1 && c[0].includes("2"); })()`, count("Énergie")), ""))

	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	must(t, display.WaitJS(Patience, "the merged words in the cloud", `(() => { const w = [...document.querySelectorAll(".show-cloud .wc-box span")].map(e => e.textContent); return w.includes("Housing") && w.includes("Énergie") && !w.includes("Logement") && !w.includes("energie"); })()`,
		`[...document.querySelectorAll(".show-cloud .wc-box span")].map(e => e.textContent)`))

	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`[...document.querySelectorAll(%s)].find(li => li.querySelector(".row-text").textContent === "Housing").querySelector("button[data-action=unmerge]").click()`, JS(card+" .rows li")))
	must(t, err)
	must(t, display.WaitJS(Patience, "the Housing merge undone, Énergie's kept", `(() => { const w = [...document.querySelectorAll(".show-cloud .wc-box span")].map(e => e.textContent); return ["Housing", "Logement", "Vivienda", "Énergie"].every(x => w.includes(x)) && !w.includes("energie"); })()`,
		`[...document.querySelectorAll(".show-cloud .wc-box span")].map(e => e.textContent)`))
}
