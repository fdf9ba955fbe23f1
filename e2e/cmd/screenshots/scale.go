package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/townhall/townhall/e2e"
)

// scale writes scale.png: the display with a 1-5 scale of three
// statements, rated by six phones, each statement's distribution drawn
// with its mean marked.
func (s *shooter) scale(ctx context.Context, srv *e2e.Server) error {
	show, err := e2e.LoadTables(filepath.Join(s.root, "static"), "show")
	if err != nil {
		return err
	}
	r, err := openRoom(ctx, srv, "Riverside town meeting", nil)
	if err != nil {
		return err
	}
	defer r.close()
	id, err := r.fac.create(map[string]any{
		"kind": "scale", "title": "Rate these priorities",
		"statements": []string{"Affordable housing", "Public transport", "Green spaces"},
		"min":        1, "max": 5,
		"labels": map[string]string{"min": "Not important", "max": "Essential"},
	})
	if err != nil {
		return err
	}
	if err := r.fac.presentAndOpen(id); err != nil {
		return err
	}
	ratings := [][]int{{5, 4, 3}, {4, 5, 2}, {5, 3, 4}, {4, 4, 1}, {3, 5, 2}, {5, 4, 3}}
	for _, rs := range ratings {
		p, err := r.join(ctx, "", "")
		if err != nil {
			return err
		}
		if _, err := p.do("rate", map[string]any{"activity": id, "ratings": rs}); err != nil {
			return err
		}
	}
	if _, err := r.fac.do("activity.reveal", map[string]any{"activity": id, "attendees": true, "display": true}); err != nil {
		return err
	}
	// Every statement's stats end with its six ratings.
	stats := show.T("en", "scale.stats", "mean", "", "median", "", "n", len(ratings))
	six := strings.TrimSpace(stats[strings.LastIndex(stats, "·")+len("·"):])
	display, err := s.showDisplay(r, "scale display", "six ratings of each statement on the display",
		fmt.Sprintf(`(() => { const st = [...document.querySelectorAll(".show-scale .scale-stats")].map(e => e.textContent);
			return st.length === 3 && st.every(t => t.endsWith(%s)) && document.querySelectorAll(".show-scale .scale-mean").length === 3; })()`, e2e.JS(six)),
		`[...document.querySelectorAll(".show-scale .scale-stats")].map(e => e.textContent).join(" / ") + " " + document.body.innerText.slice(0, 300)`)
	if err != nil {
		return err
	}
	return s.shoot(display, "scale")
}
