package e2e

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// fitNames are the constituencies of TestDisplayResultsFit.
var fitNames = []map[string]string{
	{"en": "Local governments", "fr": "Collectivités locales"},
	{"en": "Civil society", "fr": "Société civile"},
	{"en": "UN agencies", "fr": "Agences de l’ONU"},
}

// TestDisplayResultsFit: a poll segmented by constituency, the display in
// French with English under it, eight voters in three groups. At 1280×720
// and 1920×1080 the voters count, each option and the groups' panels do not
// overlap and nothing is cut; the shown percentages (2, 3 and 3 of 8) add
// to 100; the user's "premier ?" keeps its "?" with the word; the second
// language list names each language in itself.
func TestDisplayResultsFit(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities are listening", "languages": []string{"en", "fr"}, "constituencies": fitNames}, &c)
	addrs := []string{srv.Addr}
	fac := connect(t, "facilitator", c.FacilitatorKey, addrs, 0, clientOpts{})
	poll := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{
		"kind":  "poll",
		"title": map[string]string{"fr": "Que devons-nous financer en premier ?", "en": "What should we fund first?"},
		"options": []map[string]string{
			{"fr": "Logement abordable", "en": "Affordable housing"},
			{"fr": "Transports publics", "en": "Public transport"},
			{"fr": "Espaces verts", "en": "Green spaces"},
		},
		"segment": true, "minSegment": 1,
	}}))
	fac.must("activity.present", map[string]any{"activity": poll})
	fac.must("activity.open", map[string]any{"activity": poll})
	votes := []struct {
		group  string
		choice int
	}{{"Local governments", 0}, {"Local governments", 1}, {"Local governments", 2}, {"Civil society", 0}, {"Civil society", 1}, {"Civil society", 2}, {"UN agencies", 1}, {"UN agencies", 2}}
	for i, v := range votes {
		var j struct {
			Token string `json:"token"`
		}
		postJSON(t, srv.URL()+"/api/join", map[string]string{"code": c.Code, "constituency": v.group}, &j)
		p := connect(t, fmt.Sprintf("phone-%d", i), j.Token, addrs, 0, clientOpts{})
		p.must("vote", map[string]any{"activity": poll, "choices": []int{v.choice}})
	}

	for _, size := range [][2]int64{{1280, 720}, {1920, 1080}} {
		name := fmt.Sprintf("display %dx%d", size[0], size[1])
		display := newTab(t, name, size[0], size[1])
		must(t, display.Do(chromedp.Navigate(c.Links.Show)))
		must(t, display.WaitJS(Patience, name+": the language lists", `!document.getElementById("lang2-row").hidden && document.getElementById("lang").options.length >= 2`, ""))
		// The second language list names each language in itself, as the list beside it.
		names := `JSON.stringify([...document.getElementById("lang2").options].slice(1).map(o => [o.value, o.textContent, o.lang]))`
		want := `JSON.stringify([["en", "English", "en"], ["fr", "Français", "fr"]])`
		must(t, display.WaitJS(Patience, name+": autonyms in the second language list", names+" === "+want, names))
		setSelect(t, display, "lang", "fr")
		setSelect(t, display, "lang2", "en")
		must(t, display.WaitJS(Patience, name+": the French results with English under them and the groups",
			`(() => { const p = document.querySelector(".show-poll"); return p && p.querySelectorAll(".poll-row .poll-label-second").length === 3 &&
				p.querySelectorAll(".seg").length === 3 && /8/.test((p.querySelector(".show-count") || {}).textContent || "") &&
				p.querySelector(".show-title").textContent.startsWith("Que devons"); })()`,
			`document.querySelector(".show-poll") && document.querySelector(".show-poll").innerText`))
		// The bars' transitions end before the boxes are measured.
		geometry := `(() => {
			const p = document.querySelector(".show-poll");
			const boxes = [["title", p.querySelector(".show-head")], ["count", p.querySelector(".show-count")]]
				.concat([...p.querySelectorAll(".poll-row")].map((r, i) => ["option " + i, r]))
				.concat([["segments", p.querySelector(".seg-grid")]]);
			const bad = [];
			const stage = document.querySelector(".show-stage");
			if (stage.scrollHeight > stage.clientHeight + 1) bad.push("stage cut: " + stage.scrollHeight + " > " + stage.clientHeight);
			const list = p.querySelector(".poll-list");
			if (list.scrollHeight > list.clientHeight + 1 && getComputedStyle(list).overflowY !== "auto") bad.push("list cut: " + list.scrollHeight + " > " + list.clientHeight);
			const sr = stage.getBoundingClientRect();
			const rs = boxes.map(([n, e]) => [n, e.getBoundingClientRect()]);
			for (const [n, r] of rs) if (r.top < sr.top - 1 || r.bottom > sr.bottom + 1) bad.push(n + " outside the stage");
			for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
				const [a, ra] = rs[i], [b, rb] = rs[j];
				if (a === "title" && b === "count") continue; // the count is inside the heading
				if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1) bad.push(a + " over " + b);
			}
			if (bad.length) bad.push(JSON.stringify({list: [list.clientHeight, list.scrollHeight], font: getComputedStyle(list).fontSize}));
			return bad.join("; ");
		})()`
		must(t, display.WaitJS(Patience, name+": nothing overlaps, nothing is cut", geometry+` === ""`, geometry))
		// 2, 3 and 3 of 8 are 25, 37.5 and 37.5: shown, they add to 100.
		pcts := `JSON.stringify([...document.querySelectorAll(".show-poll .poll-pct")].map(e => parseInt(e.textContent.replace(/\D/g, ""), 10)))`
		must(t, display.WaitJS(Patience, name+": the shares add to 100", pcts+` === "[25,38,37]" || `+pcts+` === "[25,37,38]"`, pcts))
		// The user's plain space before "?" is shown as a no-break space in French.
		title := `document.querySelector(".show-poll .show-title").firstChild.textContent`
		must(t, display.WaitJS(Patience, name+": no-break space before ? in the French title", title+` === "Que devons-nous financer en premier\u202f?"`, `JSON.stringify(`+title+`)`))
	}
}

