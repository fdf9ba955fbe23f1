package main

import (
	"fmt"

	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/e2e"
)

// moderator writes moderator.png: the moderator's console beside a host's,
// on a moderated Q&A with questions waiting and one approved.
func (s *shooter) moderator(srv *e2e.Server) error {
	host, err := s.tab("host for the moderator", e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return err
	}
	created, err := e2e.CreateSession(host, srv.URL(), "Riverside town meeting")
	if err != nil {
		return err
	}
	err = host.Do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("kind-select"); s.value = "qa"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`),
		chromedp.WaitVisible(chromedp.ID("form-qa")),
		chromedp.SendKeys(chromedp.ID("qa-title"), "Questions for the council"),
		chromedp.Click(chromedp.ID("qa-moderated")),
		chromedp.Click(chromedp.CSS(`#form-qa button[type=submit]`)),
	)
	if err != nil {
		return err
	}
	card := `#activities > article`
	if err := host.WaitJS(e2e.Patience, "the Q&A card", fmt.Sprintf(`document.querySelector(%s) !== null`, e2e.JS(card)), ""); err != nil {
		return err
	}
	qa, err := e2e.Eval[string](host, fmt.Sprintf(`document.querySelector(%s).dataset.key`, e2e.JS(card)))
	if err != nil {
		return err
	}
	if err := e2e.PresentAndOpen(host, qa); err != nil {
		return err
	}
	if err := host.WaitJS(e2e.Patience, "the moderator link", `document.getElementById("moderate-link").href.includes("/moderate/")`, ""); err != nil {
		return err
	}
	link, err := e2e.Eval[string](host, `document.getElementById("moderate-link").href`)
	if err != nil {
		return err
	}
	for i, q := range []string{
		"Will the bus to the hospital run on Sundays?",
		"When does the library extension open?",
		"How will the new bike lanes be paid for?",
	} {
		phone, err := s.tab(fmt.Sprintf("asker %d", i+1), e2e.PhoneWidth, e2e.PhoneHeight)
		if err != nil {
			return err
		}
		if err := e2e.JoinFromLanding(phone, srv.URL(), created.Code); err != nil {
			return err
		}
		err = phone.Do(chromedp.WaitVisible(chromedp.ID("question")), chromedp.SendKeys(chromedp.ID("question"), q),
			chromedp.Click(chromedp.CSS(`#main .qa form.ask button[type=submit]`)))
		if err != nil {
			return err
		}
	}
	mod, err := s.tab("moderator", e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return err
	}
	if err := mod.Do(chromedp.Navigate(link)); err != nil {
		return err
	}
	rows := e2e.Card(qa) + " li.qa-row"
	if err := mod.WaitJS(e2e.Patience, "three questions waiting on the moderator's console",
		fmt.Sprintf(`!document.getElementById("role-badge").hidden && document.querySelectorAll(%s).length === 3`, e2e.JS(rows+`[data-status="pending"]`)), ""); err != nil {
		return err
	}
	if err := mod.Do(chromedp.Click(chromedp.CSS(rows + `:nth-child(1) button[data-action="approve"]`))); err != nil {
		return err
	}
	if err := mod.WaitJS(e2e.Patience, "one approved", fmt.Sprintf(`document.querySelectorAll(%s).length === 1`, e2e.JS(rows+`[data-status="visible"]`)), ""); err != nil {
		return err
	}
	return s.shoot(mod, "moderator")
}
