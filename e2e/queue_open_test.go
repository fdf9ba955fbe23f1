package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestQueueWithoutConstituencies: a queue made with no constituencies
// takes a raised hand with a name only, from the phone to the floor to the
// export (it refused every hand once, and nobody was told).
func TestQueueWithoutConstituencies(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Open floor")
	must(t, err)
	queue, err := AddQueue(host, "Anyone", 90, nil)
	must(t, err)
	must(t, PresentAndOpen(host, queue))

	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	must(t, phone.WaitJS(Patience, "the raise-hand form", `!!document.getElementById("q-name")`, `document.getElementById("main").innerText.slice(0, 300)`))
	must(t, phone.Do(
		chromedp.SendKeys(chromedp.ID("q-name"), "Grace Hopper"),
		chromedp.Click(chromedp.CSS(`#main .queue form button[type=submit]`)),
	))
	must(t, phone.WaitJS(Patience, "the phone's place in the queue", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.next"))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .queue .me .place"))))

	card := Card(queue)
	must(t, host.WaitJS(Patience, "the hand on the console", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent.startsWith("Grace Hopper"))`, JS(card+" .queue-rows .row-text")),
		fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
	next := card + " .activity-body .actions > button:nth-child(1)"
	must(t, host.WaitJS(Patience, "an enabled next-speaker button", fmt.Sprintf(`!document.querySelector(%s).disabled`, JS(next)), ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
	must(t, phone.WaitJS(Patience, "the floor on the phone", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.floor"))), textOf("#main .queue .me .place")))
	// Her turn ends; the record has it.
	must(t, host.WaitJS(Patience, "an enabled next-speaker button", fmt.Sprintf(`!document.querySelector(%s).disabled`, JS(next)), ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))

	var x struct {
		Activities []struct {
			Speakers []struct {
				Name         string `json:"name"`
				Constituency string `json:"constituency"`
				EndedAt      string `json:"endedAt"`
			} `json:"speakers"`
		} `json:"activities"`
	}
	deadline := time.Now().Add(Patience)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := srv.Export(ctx, created.ID, created.FacilitatorKey, &x)
		cancel()
		must(t, err)
		if len(x.Activities) == 1 && len(x.Activities[0].Speakers) == 1 && x.Activities[0].Speakers[0].EndedAt != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export has no finished turn: %+v", x)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := x.Activities[0].Speakers[0]; s.Name != "Grace Hopper" || s.Constituency != "" {
		t.Fatalf("the export's speaker: %+v", s)
	}
}
