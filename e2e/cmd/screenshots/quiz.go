package main

import (
	"context"
	"fmt"
	"time"

	"github.com/townhall/townhall/e2e"
)

// quiz writes quiz.png: the display once a 5-second quiz has closed by
// itself: the right answer marked, the counts, the leaderboard.
func (s *shooter) quiz(ctx context.Context, srv *e2e.Server) error {
	r, err := openRoom(ctx, srv, "Riverside town meeting", nil)
	if err != nil {
		return err
	}
	defer r.close()
	id, err := r.fac.create(map[string]any{
		"kind": "quiz", "title": "When did the town hall open?",
		"options": []string{"1887", "1912", "1954", "1978"},
		"correct": []int{1}, "seconds": 5,
	})
	if err != nil {
		return err
	}
	if _, err := r.fac.do("activity.present", map[string]any{"activity": id}); err != nil {
		return err
	}
	players := []struct {
		name   string
		choice int
	}{{"Amira", 1}, {"Ben", 0}, {"Chloé", 1}, {"Dev", 2}, {"Elif", 1}, {"Farid", 1}}
	for _, pl := range players {
		if _, err := r.join(ctx, pl.name, ""); err != nil {
			return err
		}
	}
	display, err := s.showDisplay(r, "quiz display", "the quiz on the display",
		`document.querySelectorAll(".show-quiz .quiz-option").length === 4`, bodyText)
	if err != nil {
		return err
	}
	if _, err := r.fac.do("activity.open", map[string]any{"activity": id}); err != nil {
		return err
	}
	for i, pl := range players {
		// The players answer one after another, as a room does, so that
		// the right answers score differently (points fall with time).
		if i > 0 {
			time.Sleep(400 * time.Millisecond)
		}
		if _, err := r.phones[i].do("answer", map[string]any{"activity": id, "choice": pl.choice}); err != nil {
			return err
		}
	}
	// Nobody closes it: the server does when the time is up.
	if err := display.WaitJS(e2e.Patience, "the quiz's results on the display", fmt.Sprintf(
		`document.querySelectorAll(".show-quiz .quiz-board li").length === %d && document.querySelectorAll(".show-quiz .quiz-option.is-right").length === 1`, len(players)),
		bodyText); err != nil {
		return err
	}
	return s.shoot(display, "quiz")
}