// TestSharesAndFrenchSpaces runs dom.js's shares and langs.js's frSpaces on
// table cases in Chromium.
func TestSharesAndFrenchSpaces(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	tab := patchPage(t)
	shares := []struct {
		counts []int
		total  int
		want   []int
	}{
		{[]int{2, 3, 3}, 8, []int{25, 38, 37}},                      // 37.5 twice: the first takes the point
		{[]int{1, 1, 1}, 3, []int{34, 33, 33}},                      // rounded, 99
		{[]int{1, 1, 1, 1, 1, 1}, 6, []int{17, 17, 17, 17, 16, 16}}, // rounded, 102
		{[]int{0, 0}, 0, []int{0, 0}},
		{[]int{4, 5}, 6, []int{67, 83}}, // a multiple choice: each of the voters, rounded
		{[]int{1, 199}, 200, []int{1, 99}},
	}
	for _, c := range shares {
		b, err := json.Marshal([]any{c.counts, c.total})
		must(t, err)
		got, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`import("/static/js/dom.js").then(m => JSON.stringify(m.shares(...`+string(b)+`)))`, chromedp.EvalAwaitPromise))
		must(t, err)
		if want := mustJSON(c.want); got != want {
			t.Errorf("shares(%v, %d) = %s, want %s", c.counts, c.total, got, want)
		}
	}
	spaces := []struct{ text, tag, want string }{
		{"Que devons-nous financer en premier ?", "fr", "Que devons-nous financer en premier\u202f?"},
		{"Oui ! Non ; peut-être : « bof »", "fr-CA", "Oui\u202f! Non\u202f; peut-être\u00a0: «\u00a0bof\u00a0»"},
		{"Déjà\u202f? http://x.fr", "fr", "Déjà\u202f? http://x.fr"},
		{"What first ?", "en", "What first ?"},
		{"Quoi ?", "", "Quoi ?"},
	}
	for _, c := range spaces {
		b, err := json.Marshal([]string{c.text, c.tag})
		must(t, err)
		got, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`import("/static/js/langs.js").then(m => m.frSpaces(...`+string(b)+`))`, chromedp.EvalAwaitPromise))
		must(t, err)
		if got != c.want {
			t.Errorf("frSpaces(%q, %q) = %q, want %q", c.text, c.tag, got, c.want)
		}
	}
}

// TestFrenchJoinsAndAgreement: the word cloud's "hidden" agrees with
// "Mots" while the contributions' agrees with "Contributions"; the join of
// a label and its value puts French's no-break space before the colon.
func TestFrenchJoinsAndAgreement(t *testing.T) {
	t.Parallel()
	rep := tables(t, "report")
	if got := rep.T("fr", "wc.hidden"); got != "Masqués" {
		t.Errorf("report fr wc.hidden = %q, want Masqués (des mots)", got)
	}
	if got := rep.T("fr", "mod.hidden"); got != "Masquées" {
		t.Errorf("report fr mod.hidden = %q, want Masquées (des contributions)", got)
	}
	for _, page := range []string{"attendee", "host", "show"} {
		tb := tables(t, page)
		if got, want := tb.T("fr", "say.pair", "label", "Logement", "value", "3"), "Logement\u00a0: 3"; got != want {
			t.Errorf("%s fr say.pair = %q, want %q", page, got, want)
		}
		if got, want := tb.T("en", "say.pair", "label", "Housing", "value", "3"), "Housing: 3"; got != want {
			t.Errorf("%s en say.pair = %q, want %q", page, got, want)
		}
	}
}
