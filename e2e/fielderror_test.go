package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// What is wrong with a form is said under the field that is wrong, tied to
// it for screen readers, and the field gets the focus: on the create screen
// and in the console's prepare form.
func TestErrorsBesideTheField(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	hostT := tables(t, "host")
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, host.Do(chromedp.Navigate(srv.URL()+"/host/"), chromedp.WaitVisible(chromedp.ID("create-title")), chromedp.Click(chromedp.ID("create-submit"))))
	beside := func(id, key string) string {
		return fmt.Sprintf(`(() => { const i = document.getElementById(%s); const p = document.getElementById(%s + "-error");
			return i.getAttribute("aria-invalid") === "true" && i.getAttribute("aria-describedby").split(" ").includes(%s + "-error") &&
				p && p.textContent === %s && i.nextElementSibling === p && document.activeElement === i; })()`, JS(id), JS(id), JS(id), JS(hostT.T("en", key)))
	}
	must(t, host.WaitJS(Patience, "the title's error under it", beside("create-title", "create.titleRequired"), consoleErrors))
	_, err := CreateSession(host, srv.URL(), "Errors where they are")
	must(t, err)
	// The prepare form is far down the side column: the button at its top
	// takes the keyboard there.
	must(t, host.Do(chromedp.Click(chromedp.ID("jump-prepare"))))
	must(t, host.WaitJS(Patience, "the keyboard in the prepare form", `document.activeElement === document.getElementById("kind-select") && document.getElementById("prepare-heading").getBoundingClientRect().top < innerHeight`,
		`[document.activeElement.id, document.getElementById("prepare-heading").getBoundingClientRect().top]`))
	must(t, chooseKind(host, "poll"))
	must(t, host.Do(chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`))))
	must(t, host.WaitJS(Patience, "the activity title's error under it", beside("poll-title", "form.titleRequired"), consoleErrors))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("poll-title"), "Which?"),
		chromedp.SendKeys(chromedp.CSS("#poll-options > li:nth-child(1) input"), "Only one"),
		chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`)),
	))
	id, err := Eval[string](host, `document.querySelector("#poll-options > li:nth-child(2) input").id`)
	must(t, err)
	must(t, host.WaitJS(Patience, "the missing option's error under it", beside(id, "poll.needOptions"), consoleErrors))
	// Fixed, the errors go.
	must(t, host.Do(
		chromedp.SendKeys(chromedp.CSS("#poll-options > li:nth-child(2) input"), "Another"),
		chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`)),
	))
	_, err = waitCard(host, "Which?")
	must(t, err)
	must(t, host.WaitJS(Patience, "no error left", `document.querySelectorAll("#form-poll [aria-invalid=true]").length === 0 && [...document.querySelectorAll("#form-poll .field-error")].every(p => p.textContent === "")`, consoleErrors))
}

// A console in French says a refusal in French and, for one whose generic
// text says too little to act on, the server's reason after it: the
// facilitator learns which language tag is wrong.
func TestRefusalReasonInFrench(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	hostT := tables(t, "host")
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	_, err := CreateSession(host, srv.URL(), "Langues")
	must(t, err)
	setSelect(t, host, "lang-select", "fr")
	must(t, host.WaitJS(Patience, "the console in French", fmt.Sprintf(`document.getElementById("langs-save").textContent === %s`, JS(hostT.T("fr", "langs.save"))), ""))
	_, err = Eval[chromedp.Void](host, `document.getElementById("langs-input").value = ""`)
	must(t, err)
	must(t, host.Do(chromedp.SendKeys(chromedp.ID("langs-input"), "en, fr, klingon!!"), chromedp.Click(chromedp.ID("langs-save"))))
	must(t, host.WaitJS(Patience, "the French refusal with the server's reason", fmt.Sprintf(`(() => { const s = document.getElementById("langs-error").textContent;
		return s.startsWith(%s) && s.includes(%s) && s.includes("klingon!!"); })()`, JS(hostT.T("fr", "error.bad_request")), JS("(en anglais)")), `document.getElementById("langs-error").textContent`))
}
