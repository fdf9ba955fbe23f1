package e2e

// Browser tests of what a new-user trial found: a console opened in another
// browser hands out the join link with its key and the display link; a
// deleted session is said as such on the phone, the display and the
// console; an ended session's "End the session" heading goes; a mistyped
// code stays in the field; a key link opened in the same tab after "Too
// many attempts" joins.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// deleteSession deletes a session through the API.
func deleteSession(t *testing.T, srv *Server, c Created) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, srv.URL()+"/api/sessions/"+c.ID, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+c.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE answered %d; want 204", res.StatusCode)
	}
}

// TestConsoleLinksThenDeleted: a console opened with only the facilitator
// key (no create answer in its browser) shows the join link with its key
// and a display link that works; when the session is deleted, the phone
// says so without offering to join again, the display says there is
// nothing to open again, and the console says so, links to /host/ and
// forgets the session's keys.
func TestConsoleLinksThenDeleted(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	src := axeSource(t)
	hostT := tables(t, "host")
	att := tables(t, "attendee")
	showT := tables(t, "show")
	srv := startServer(t)
	c := createSession(t, srv.URL(), "Links")
	if !strings.Contains(c.Links.Join, "#") {
		t.Fatalf("the create answer's join link %q has no key", c.Links.Join)
	}

	host := newTab(t, "host", 1280, 900)
	must(t, host.Do(chromedp.Navigate(srv.URL()+"/host/"+c.ID+"#"+c.FacilitatorKey)))
	links := `JSON.stringify({join: document.getElementById("join-link").textContent, href: document.getElementById("join-link").href, show: document.getElementById("show-link").textContent, row: document.getElementById("show-link-row").hidden, missing: document.getElementById("show-link-missing").hidden})`
	must(t, host.WaitJS(Patience, "the join link with its key and the display link",
		fmt.Sprintf(`document.getElementById("join-link").textContent === %s && document.getElementById("join-link").href === %s && !document.getElementById("show-link-row").hidden && document.getElementById("show-link-missing").hidden && document.getElementById("show-link").textContent.startsWith(%s)`,
			JS(c.Links.Join), JS(c.Links.Join), JS(srv.URL()+"/show/"+c.ID+"#")), links))
	showLink, err := Eval[string](host, `document.getElementById("show-link").textContent`)
	must(t, err)

	// The display link the console shows opens the projector, which shows
	// the short link for typing.
	show := newTab(t, "show", 1280, 720)
	must(t, show.Do(chromedp.Navigate(showLink)))
	must(t, show.WaitJS(Patience, "the display's join address", fmt.Sprintf(`document.getElementById("join-url").textContent === %s`, JS(srv.URL()+"/j/"+c.Code)), `document.body.innerText.slice(0, 300)`))

	// The phone joins with the console's join link.
	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, WaitAttendeeReady(phone, c.Code))

	deleteSession(t, srv, c)

	must(t, phone.WaitJS(Patience, "the phone's deleted screen", fmt.Sprintf(`document.querySelector("#main h1").textContent === %s && document.querySelectorAll("#main button").length === 0`, JS(att.T("en", "deleted.title"))), `document.getElementById("main").innerText`))
	if got, err := Eval[string](phone, `document.querySelector("#main section p").textContent`); err != nil || got != att.T("en", "deleted.body") {
		t.Errorf("the deleted screen says %q (%v); want %q", got, err, att.T("en", "deleted.body"))
	}
	checkAxe(t, phone, runAxe(t, phone, src))

	must(t, show.WaitJS(Patience, "the display's deleted notice", fmt.Sprintf(`document.body.innerText.includes(%s) && document.body.innerText.includes(%s) && !document.body.innerText.includes(%s)`,
		JS(showT.T("en", "error.notFound")), JS(showT.T("en", "error.notFoundHint")), JS(showT.T("en", "error.hint"))), `document.body.innerText`))

	must(t, host.WaitJS(Patience, "the console's deleted notice", fmt.Sprintf(`!document.getElementById("fatal").hidden && document.getElementById("fatal-text").textContent === %s && !document.getElementById("fatal-new").hidden && new URL(document.querySelector("#fatal-new a").href).pathname === "/host/"`,
		JS(hostT.T("en", "fatal.notFound"))), `document.getElementById("main").innerText`))
	kept, err := Eval[bool](host, fmt.Sprintf(`localStorage.getItem(%s) !== null`, JS("townhall.host."+c.ID)))
	must(t, err)
	if kept {
		t.Error("the console still keeps the deleted session's keys in localStorage")
	}
	checkAxe(t, host, runAxe(t, host, src))
}

