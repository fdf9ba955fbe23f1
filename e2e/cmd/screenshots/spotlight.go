package main

import (
	"context"
	"fmt"

	"github.com/townhall/townhall/e2e"
)

// spotlight writes spotlight.png: the display with one question of a Q&A
// board spotlighted full screen.
func (s *shooter) spotlight(ctx context.Context, srv *e2e.Server) error {
	r, err := openRoom(ctx, srv, "Riverside town meeting", nil)
	if err != nil {
		return err
	}
	defer r.close()
	qa, err := r.fac.create(map[string]any{"kind": "qa", "title": "Questions for the council", "moderated": false})
	if err != nil {
		return err
	}
	if err := r.fac.presentAndOpen(qa); err != nil {
		return err
	}
	questions := []string{
		"Will the bus to the hospital run on Sundays?",
		"How will the new bike lanes be paid for, and when will the work on the river road start?",
		"When does the library extension open?",
	}
	var entries []string
	for _, q := range questions {
		p, err := r.join(ctx, "", "")
		if err != nil {
			return err
		}
		m, err := p.do("qa.ask", map[string]any{"activity": qa, "text": q})
		if err != nil {
			return err
		}
		entries = append(entries, m.Entry)
	}
	for i, p := range r.phones {
		if i == 1 {
			continue // the asker
		}
		if _, err := p.do("qa.upvote", map[string]any{"activity": qa, "entry": entries[1]}); err != nil {
			return err
		}
	}
	if _, err := r.fac.do("qa.spotlight", map[string]any{"activity": qa, "entry": entries[1]}); err != nil {
		return err
	}
	display, err := s.showDisplay(r, "spotlight display", "the spotlighted question on the display", fmt.Sprintf(
		`(() => { const s = document.querySelector(".show-qa .qa-spotlight"); return s && !s.hidden && s.querySelector(".qa-spot-text").textContent === %s; })()`, e2e.JS(questions[1])),
		`document.querySelector(".show-qa") && document.querySelector(".show-qa").innerText.slice(0, 400)`)
	if err != nil {
		return err
	}
	return s.shoot(display, "spotlight")
}
