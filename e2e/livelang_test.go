package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestLiveRegionsFollowTheLanguage: what the phone's, the console's and
// the display's live regions say is said again in the page's new language
// once the server has sent the texts in it, and never, on the way, the new
// language's sentence around the old language's title.
func TestLiveRegionsFollowTheLanguage(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	att, show := tables(t, "attendee"), tables(t, "show")
	titles := map[string]string{"en": "What should we fund first?", "fr": "Que devons-nous financer en premier ?", "es": "¿Qué debemos financiar primero?"}
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Cities are listening", "languages": []string{"en", "fr", "es"}}, &c)
	fac := connect(t, "facilitator", c.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	poll := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": titles, "options": []string{"Housing", "Transport"}}}))
	fac.must("activity.present", map[string]any{"activity": poll})
	fac.must("activity.open", map[string]any{"activity": poll})
	fac.must("activity.reveal", map[string]any{"activity": poll, "attendees": true, "display": true})

	console := newTab(t, "console", ScreenWidth, ScreenHeight)
	must(t, console.Do(chromedp.Navigate(c.Links.Host)))
	must(t, console.WaitJS(Patience, "the console", `document.getElementById("status").dataset.status === "online"`, ""))
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(c.Links.Show)))
	must(t, display.WaitJS(Patience, "the display's language switch", `document.getElementById("lang").options.length === 3`, ""))
	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, WaitPollOpen(phone, 2))
	must(t, Vote(phone, 1, att.T("en", "poll.received")))

	type page struct {
		name, region, sel string
		tab               *Tab
		says              func(l string) string // a JS condition on the text t in language l
	}
	pages := []page{
		{"phone", "announce", "lang", phone, func(l string) string {
			return fmt.Sprintf(`t === %s`, JS(att.T(l, "announce.new", "title", titles[l])))
		}},
		{"console", "live", "lang-select", console, func(l string) string {
			return fmt.Sprintf(`t.includes(%s)`, JS(titles[l]))
		}},
		{"display", "live", "lang", display, func(l string) string {
			return fmt.Sprintf(`t.includes(%s) && t.includes(%s)`, JS(titles[l]), JS(show.T(l, "poll.voters", "n", 1)))
		}},
	}
	text := func(p page) string { return fmt.Sprintf(`document.getElementById(%s).textContent`, JS(p.region)) }
	for _, p := range pages {
		must(t, p.tab.WaitJS(Patience, p.name+"'s live region in English", fmt.Sprintf(`((t) => %s)(%s)`, p.says("en"), text(p)), text(p)))
	}
	for _, step := range [][2]string{{"en", "fr"}, {"fr", "es"}} {
		from, to := step[0], step[1]
		// Every text the regions hold from the switch on is kept, to find a
		// sentence said before the new texts came.
		for _, p := range pages {
			must(t, hearLive(p.tab, p.region))
			setSelect(t, p.tab, p.sel, to)
		}
		for _, p := range pages {
			must(t, p.tab.WaitJS(Patience, fmt.Sprintf("%s's live region in %s", p.name, to), fmt.Sprintf(`((t) => %s)(%s)`, p.says(to), text(p)), text(p)))
			said, err := Eval[[]string](p.tab, `window.__said`)
			must(t, err)
			for _, s := range said {
				for l, title := range titles {
					if l != to && strings.Contains(s, title) {
						t.Errorf("%s, switched from %s to %s, said %q", p.name, from, to, s)
					}
				}
			}
		}
	}

	// The console, now in Spanish, says what it added by the Spanish title,
	// not the default's.
	host := tables(t, "host")
	must(t, chooseKind(console, "poll"))
	must(t, console.Do(
		chromedp.SendKeys(chromedp.ID("poll-title"), "Is the venue accessible?"),
		chromedp.SendKeys(chromedp.ID("poll-title-es"), "¿Es accesible el lugar?"),
		chromedp.SendKeys(chromedp.CSS("#poll-options > li:nth-child(1) input[lang=en]"), "Yes"),
		chromedp.SendKeys(chromedp.CSS("#poll-options > li:nth-child(2) input[lang=en]"), "No"),
		chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`)),
	))
	must(t, console.WaitJS(Patience, "the poll added, said in Spanish", fmt.Sprintf(`document.getElementById("live").textContent === %s`, JS(host.T("es", "prepare.created", "title", "¿Es accesible el lugar?"))), `document.getElementById("live").textContent`))
}

// TestPhoneAlertFollowsTheLanguage: an error in the phone's alert region,
// here a word longer than the cloud takes, is said again in the page's new
// language when the attendee switches, not left in the old one.
func TestPhoneAlertFollowsTheLanguage(t *testing.T) {
	t.Parallel()
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	var c Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]any{"title": "Words"}, &c)
	fac := connect(t, "facilitator", c.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	cloud := ackActivity(t, fac.must("activity.create", map[string]any{"activity": map[string]any{"kind": "wordcloud", "title": "One word", "maxLength": 10}}))
	fac.must("activity.present", map[string]any{"activity": cloud})
	fac.must("activity.open", map[string]any{"activity": cloud})

	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(c.Links.Join)))
	must(t, phone.WaitJS(Patience, "the word form", fieldReady("#word"), `document.getElementById("main").innerText.slice(0, 300)`))
	// Past the field's maxlength, as a paste from another app can be.
	_, err := Eval[chromedp.Void](phone, `document.getElementById("word").value = "Participatory budgeting"`)
	must(t, err)
	must(t, phone.Do(chromedp.Click(chromedp.CSS(`#main .wordcloud form button[type=submit]`))))
	alert := `document.getElementById("alert").textContent`
	must(t, phone.WaitJS(Patience, "the error in English", fmt.Sprintf(`%s === %s`, alert, JS(att.T("en", "word.too_long", "n", 10))), alert))
	must(t, hearLive(phone, "alert"))
	setSelect(t, phone, "lang", "fr")
	must(t, phone.WaitJS(Patience, "the error said again in French", heard(att.T("fr", "word.too_long", "n", 10)), `window.__said`))
}
