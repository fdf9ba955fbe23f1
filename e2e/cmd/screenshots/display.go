package main

import (
	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/e2e"
)

// showDisplay opens a projector display of the room on its display link
// and waits until it shows what ready says (a JavaScript expression);
// explain tells what it showed instead.
func (s *shooter) showDisplay(r *room, name, what, ready, explain string) (*e2e.Tab, error) {
	display, err := s.tab(name, e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return nil, err
	}
	if err := display.Do(chromedp.Navigate(r.created.Links.Show)); err != nil {
		return nil, err
	}
	if err := display.WaitJS(e2e.Patience, what, ready, explain); err != nil {
		return nil, err
	}
	return display, nil
}

// bodyText is an explain expression: the start of the page's text.
const bodyText = `document.body.innerText.slice(0, 400)`
