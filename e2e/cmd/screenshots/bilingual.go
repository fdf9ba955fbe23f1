package main

import (
	"context"
	"fmt"

	"github.com/townhall/townhall/e2e"
)

// bilingual writes bilingual.png: the display showing a poll in English
// and, under each text, French: the session's languages are en and fr,
// and the display's second-language select is set to fr.
func (s *shooter) bilingual(ctx context.Context, srv *e2e.Server) error {
	r, err := openRoom(ctx, srv, "Riverside town meeting", nil)
	if err != nil {
		return err
	}
	defer r.close()
	if _, err := r.fac.do("session.update", map[string]any{"languages": []string{"en", "fr"}}); err != nil {
		return err
	}
	id, err := r.fac.create(map[string]any{
		"kind":  "poll",
		"title": map[string]string{"en": "Which project should the town fund first?", "fr": "Quel projet la ville doit-elle financer d’abord ?"},
		"options": []map[string]string{
			{"en": "A new library", "fr": "Une nouvelle bibliothèque"},
			{"en": "Safer bike lanes", "fr": "Des pistes cyclables plus sûres"},
			{"en": "A community garden", "fr": "Un jardin partagé"},
		},
	})
	if err != nil {
		return err
	}
	if err := r.fac.presentAndOpen(id); err != nil {
		return err
	}
	for _, choice := range []int{1, 0, 1, 2, 1, 0, 1, 2} {
		p, err := r.join(ctx, "", "")
		if err != nil {
			return err
		}
		if _, err := p.do("vote", map[string]any{"activity": id, "choices": []int{choice}}); err != nil {
			return err
		}
	}
	display, err := s.showDisplay(r, "bilingual display", "the language choice on the display", `!document.getElementById("lang2-row").hidden`, bodyText)
	if err != nil {
		return err
	}
	if _, err := e2e.Eval[bool](display, `(() => { const s = document.getElementById("lang2"); s.value = "fr"; s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`); err != nil {
		return err
	}
	if err := display.WaitJS(e2e.Patience, "the poll in two languages with its votes", fmt.Sprintf(
		`document.querySelector(".show-poll .show-title-2 [lang=fr]") !== null && document.querySelectorAll(".show-poll .poll-row .poll-label [lang=fr]").length === 3 && [...document.querySelectorAll(".show-poll .poll-count")].map(e => e.textContent).join() === %s`,
		e2e.JS("2,4,2")), `document.querySelector(".show-poll") && document.querySelector(".show-poll").innerText`); err != nil {
		return err
	}
	return s.shoot(display, "bilingual")
}
