package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// consNames are the constituencies of TestConstituenciesInThreeLanguages:
// named in English, French and Spanish, the second without Spanish.
var consNames = []map[string]string{
	{"en": "Local governments", "fr": "Collectivités locales", "es": "Gobiernos locales"},
	{"en": "Civil society", "fr": "Société civile"},
	{"en": "UN agencies", "fr": "Agences de l’ONU", "es": "Agencias de la ONU"},
}

// joinPreview is what POST /api/join/preview answers.
type joinPreview struct {
	Constituencies    []string            `json:"constituencies"`
	ConstituencyNames []map[string]string `json:"constituencyNames"`
}

func previewOf(t *testing.T, srv *Server, code string) joinPreview {
	t.Helper()
	var p joinPreview
	postJSON(t, srv.URL()+"/api/join/preview", map[string]string{"code": code}, &p)
	return p
}

// TestConstituenciesInThreeLanguages: a session whose constituencies are
// named in English, French and Spanish. A French phone is offered the
// French names at join (with their lang, nothing chosen) and joins as one;
// phones that named theirs in other languages count in the same groups;
// the French display and the Spanish console name the segments in their
// language (the default where a name lacks it); the console edits the
// names side by side, says which are missing, fills one in and clears the
// list; the export has the identities and the names per language.
func TestConstituenciesInThreeLanguages(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	att, show, host := tables(t, "attendee"), tables(t, "show"), tables(t, "host")
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities are listening", "languages": []string{"en", "fr", "es"}, "constituencies": consNames}, &c)
	addrs := []string{srv.Addr}
	fac := connect(t, "facilitator", c.FacilitatorKey, addrs, 0, clientOpts{})
	poll := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "poll", "title": "First?", "options": []string{"Housing", "Transport"}, "segment": true, "minSegment": 1,
	}}))
	fac.must("activity.present", map[string]any{"activity": poll})
	fac.must("activity.open", map[string]any{"activity": poll})
	// Three phones name the local governments in three languages.
	for i, name := range []string{"Gobiernos locales", "collectivités LOCALES", "Local governments"} {
		var j struct {
			Token string `json:"token"`
		}
		postJSON(t, srv.URL()+"/api/join", map[string]string{"code": c.Code, "constituency": name}, &j)
		p := connect(t, fmt.Sprintf("phone-%d", i), j.Token, addrs, 0, clientOpts{})
		p.must("vote", map[string]any{"activity": poll, "choices": []int{0}})
	}

	// The French phone: the group question in French, the names in French.
	phone := newTab(t, "French phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, phone.WaitJS(Patience, "the group question", `document.querySelectorAll("#main input[type=radio]").length === 5`, `document.getElementById("main").innerText.slice(0, 300)`))
	setSelect(t, phone, "lang", "fr")
	offered := `JSON.stringify([...document.querySelectorAll("#main label.opt")].map(l => [l.querySelector(".txt").textContent, l.querySelector(".txt").lang, l.querySelector("input").checked]))`
	want := mustJSON([][]any{
		{"Collectivités locales", "fr", false}, {"Société civile", "fr", false}, {"Agences de l’ONU", "fr", false},
		{att.T("fr", "join.group_other"), "", false}, {att.T("fr", "join.group_none"), "", false},
	})
	must(t, phone.WaitJS(Patience, "the French names offered, none chosen", fmt.Sprintf(`%s === %s && document.querySelector("#main h1").textContent === %s`, offered, JS(want), JS(att.T("fr", "join.group_title"))), offered))
	checkAxe(t, phone, runAxe(t, phone, src))
	must(t, phone.Do(chromedp.Click(chromedp.CSS(`#main label.opt:nth-child(2)`)), chromedp.Click(chromedp.CSS(`#main form button[type=submit]`))))
	must(t, WaitPollOpen(phone, 2))
	must(t, Vote(phone, 1, att.T("fr", "poll.received")))

	// The display in French: each group by its French name.
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(c.Links.Show)))
	must(t, display.WaitJS(Patience, "the display's language switch", `document.getElementById("lang").options.length === 3`, ""))
	setSelect(t, display, "lang", "fr")
	groups := `JSON.stringify([...document.querySelectorAll(".show-poll .seg")].map(p => [p.querySelector(".seg-title").textContent, p.querySelector(".seg-title").lang, p.querySelector(".seg-n").textContent]))`
	must(t, display.WaitJS(Patience, "the French display's groups", fmt.Sprintf(`%s === %s`, groups, JS(mustJSON([][]string{
		{"Collectivités locales", "fr", show.T("fr", "seg.n", "n", 3)}, {"Société civile", "fr", show.T("fr", "seg.n", "n", 1)},
	}))), groups))

	// The console in Spanish: Spanish where the list has it, else English.
	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(c.Links.Host)))
	must(t, console.WaitJS(Patience, "the console", `document.getElementById("status").dataset.status === "online"`, ""))
	setSelect(t, console, "lang-select", "es")
	heads := fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s + " .seg-table thead th")].slice(1).map(th => [th.textContent, th.lang]))`, JS(Card(poll)))
	must(t, console.WaitJS(Patience, "the Spanish console's groups", fmt.Sprintf(`%s === %s`, heads, JS(mustJSON([][]string{
		{host.T("es", "seg.group_head", "name", "Gobiernos locales", "n", 3), "es"}, {host.T("es", "seg.group_head", "name", "Civil society", "n", 1), "en"},
	}))), heads))

	// The panel: one row per constituency, each language side by side,
	// the missing Spanish said beside its input and under the list.
	rows := `JSON.stringify([...document.querySelectorAll("#cons-rows > li")].map(li => [...li.querySelectorAll("input")].map(i => [i.lang, i.value])))`
	wantRows := mustJSON([][][]string{
		{{"en", "Local governments"}, {"fr", "Collectivités locales"}, {"es", "Gobiernos locales"}},
		{{"en", "Civil society"}, {"fr", "Société civile"}, {"es", ""}},
		{{"en", "UN agencies"}, {"fr", "Agences de l’ONU"}, {"es", "Agencias de la ONU"}},
	})
	must(t, console.WaitJS(Patience, "the names side by side", fmt.Sprintf(`%s === %s`, rows, JS(wantRows)), rows))
	missing := `(() => { const i = document.querySelector("#cons-rows > li:nth-child(2) input[lang=es]"); return document.getElementById(i.getAttribute("aria-describedby")).textContent; })()`
	langES, err := Eval[string](console, `new Intl.DisplayNames(["es"], {type: "language"}).of("es")`)
	must(t, err)
	must(t, console.WaitJS(Patience, "the missing Spanish name said", fmt.Sprintf(`%s === %s && document.getElementById("cons-missing").textContent === %s && !document.getElementById("cons-missing").hidden`,
		missing, JS(host.T("es", "lang.missing")), JS(host.T("es", "cons.missingLangs", "langs", langES))), `[`+missing+`, document.getElementById("cons-missing").textContent]`))
	checkAxe(t, console, runAxe(t, console, src))

	// A row named only in French is not sent (it would be kept as the
	// English name): the English name is asked for under that row.
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-add"))))
	must(t, console.Do(chromedp.SendKeys(chromedp.CSS(`#cons-rows > li:nth-child(4) input[lang=fr]`), "Élus"), chromedp.Click(chromedp.ID("cons-save"))))
	langEN, err := Eval[string](console, `new Intl.DisplayNames(["es"], {type: "language"}).of("en")`)
	must(t, err)
	rowError := `(() => { const i = document.querySelector("#cons-rows > li:nth-child(4) input[lang=en]"); const e = document.getElementById(i.id + "-error"); return [e ? e.textContent : "", i.getAttribute("aria-invalid"), (i.getAttribute("aria-describedby") || "").includes(i.id + "-error"), document.activeElement === i]; })()`
	must(t, console.WaitJS(Patience, "the default-language name asked for under its row", fmt.Sprintf(`JSON.stringify(%s) === %s`, rowError, JS(mustJSON([]any{host.T("es", "cons.defaultMissing", "lang", langEN), "true", true, true}))), `JSON.stringify(`+rowError+`)`))
	if p := previewOf(t, srv, c.Code); len(p.Constituencies) != 3 || p.ConstituencyNames[1]["es"] != "" {
		t.Fatalf("a list with a name lacking English was sent: the preview has %+v", p)
	}
	must(t, console.Do(chromedp.Click(chromedp.CSS(`#cons-rows > li:nth-child(4) .cons-remove`))))
	must(t, console.WaitJS(Patience, "the French-only row removed", `document.querySelectorAll("#cons-rows > li").length === 3`, ""))

	// Enter in a name saves the list; the focus stays in that name, the
	// save said in the console's language, the names in Spanish.
	esField := `#cons-rows > li:nth-child(2) input[lang=es]`
	must(t, console.Do(chromedp.SendKeys(chromedp.CSS(esField), "Sociedad civil\r")))
	must(t, console.WaitJS(Patience, "the names saved, the focus kept", fmt.Sprintf(`document.getElementById("live").textContent === %s && document.getElementById("cons-missing").hidden && document.activeElement === document.querySelector(%s) && document.activeElement.value === "Sociedad civil"`,
		JS(host.T("es", "cons.saved", "list", "Gobiernos locales, Sociedad civil, Agencias de la ONU")), JS(esField)), `[document.getElementById("live").textContent, document.getElementById("cons-error").textContent, document.activeElement.id]`))
	if p := previewOf(t, srv, c.Code); p.ConstituencyNames[1]["es"] != "Sociedad civil" || strings.Join(p.Constituencies, "|") != "Local governments|Civil society|UN agencies" {
		t.Fatalf("after saving, the preview has %+v", p)
	}
	must(t, console.WaitJS(Patience, "the Spanish name in the console's groups", fmt.Sprintf(`%s === %s`, heads, JS(mustJSON([][]string{
		{host.T("es", "seg.group_head", "name", "Gobiernos locales", "n", 3), "es"}, {host.T("es", "seg.group_head", "name", "Sociedad civil", "n", 1), "es"},
	}))), heads))

	// The export: identities, and the names per language beside them.
	var ex struct {
		Constituencies    []string            `json:"constituencies"`
		ConstituencyNames []map[string]string `json:"constituencyNames"`
		Activities        []struct {
			ID       string `json:"id"`
			Segments []struct {
				Constituency      string            `json:"constituency"`
				ConstituencyNames map[string]string `json:"constituencyNames"`
				Responses         int               `json:"responses"`
			} `json:"segments"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, c.ID, c.FacilitatorKey, &ex))
	if strings.Join(ex.Constituencies, "|") != "Local governments|Civil society|UN agencies" || ex.ConstituencyNames[0]["fr"] != "Collectivités locales" || ex.ConstituencyNames[1]["es"] != "Sociedad civil" {
		t.Errorf("the export's list: %v %v", ex.Constituencies, ex.ConstituencyNames)
	}
	got := map[string]int{}
	for _, a := range ex.Activities {
		if a.ID != poll {
			continue
		}
		for _, s := range a.Segments {
			got[s.Constituency] = s.Responses
			if s.Constituency == "Civil society" && s.ConstituencyNames["fr"] != "Société civile" {
				t.Errorf("the export's segment has names %v", s.ConstituencyNames)
			}
		}
	}
	if !reflect.DeepEqual(got, map[string]int{"Local governments": 3, "Civil society": 1, "UN agencies": 0}) {
		t.Errorf("the export's segments by identity: %v", got)
	}

	// Clearing is confirmed first: cancelled, the list stays.
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-clear"))))
	confirmShown := `!document.getElementById("cons-clear-confirm").hidden && document.getElementById("cons-clear").hidden && document.activeElement === document.getElementById("cons-clear-no") && document.getElementById("cons-clear-question").textContent === %s`
	must(t, console.WaitJS(Patience, "the clearing asked", fmt.Sprintf(confirmShown, JS(host.T("es", "cons.clearQuestion"))), `document.activeElement.id`))
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-clear-no"))))
	must(t, console.WaitJS(Patience, "the clearing cancelled", `document.getElementById("cons-clear-confirm").hidden && document.activeElement === document.getElementById("cons-clear") && document.querySelectorAll("#cons-rows > li").length === 3`, `document.activeElement.id`))
	if p := previewOf(t, srv, c.Code); len(p.Constituencies) != 3 {
		t.Fatalf("after cancelling, the preview offers %v", p.Constituencies)
	}
	// Cleared: the panel says there are none, and the phones are not asked.
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-clear"))))
	must(t, console.WaitJS(Patience, "the clearing asked again", fmt.Sprintf(confirmShown, JS(host.T("es", "cons.clearQuestion"))), `document.activeElement.id`))
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-clear-yes"))))
	must(t, console.WaitJS(Patience, "the list cleared", fmt.Sprintf(`document.getElementById("live").textContent === %s && document.querySelectorAll("#cons-rows > li").length === 0 && !document.getElementById("cons-empty").hidden`,
		JS(host.T("es", "cons.cleared"))), `[document.getElementById("live").textContent, document.getElementById("cons-error").textContent, document.querySelectorAll("#cons-rows > li").length]`))
	if p := previewOf(t, srv, c.Code); len(p.Constituencies) != 0 {
		t.Fatalf("after clearing, the preview offers %v", p.Constituencies)
	}
	// A row added and saved makes a list again.
	must(t, console.Do(chromedp.Click(chromedp.ID("cons-add"))))
	must(t, console.WaitJS(Patience, "a new row, its name focused", `document.activeElement && document.activeElement.closest("#cons-rows > li") !== null`, ""))
	must(t, console.Do(chromedp.SendKeys(chromedp.CSS(`#cons-rows > li:nth-child(1) input[lang=en]`), "Academia"), chromedp.Click(chromedp.ID("cons-save"))))
	pollUntil(t, "the list of one", func() bool { return strings.Join(previewOf(t, srv, c.Code).Constituencies, "|") == "Academia" })
}

// TestHiddenSummariesFollowTheLanguage: what only a screen reader hears
// (the console's names of the reactions, the display's sentence of the
// last reactions and of the results, the phone's results) is said in the
// page's new language once it is switched.
func TestHiddenSummariesFollowTheLanguage(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	att, show, host := tables(t, "attendee"), tables(t, "show"), tables(t, "host")
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities are listening"}, &c)
	fac := connect(t, "facilitator", c.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	fac.must("session.update", map[string]any{"reactions": true})
	poll := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "First?", "options": []string{"Housing", "Transport"}}}))
	fac.must("activity.present", map[string]any{"activity": poll})
	fac.must("activity.open", map[string]any{"activity": poll})
	fac.must("activity.reveal", map[string]any{"activity": poll, "attendees": true, "display": true})

	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(c.Links.Host)))
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(c.Links.Show)))
	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, WaitPollOpen(phone, 2))
	must(t, Vote(phone, 1, att.T("en", "poll.received")))
	must(t, phone.Do(chromedp.Click(chromedp.CSS(`.rx-btn[data-emoji=applause]`))))

	// The console's names of the reactions.
	rxNames := `[...document.querySelectorAll("#rx-counts .visually-hidden")].map(e => e.textContent).join("|")`
	names := func(l string) string {
		var out []string
		for _, k := range []string{"applause", "heart", "thumbsup", "laugh", "think"} {
			out = append(out, host.T(l, "reactions."+k))
		}
		return strings.Join(out, "|")
	}
	must(t, console.WaitJS(Patience, "the reactions' names in English", fmt.Sprintf(`%s === %s`, rxNames, JS(names("en"))), rxNames))
	setSelect(t, console, "lang-select", "fr")
	must(t, console.WaitJS(Patience, "the reactions' names in French", fmt.Sprintf(`%s === %s`, rxNames, JS(names("fr"))), rxNames))
	checkAxe(t, console, runAxe(t, console, src))

	// The display's sentences: the last reactions' and the results'.
	rxLive := `document.querySelector(".rx-layer .visually-hidden").textContent`
	sentence := func(l string) string {
		return show.T(l, "reactions.live", "list", show.T(l, "reactions.applause")+" 1")
	}
	must(t, display.WaitJS(Patience, "the reactions said in English", fmt.Sprintf(`%s === %s`, rxLive, JS(sentence("en"))), rxLive))
	results := `document.getElementById("live").textContent`
	must(t, display.WaitJS(Patience, "the results said in English", fmt.Sprintf(`%s.includes(%s)`, results, JS(show.T("en", "poll.voters", "n", 1))), results))
	setSelect(t, display, "lang", "fr")
	must(t, display.WaitJS(Patience, "the reactions said in French", fmt.Sprintf(`%s === %s`, rxLive, JS(sentence("fr"))), rxLive))
	must(t, display.WaitJS(Patience, "the results said in French", fmt.Sprintf(`%s.includes(%s)`, results, JS(show.T("fr", "poll.voters", "n", 1))), results))
	checkAxe(t, display, runAxe(t, display, src))

	// The phone's results as text.
	summary := `document.querySelector("#main .poll p.visually-hidden").textContent`
	must(t, phone.WaitJS(Patience, "the phone's results said in English", fmt.Sprintf(`%s.includes(%s)`, summary, JS(att.T("en", "poll.voters", "n", 1))), summary))
	setSelect(t, phone, "lang", "fr")
	must(t, phone.WaitJS(Patience, "the phone's results said in French", fmt.Sprintf(`%s.startsWith(%s) && %s.includes(%s)`, summary, JS(att.T("fr", "poll.results")), summary, JS(att.T("fr", "poll.voters", "n", 1))), summary))
}