// TestEndedSessionHidesEndHeading: after "End the session", nothing is
// left under its heading, so the heading goes too.
func TestEndedSessionHidesEndHeading(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	host := newTab(t, "host", 1280, 900)
	_, err := CreateSession(host, srv.URL(), "To end")
	must(t, err)
	visible := `document.getElementById("end-heading").offsetParent !== null`
	if v, err := Eval[bool](host, visible); err != nil || !v {
		t.Fatalf("the End the session heading is not shown on a running session (%v)", err)
	}
	must(t, host.Do(chromedp.Click(chromedp.ID("end-button"))))
	must(t, host.Do(chromedp.WaitVisible(chromedp.ID("end-yes"))))
	must(t, host.Do(chromedp.Click(chromedp.ID("end-yes"))))
	must(t, host.WaitJS(Patience, "the ended session without its End heading", `!document.getElementById("ended-banner").hidden && document.getElementById("end-heading").offsetParent === null`, `document.querySelector(".session").innerText`))
}

// TestMistypedCodeThenKeyLink: a code that matches no session stays in the
// field, selected, to be fixed; after "Too many attempts", the key link
// opened in the same tab (only the fragment changes) joins.
func TestMistypedCodeThenKeyLink(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	tb := tables(t, "attendee")
	srv := startServerArgs(t, "--join-failures", "2", "--join-failure-every", "1h")
	c := createSession(t, srv.URL(), "Typo")
	wrong := c.Code[:7] + string('0'+(c.Code[7]-'0'+1)%10)

	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+wrong)))
	waitHeading(t, phone, tb.T("en", "join.notfound_title"))
	field := `JSON.stringify({value: document.getElementById("code").value, start: document.getElementById("code").selectionStart, end: document.getElementById("code").selectionEnd})`
	want := wrong[:4] + " " + wrong[4:]
	must(t, phone.WaitJS(Patience, "the mistyped code kept, selected", fmt.Sprintf(`document.getElementById("code").value === %s && document.getElementById("code").selectionStart === 0 && document.getElementById("code").selectionEnd === %d`, JS(want), len(want)), field))

	// A second wrong code, then the right one typed: the network has used
	// its wrong tries.
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+wrong)))
	waitHeading(t, phone, tb.T("en", "join.notfound_title"))
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+c.Code)))
	waitHeading(t, phone, tb.T("en", "join.limited_title"))

	// The key link in the same tab: a fragment-only change.
	key := c.Links.Join[strings.Index(c.Links.Join, "#")+1:]
	_, err := Eval[chromedp.Void](phone, fmt.Sprintf(`location.hash = %s`, JS(key)))
	must(t, err)
	must(t, phone.WaitJS(Patience, "the phone in the session", fmt.Sprintf(`localStorage.getItem(%s) !== null && document.querySelector("#main h1") !== null && document.querySelector("#main h1").textContent !== %s && !document.querySelector("#main > .loading")`,
		JS("townhall.token."+c.Code), JS(tb.T("en", "join.limited_title"))), joinScreen))
}

