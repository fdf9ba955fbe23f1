package main

import (
	"context"
	"fmt"

	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/e2e"
)

// reportWidth is about a printed page's width.
const reportWidth, reportHeight = 900, 1200

// report writes report.png: the top of the printable report of a session
// with a poll segmented by constituency and a word cloud.
func (s *shooter) report(ctx context.Context, srv *e2e.Server) error {
	wards := []string{"North ward", "South ward", "Old town"}
	r, err := openRoom(ctx, srv, "Riverside town meeting", map[string]any{"constituencies": wards})
	if err != nil {
		return err
	}
	defer r.close()
	poll, err := r.fac.create(map[string]any{
		"kind": "poll", "title": "What should the town fund first?",
		"options": []string{"A new library", "Safer bike lanes", "A community garden"},
		"segment": true,
	})
	if err != nil {
		return err
	}
	if err := r.fac.presentAndOpen(poll); err != nil {
		return err
	}
	// Each ward's phones vote their own way: the North for bike lanes,
	// the South for the library; the old town's two are too few to be
	// shown apart.
	votes := map[string][]int{
		wards[0]: {1, 1, 0, 1, 2, 1, 1},
		wards[1]: {0, 0, 2, 0, 1, 0},
		wards[2]: {2, 1},
	}
	for _, w := range wards {
		for i, choice := range votes[w] {
			p, err := r.join(ctx, fmt.Sprintf("%s %d", w, i+1), w)
			if err != nil {
				return err
			}
			if _, err := p.do("vote", map[string]any{"activity": poll, "choices": []int{choice}}); err != nil {
				return err
			}
		}
	}
	if _, err := r.fac.do("activity.close", map[string]any{"activity": poll}); err != nil {
		return err
	}
	cloud, err := r.fac.create(map[string]any{"kind": "wordcloud", "title": "One word for the riverside", "maxEntries": 3})
	if err != nil {
		return err
	}
	if err := r.fac.presentAndOpen(cloud); err != nil {
		return err
	}
	words := [][]string{
		{"green", "quiet", "walks"}, {"green", "cafés"}, {"trees", "green"}, {"walks", "light"},
		{"quiet", "benches"}, {"green", "trees", "music"}, {"walks"}, {"light", "green"},
	}
	for i, ws := range words {
		p := r.phones[i]
		for _, w := range ws {
			if _, err := p.do("word.submit", map[string]any{"activity": cloud, "text": w}); err != nil {
				return err
			}
		}
	}
	// The meeting is over: the report is what is sent around after.
	if _, err := r.fac.do("session.end", nil); err != nil {
		return err
	}

	tab, err := s.tab("report", reportWidth, reportHeight)
	if err != nil {
		return err
	}
	if err := tab.Do(chromedp.Navigate(srv.URL() + "/report/" + r.created.ID + "#" + r.created.FacilitatorKey)); err != nil {
		return err
	}
	if err := tab.WaitJS(e2e.Patience, "the report", `document.body.dataset.ready === "true" && document.querySelectorAll(".kind-poll .multiple svg.chart").length === 2`,
		`document.getElementById("main").innerText.slice(0, 400)`); err != nil {
		return err
	}
	return s.shoot(tab, "report")
}
