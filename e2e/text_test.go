package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// hostile are entries that would run code or fool the eye if a page put
// them into the DOM as HTML, or mangled them.
var hostile = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`javascript:alert(1)`,
	"\u202eevil",
	"zero\u200bwidth",
	strings.Repeat("w", 40),
}

// typeInto types text into the field sel, checks that the field holds it
// exactly, and submits the field's form with the button submit.
func typeInto(t *testing.T, tab *Tab, sel, text, submit string) {
	t.Helper()
	// Shown, enabled and empty: a form can be drawn before its activity
	// opens (disabled), and focusing it then fails.
	must(t, tab.WaitJS(Patience, "an empty field to type in", fieldReady(sel)+` && document.querySelector(`+JS(sel)+`).value === ""`, ""))
	// Input.insertText types like an input method or a paste does, which
	// also carries characters no key produces (U+202E, U+200B).
	must(t, tab.Do(chromedp.Focus(chromedp.CSS(sel)), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})))
	got, err := Eval[string](tab, fmt.Sprintf(`document.querySelector(%s).value`, JS(sel)))
	must(t, err)
	if got != text {
		t.Fatalf("%s: the field holds %q after typing %q", tab.Name, got, text)
	}
	must(t, tab.Do(chromedp.Click(chromedp.CSS(submit))))
}

// fieldReady is a JS condition: the field sel is drawn, shown and enabled,
// so that it takes the focus and keys.
func fieldReady(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && !e.disabled && e.getClientRects().length > 0; })()`, JS(sel))
}

// inert fails the test when a page holds an element made from the hostile
// strings, or opened a dialog.
func inert(t *testing.T, tabs ...*Tab) {
	t.Helper()
	for _, tab := range tabs {
		bad, err := Eval[[]string](tab, `(() => {
			const bad = [];
			for (const img of document.querySelectorAll("img")) {
				if (img.getAttribute("src") === "x" || img.hasAttribute("onerror")) bad.push(img.outerHTML);
			}
			for (const s of document.querySelectorAll("script")) {
				if (!s.src || new URL(s.src).pathname.indexOf("/static/") !== 0) bad.push(s.outerHTML);
			}
			for (const el of document.querySelectorAll("*")) {
				for (const a of el.attributes) if (a.name.startsWith("on")) bad.push(el.tagName + " " + a.name);
				if (el.getAttribute("href") && el.getAttribute("href").startsWith("javascript:")) bad.push(el.outerHTML);
			}
			return bad;
		})()`)
		must(t, err)
		if len(bad) > 0 {
			t.Errorf("%s: elements made from user text: %q", tab.Name, bad)
		}
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("%s: dialogs opened: %q", tab.Name, d)
		}
	}
}

// waitTexts waits until, for every string, an element matching sel has
// exactly that text.
func waitTexts(t *testing.T, tab *Tab, what, sel string, texts []string) {
	t.Helper()
	want, _ := json.Marshal(texts)
	must(t, tab.WaitJS(Patience, what, fmt.Sprintf(`(() => {
		const have = [...document.querySelectorAll(%s)].map(e => e.textContent);
		return %s.every(s => have.includes(s));
	})()`, JS(sel), want), fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.textContent)`, JS(sel))))
}

// TestWordCloudAndHostileText: attendees send words to a word cloud and
// questions to a Q&A board; the display and the console show them, and
// hostile entries stay plain text on every page.
func TestWordCloudAndHostileText(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Ideas evening")
	must(t, err)
	cloud, err := AddWordCloud(host, "One word for the town", len(hostile)+2)
	must(t, err)
	must(t, PresentAndOpen(host, cloud))
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))

	alice := newTab(t, "attendee 1", PhoneWidth, PhoneHeight)
	bob := newTab(t, "attendee 2", PhoneWidth, PhoneHeight)
	for _, a := range []*Tab{alice, bob} {
		must(t, JoinFromLanding(a, srv.URL(), created.Code))
		must(t, a.Do(chromedp.WaitVisible(chromedp.ID("word"))))
	}
	submitWord := func(a *Tab, w string) {
		t.Helper()
		typeInto(t, a, "#word", w, `#main .wordcloud form button[type=submit]`)
		must(t, a.WaitJS(Patience, "the word's confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .wordcloud .confirm"), JS(att.T("en", "word.received", "word", w))),
			fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .wordcloud .confirm"))))
	}
	submitWord(alice, "Parks")
	submitWord(bob, "parks")
	submitWord(bob, "Trains")
	for _, w := range hostile {
		submitWord(alice, w)
	}

	// The display draws every word, counted after normalization ("Parks"
	// and "parks" are one word), and lists them for screen readers.
	words := append([]string{"Parks", "Trains"}, hostile...)
	waitTexts(t, display, "the words in the cloud", ".show-cloud .wc-box span", words)
	show := tables(t, "show")
	waitTexts(t, display, "the words in the aria-live list", "#live li", []string{
		show.T("en", "live.words", "text", "Parks", "n", 2),
		show.T("en", "live.wordOne", "text", hostile[0], "n", 1),
		show.T("en", "live.wordOne", "text", hostile[1], "n", 1),
	})
	waitTexts(t, host, "the words on the console", Card(cloud)+" .row-text", words)
	waitTexts(t, alice, "the attendee's own words", "#main .wordcloud .chips li", append([]string{"Parks"}, hostile...))
	inert(t, host, display, alice, bob)

	// The same strings as questions.
	qa, err := AddQA(host, "Questions for the mayor")
	must(t, err)
	must(t, PresentAndOpen(host, qa))
	for _, q := range hostile {
		must(t, alice.WaitJS(Patience, "the question form", `document.getElementById("question") && !document.querySelector("#main .qa form").hidden`, ""))
		typeInto(t, alice, "#question", q, `#main .qa form button[type=submit]`)
		must(t, alice.WaitJS(Patience, "the question's confirmation", fmt.Sprintf(`%s === %s && document.getElementById("question").value === ""`, textOf("#main .qa .confirm"), JS(att.T("en", "qa.received"))),
			fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .qa .confirm"))))
	}
	waitTexts(t, host, "the questions on the console", Card(qa)+" .row-text", hostile)
	waitTexts(t, display, "the questions on the display", ".show-qa .qa-text", hostile)
	waitTexts(t, alice, "the questions on the asking phone", "#main .qa .entries .qtext", hostile)
	waitTexts(t, bob, "the questions on another phone", "#main .qa .entries .qtext", hostile)
	inert(t, host, display, alice, bob)
}
