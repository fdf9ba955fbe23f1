package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// clockSeconds parses the display's "m:ss" countdown.
func clockSeconds(s string) (int, error) {
	m, sec, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, fmt.Errorf("not a countdown: %q", s)
	}
	mm, err1 := strconv.Atoi(m)
	ss, err2 := strconv.Atoi(sec)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("not a countdown: %q", s)
	}
	return mm*60 + ss, nil
}

// TestQueueFlow: an attendee raises a hand with a name and constituency,
// the console gives them the floor, their phone says so and the display
// shows them with a running countdown.
func TestQueueFlow(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Council debate")
	must(t, err)
	queue, err := AddQueue(host, "Speakers", 120, []string{"North ward", "South ward"})
	must(t, err)
	must(t, PresentAndOpen(host, queue))
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))

	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	must(t, phone.WaitJS(Patience, "the raise-hand form", `document.getElementById("q-name") && !document.getElementById("q-group").closest(".row-field").hidden`, `document.getElementById("main").innerText.slice(0, 300)`))
	_, err = Eval[chromedp.Void](phone, `(() => { const s = document.getElementById("q-group"); s.value = "South ward"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	must(t, err)
	must(t, phone.Do(
		chromedp.SendKeys(chromedp.ID("q-name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`#main .queue form button[type=submit]`)),
	))
	must(t, phone.WaitJS(Patience, "the attendee's place in the queue", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.next"))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .queue .me .place"))))

	// The console lists the hand and gives the floor with its button.
	card := Card(queue)
	must(t, host.WaitJS(Patience, "the hand on the console", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent === "Ada Lovelace (South ward)")`, JS(card+" .queue-rows .row-text")), fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
	next := card + " .activity-body .actions > button:nth-child(1)"
	must(t, host.WaitJS(Patience, "an enabled next-speaker button", fmt.Sprintf(`!document.querySelector(%s).disabled`, JS(next)), ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))

	must(t, phone.WaitJS(Patience, "the floor on the phone", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.floor"))), textOf("#main .queue .me .place")))
	must(t, display.WaitJS(Patience, "the speaker on the display", `document.querySelector(".show-queue .q-name").textContent === "Ada Lovelace" && document.querySelector(".show-queue .q-constituency").textContent === "South ward" && !document.querySelector(".show-queue .q-timer").hidden`,
		`document.querySelector(".show-queue") && document.querySelector(".show-queue").innerText`))

	// The countdown runs: a later reading is lower than the first.
	first, err := Eval[string](display, `document.querySelector(".show-queue .q-timer-value").textContent`)
	must(t, err)
	s1, err := clockSeconds(first)
	must(t, err)
	if s1 > 120 || s1 < 100 {
		t.Fatalf("the display's countdown starts at %q; want close to 2:00", first)
	}
	must(t, display.WaitJS(Patience, "the countdown to go down", fmt.Sprintf(`(() => {
		const [m, s] = document.querySelector(".show-queue .q-timer-value").textContent.split(":").map(Number);
		return m * 60 + s < %d;
	})()`, s1), `document.querySelector(".show-queue .q-timer-value").textContent`))
}