// TestQueueOwnNamesInTheConsole: a draft queue whose own list is named per
// language keeps its names, and its approval of points of order, when the
// console edits it and saves it unchanged (and a segmented poll stays
// segmented); a French phone then offers the
// French names, and the English console shows the hand it raised under the
// English one.
func TestQueueOwnNamesInTheConsole(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities", "languages": []string{"en", "fr"}}, &c)
	fac := connect(t, "facilitator", c.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	names := []any{map[string]string{"en": "Mayors", "fr": "Maires"}, "Youth"}
	queue := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "queue", "title": "Floor", "constituencies": names, "orderApproval": true,
	}}))
	poll := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "poll", "title": "First?", "options": []string{"Housing", "Transport"}, "segment": true,
	}}))
	quiz := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind": "quiz", "title": "Which city?", "options": []string{"Nairobi", "Mombasa"}, "correct": []int{1}, "seconds": 30, "segment": true,
	}}))

	console := newTab(t, "console", 1280, 900)
	must(t, console.Do(chromedp.Navigate(c.Links.Host)))
	edit := Card(queue) + ` .card-prepare button[data-action="edit"]`
	must(t, console.WaitJS(Patience, "the draft's edit button", fmt.Sprintf(`!!document.querySelector(%s)`, JS(edit)), consoleErrors))
	must(t, console.Do(chromedp.Click(chromedp.CSS(edit))))
	must(t, console.WaitJS(Patience, "the draft in the form", `document.getElementById("queue-constituencies").value === "Mayors\nYouth" && document.getElementById("queue-order-approval").checked`,
		`[document.getElementById("queue-constituencies").value, document.getElementById("queue-order-approval").checked]`))
	must(t, console.Do(chromedp.Click(chromedp.CSS(`#form-queue button[type=submit]`))))
	editPoll := Card(poll) + ` .card-prepare button[data-action="edit"]`
	must(t, console.WaitJS(Patience, "the poll's edit button", fmt.Sprintf(`!!document.querySelector(%s)`, JS(editPoll)), consoleErrors))
	must(t, console.Do(chromedp.Click(chromedp.CSS(editPoll))))
	must(t, console.WaitJS(Patience, "the poll in the form, segmented", `document.getElementById("poll-title").value === "First?" && document.getElementById("poll-segment").checked`,
		`document.getElementById("poll-segment").checked`))
	must(t, console.Do(chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`))))
	editQuiz := Card(quiz) + ` .card-prepare button[data-action="edit"]`
	must(t, console.WaitJS(Patience, "the quiz's edit button", fmt.Sprintf(`!!document.querySelector(%s)`, JS(editQuiz)), consoleErrors))
	must(t, console.Do(chromedp.Click(chromedp.CSS(editQuiz))))
	quizForm := `JSON.stringify([[...document.querySelectorAll("#quiz-options > li")].map(li => [li.querySelector("input[type=text]").value, li.querySelector(".quiz-correct-box").checked]),
		document.getElementById("quiz-seconds").value, document.getElementById("quiz-segment").checked])`
	must(t, console.WaitJS(Patience, "the quiz in the form", fmt.Sprintf(`document.getElementById("quiz-title").value === "Which city?" && %s === %s`, quizForm,
		JS(`[[["Nairobi",false],["Mombasa",true]],"30",true]`)), quizForm))
	must(t, console.Do(chromedp.Click(chromedp.CSS(`#form-quiz button[type=submit]`))))

	// The plan is the spec as saved.
	planOf := func(i int) map[string]any {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/api/sessions/"+c.ID+"/plan", nil)
		must(t, err)
		req.Header.Set("Authorization", "Bearer "+c.FacilitatorKey)
		res, err := http.DefaultClient.Do(req)
		must(t, err)
		defer res.Body.Close()
		var p map[string]any
		must(t, json.NewDecoder(res.Body).Decode(&p))
		return p["activities"].([]any)[i].(map[string]any)
	}
	wantNames := []any{map[string]any{"en": "Mayors", "fr": "Maires"}, "Youth"}
	deadline := time.Now().Add(Patience)
	for {
		spec, pollSpec, quizSpec := planOf(0), planOf(1), planOf(2)
		if reflect.DeepEqual(spec["constituencies"], wantNames) && spec["orderApproval"] == true && spec["speakingSeconds"] == float64(180) && pollSpec["segment"] == true &&
			reflect.DeepEqual(quizSpec["options"], []any{"Nairobi", "Mombasa"}) && reflect.DeepEqual(quizSpec["correct"], []any{float64(1)}) && quizSpec["seconds"] == float64(30) && quizSpec["segment"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the drafts as saved: %v, %v, %v", spec, pollSpec, quizSpec)
		}
		time.Sleep(100 * time.Millisecond)
	}

	fac.must("activity.present", map[string]any{"activity": queue})
	fac.must("activity.open", map[string]any{"activity": queue})
	phone := newTab(t, "French phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, phone.WaitJS(Patience, "the raise-hand form", `!!document.getElementById("q-group")`, `document.getElementById("main").innerText.slice(0, 300)`))
	setSelect(t, phone, "lang", "fr")
	offered := `JSON.stringify([...document.getElementById("q-group").options].map(o => o.textContent).slice(1, 3))`
	must(t, phone.WaitJS(Patience, "the French names offered", fmt.Sprintf(`%s === %s`, offered, JS(mustJSON([]string{"Maires", "Youth"}))), offered))
	raiseHand(t, phone, "Zoé", "Maires", false)
	must(t, console.WaitJS(Patience, "the hand under its English name", fmt.Sprintf(`document.querySelector(%s).innerText.includes("Zoé (Mayors)")`, JS(Card(queue))),
		fmt.Sprintf(`document.querySelector(%s).innerText`, JS(Card(queue)))))
}

// TestQueueOffersTheJoinGroup: a phone that chose its constituency at join
// finds it chosen in the queue's form, named in the phone's language; one
// that preferred not to say finds nothing chosen, and a raise without a
// choice is refused on the page, with the select marked, until it picks.
func TestQueueOffersTheJoinGroup(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities", "languages": []string{"en", "fr", "es"}, "constituencies": consNames}, &c)
	fac := connect(t, "facilitator", c.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	queue := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "queue", "title": "Floor"}}))
	fac.must("activity.present", map[string]any{"activity": queue})
	fac.must("activity.open", map[string]any{"activity": queue})

	joinAs := func(name string, option int) *Tab {
		phone := newTab(t, name, PhoneWidth, PhoneHeight)
		must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
		must(t, phone.WaitJS(Patience, "the group question", `document.querySelectorAll("#main input[type=radio]").length === 5`, `document.getElementById("main").innerText.slice(0, 300)`))
		setSelect(t, phone, "lang", "fr")
		must(t, phone.WaitJS(Patience, "the group question in French", fmt.Sprintf(`document.querySelector("#main h1").textContent === %s`, JS(att.T("fr", "join.group_title"))), ""))
		must(t, phone.Do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#main label.opt:nth-child(%d)`, option))), chromedp.Click(chromedp.CSS(`#main form button[type=submit]`))))
		must(t, phone.WaitJS(Patience, "the raise-hand form", `!!document.getElementById("q-group") && !document.getElementById("q-group").closest(".row-field").hidden`, `document.getElementById("main").innerText.slice(0, 300)`))
		return phone
	}
	chosen := `[document.getElementById("q-group").value, document.getElementById("q-group").selectedOptions[0].textContent]`
	civil := joinAs("civil society phone", 2)
	must(t, civil.WaitJS(Patience, "the join's group chosen, in French", fmt.Sprintf(`JSON.stringify(%s) === %s`, chosen, JS(mustJSON([]string{"Société civile", "Société civile"}))), chosen))

	quiet := joinAs("phone that preferred not to say", 5)
	must(t, quiet.WaitJS(Patience, "nothing chosen", fmt.Sprintf(`JSON.stringify(%s) === %s`, chosen, JS(mustJSON([]string{"", att.T("fr", "queue.choose_group")}))), chosen))
	must(t, quiet.Do(chromedp.SendKeys(chromedp.ID("q-name"), "Zoé"), chromedp.Click(chromedp.CSS(`#main .queue form button[type=submit]`))))
	must(t, quiet.WaitJS(Patience, "the choice asked for", fmt.Sprintf(`document.getElementById("alert").textContent.includes(%s) && document.getElementById("q-group").getAttribute("aria-invalid") === "true" && document.activeElement.id === "q-group"`,
		JS(att.T("fr", "queue.need_group"))), `[document.getElementById("alert").textContent, document.activeElement.id]`))
	raiseHand(t, quiet, "Zoé", "Collectivités locales", false)
	raiseHand(t, civil, "Ana", "Société civile", false)

	// Both hands, each under its constituency (the raises were acked).
	var x struct {
		Activities []struct {
			Waiting []struct{ Name, Constituency string } `json:"waiting"`
		} `json:"activities"`
	}
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	must(t, srv.Export(ctx, c.ID, c.FacilitatorKey, &x))
	got := map[string]string{}
	for _, h := range x.Activities[0].Waiting {
		got[h.Name] = h.Constituency
	}
	if want := map[string]string{"Zoé": "Local governments", "Ana": "Civil society"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("the queue holds %v, want %v", got, want)
	}
}