// TestRefusalInFrench: a refusal with a reason (the session's cap on
// activities) is said on a French console from its own table, with the
// number, and without the server's English sentence.
func TestRefusalInFrench(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	hostT := tables(t, "host")
	srv := startServerArgs(t, "--max-activities", "2")
	host := newTab(t, "host", 1280, 900)
	_, err := CreateSession(host, srv.URL(), "Cap")
	must(t, err)
	must(t, host.Do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang-select"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)))
	for _, title := range []string{"Un", "Deux"} {
		_, err := AddPoll(host, title, []string{"Oui", "Non"})
		must(t, err)
	}
	must(t, chooseKind(host, "poll"))
	must(t, host.Do(
		chromedp.SetValue(chromedp.ID("poll-title"), "Trois"),
		chromedp.SetValue(chromedp.CSS("#poll-options > li:nth-child(1) input"), "Oui"),
		chromedp.SetValue(chromedp.CSS("#poll-options > li:nth-child(2) input"), "Non"),
		chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`)),
	))
	want := hostT.T("fr", "reason.activities", "max", 2)
	must(t, host.WaitJS(Patience, "the French refusal", fmt.Sprintf(`%s === %s`, consoleErrors, JS(want)), consoleErrors))
}

// TestConsoleFocusBackOnline: the control that had the keyboard focus when
// the console went offline has it again once the console is back.
func TestConsoleFocusBackOnline(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	proxy := startProxy(t, srv.Addr)
	host := newTab(t, "host", 1280, 900)
	_, err := CreateSession(host, proxy.URL(), "Focus")
	must(t, err)
	poll, err := AddPoll(host, "Lunch?", []string{"Yes", "No"})
	must(t, err)
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`(() => { const b = document.querySelector(%s); b.dataset.trial = "focus"; b.focus(); })()`, JS(Card(poll)+" button")))
	must(t, err)
	focused := `JSON.stringify({tag: document.activeElement.tagName, id: document.activeElement.id, text: document.activeElement.textContent.slice(0, 60), trial: document.activeElement.dataset.trial || ""})`
	must(t, host.WaitJS(Patience, "the card's button focused", `document.activeElement.dataset.trial === "focus"`, focused))

	proxy.setMode(refuse)
	must(t, host.WaitJS(Patience, "the console offline", consoleOffline, consoleState))
	proxy.setMode(forward)
	must(t, host.WaitJS(deadLinkPatience, "the console online", `document.getElementById("status").dataset.status === "online" && !document.getElementById("controls").disabled`, consoleState))
	must(t, host.WaitJS(Patience, "the focus back on the card's button", `document.activeElement.dataset.trial === "focus"`, focused))
}

// TestPhoneRefusalInSpanish: a phone in Spanish that reaches its cap of
// questions is told so from its own table, with the number.
func TestPhoneRefusalInSpanish(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	att := tables(t, "attendee")
	srv := startServerArgs(t, "--max-qa-per-participant", "2")
	host := newTab(t, "host", 1280, 900)
	c, err := CreateSession(host, srv.URL(), "Preguntas")
	must(t, err)
	qa, err := AddQA(host, "Preguntas")
	must(t, err)
	must(t, PresentAndOpen(host, qa))

	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	_, err = Eval[chromedp.Void](phone, `localStorage.setItem("townhall.lang", "es")`)
	must(t, err)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, phone.WaitJS(Patience, "the question form", `document.getElementById("question") !== null && document.documentElement.lang === "es"`, `document.getElementById("main").innerText.slice(0, 300)`))
	alert := textOf("#alert")
	for i, q := range []string{"¿Primera?", "¿Segunda?", "¿Tercera?"} {
		must(t, phone.Do(
			chromedp.SetValue(chromedp.ID("question"), q),
			chromedp.Click(chromedp.CSS(`#main form.ask button[type=submit]`)),
		))
		if i < 2 {
			must(t, phone.WaitJS(Patience, "the question received", `document.getElementById("question").value === "" && !document.querySelector("#main form.ask button[type=submit]").classList.contains("busy")`, alert))
		}
	}
	want := att.T("es", "reason.qa_per_participant", "max", 2)
	must(t, phone.WaitJS(Patience, "the Spanish refusal", fmt.Sprintf(`%s === %s`, alert, JS(want)), alert))
}
