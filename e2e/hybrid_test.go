package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// raiseHand fills a phone's raise-hand form and sends it.
func raiseHand(t *testing.T, phone *Tab, name, group string, order bool) {
	t.Helper()
	must(t, phone.WaitJS(Patience, "the raise-hand form", `document.getElementById("q-name") && !document.querySelector("#main .queue form").hidden`, `document.getElementById("main").innerText.slice(0, 300)`))
	_, err := Eval[chromedp.Void](phone, fmt.Sprintf(`(() => {
		const s = document.getElementById("q-group"); s.value = %s; s.dispatchEvent(new Event("change", {bubbles: true}));
		const n = document.getElementById("q-name"); n.value = "";
		document.getElementById("q-order").checked = %t;
	})()`, JS(group), order))
	must(t, err)
	must(t, phone.Do(
		chromedp.SendKeys(chromedp.ID("q-name"), name),
		chromedp.Click(chromedp.CSS(`#main .queue form button[type=submit]`)),
	))
	must(t, phone.WaitJS(Patience, "the hand raised", `!document.querySelector("#main .queue .me").hidden`, `document.getElementById("alert").textContent`))
}

// rowsOf is an expression for the console's waiting rows of a queue card,
// as "text|flags" strings.
func rowsOf(card string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].map(li => li.querySelector(".row-text").textContent + "|" + li.querySelector(".row-flags").textContent)`, JS(card+" .queue-rows > li"))
}

// TestHybridRoom: a facilitator adds a speaker on the video call by hand,
// who then gets the floor; a point of order from a phone waits for the
// chair's approval and the phone it overtakes says why; a hand is
// corrected; a long question is shown whole and, spotlighted, fills the
// display; while a poll's results are hidden the display counts the
// responses, and "connected now" counts the phones open. axe-core finds
// nothing serious on the new screens.
func TestHybridRoom(t *testing.T) {
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)
	att, hostT, showT := tables(t, "attendee"), tables(t, "host"), tables(t, "show")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Hybrid town hall")
	must(t, err)
	must(t, chooseKind(host, "queue"))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("queue-title"), "Speakers"),
		chromedp.SetValue(chromedp.ID("queue-seconds"), "120"),
		chromedp.SendKeys(chromedp.ID("queue-constituencies"), "North ward\nSouth ward"),
		chromedp.Click(chromedp.ID("queue-order-approval")),
		chromedp.Click(chromedp.CSS(`#form-queue button[type=submit]`)),
	))
	queue, err := waitCard(host, "Speakers")
	must(t, err)
	must(t, PresentAndOpen(host, queue))
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))

	// Someone on the video call, added by hand.
	card := Card(queue)
	must(t, host.WaitJS(Patience, "the add-a-speaker form", fmt.Sprintf(`document.querySelector(%s).options.length === 3`, JS(card+" select.queue-add-group")), consoleErrors))
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`(() => { const s = document.querySelector(%s); s.value = "South ward"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, JS(card+" select.queue-add-group")))
	must(t, err)
	must(t, host.Do(
		chromedp.SendKeys(chromedp.CSS(card+" .queue-add-name"), "Zoë (video call)"),
		chromedp.Click(chromedp.CSS(card+" .queue-add button[type=submit]")),
	))
	byHand := hostT.T("en", "queue.byHand")
	must(t, host.WaitJS(Patience, "the speaker added by hand", fmt.Sprintf(`JSON.stringify(%s) === %s`, rowsOf(card), JS(`["Zoë (video call) (South ward)|`+byHand+`"]`)), rowsOf(card)+".join(' / ') + ' ' + "+consoleErrors))

	ada := newTab(t, "Ada's phone", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(ada, srv.URL(), created.Code))
	raiseHand(t, ada, "Ada", "North ward", false)
	bo := newTab(t, "Bo's phone", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(bo, srv.URL(), created.Code))
	raiseHand(t, bo, "Bo", "South ward", true)

	// Bo's point of order waits in its place until the chair approves it.
	held := hostT.T("en", "queue.heldOrder")
	must(t, host.WaitJS(Patience, "the held point of order", fmt.Sprintf(`JSON.stringify(%s.map(r => r.split("|")[0])) === %s && %s[2].includes(%s)`,
		rowsOf(card), JS(`["Zoë (video call) (South ward)","Ada (North ward)","Bo (South ward)"]`), rowsOf(card), JS(held)), rowsOf(card)+".join(' / ')"))
	must(t, bo.WaitJS(Patience, "Bo told his point of order waits", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .held"), JS(att.T("en", "queue.held_mine"))), textOf("#main .queue .me")))
	must(t, ada.WaitJS(Patience, "Ada second", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.number", "n", 2))), textOf("#main .queue .me .place")))
	checkAxe(t, bo, runAxe(t, bo, src))

	must(t, host.Do(chromedp.Click(chromedp.CSS(card+" .queue-rows > li .queue-approve"))))
	must(t, host.WaitJS(Patience, "the point of order at the front", fmt.Sprintf(`%s[0].startsWith("Bo (South ward)|") && !document.querySelector(%s)`, rowsOf(card), JS(card+" .queue-approve")), rowsOf(card)+".join(' / ')"))
	must(t, ada.WaitJS(Patience, "Ada told why Bo went ahead", fmt.Sprintf(`%s === %s && %s === %s`,
		textOf("#main .queue .me .why"), JS(att.T("en", "queue.why_order")),
		textOf("#main .queue .me .place"), JS(att.T("en", "queue.number", "n", 3))),
		fmt.Sprintf(`[%s, %s]`, textOf("#main .queue .me .why"), textOf("#main .queue .me .place"))))

	// Ada's name is corrected from the console.
	must(t, host.Do(chromedp.Click(chromedp.CSS(card+` .queue-rows > li:nth-child(3) .queue-edit`))))
	must(t, host.WaitJS(Patience, "the edit form", fmt.Sprintf(`document.querySelector(%s).value === "Ada" && document.activeElement === document.querySelector(%s)`, JS(card+" .queue-add-name"), JS(card+" .queue-add-name")), ""))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.CSS(card+" .queue-add-name"), " Lovelace"),
		chromedp.Click(chromedp.CSS(card+" .queue-add button[type=submit]")),
	))
	must(t, host.WaitJS(Patience, "the corrected name", fmt.Sprintf(`%s[2].startsWith("Ada Lovelace (North ward)|")`, rowsOf(card)), rowsOf(card)+".join(' / ') + ' ' + "+consoleErrors))
	checkAxe(t, host, runAxe(t, host, src))

	// The floor: Bo's point of order, then the speaker added by hand.
	next := card + " .activity-body .actions > button:nth-child(1)"
	speaker := func(name string) {
		t.Helper()
		must(t, host.WaitJS(Patience, "an enabled next-speaker button", fmt.Sprintf(`!document.querySelector(%s).disabled`, JS(next)), ""))
		must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
		must(t, display.WaitJS(Patience, name+" on the display", fmt.Sprintf(`document.querySelector(".show-queue .q-name").textContent === %s && !document.querySelector(".show-queue .q-timer").hidden`, JS(name)),
			`document.querySelector(".show-queue") && document.querySelector(".show-queue").innerText`))
	}
	speaker("Bo")
	must(t, bo.WaitJS(Patience, "the floor on Bo's phone", fmt.Sprintf(`%s === %s`, textOf("#main .queue .me .place"), JS(att.T("en", "queue.floor"))), textOf("#main .queue .me .place")))
	speaker("Zoë (video call)")
	must(t, host.WaitJS(Patience, "the console's speaker added by hand", fmt.Sprintf(`%s === "Zoë (video call)" && %s.includes(%s)`, textOf(card+" .speaker-name"), textOf(card+" .speaker-meta"), JS(byHand)), textOf(card+" .speaking")))
	must(t, display.WaitJS(Patience, "Ada Lovelace next on the display", `[...document.querySelectorAll(".show-queue .q-item-name")].map(e => e.textContent).join() === "Ada Lovelace"`, `document.querySelector(".show-queue").innerText`))

	// A long question, whole on the display, then full screen.
	qa, err := AddQA(host, "Questions")
	must(t, err)
	must(t, PresentAndOpen(host, qa))
	long := strings.Repeat("Will the new tram line reach the northern districts before the schools open there, and who pays for it? ", 3)[:300]
	long = strings.TrimSpace(long[:280])
	must(t, ada.WaitJS(Patience, "the question form", `document.getElementById("question") && !document.querySelector("#main form.ask").hidden`, `document.getElementById("main").innerText.slice(0, 200)`))
	_, err = Eval[chromedp.Void](ada, fmt.Sprintf(`(() => { const q = document.getElementById("question"); q.value = %s; q.dispatchEvent(new Event("input", {bubbles: true})); })()`, JS(long)))
	must(t, err)
	must(t, ada.Do(chromedp.Click(chromedp.CSS(`#main form.ask button[type=submit]`))))
	must(t, display.WaitJS(Patience, "the long question whole on the display", fmt.Sprintf(`(() => {
		const p = document.querySelector(".show-qa .qa-card .qa-text");
		if (!p || p.textContent !== %s || p.closest("li").hidden) return false;
		const list = document.querySelector(".show-qa .qa-list");
		const cs = getComputedStyle(p);
		return cs.webkitLineClamp === "none" && cs.textOverflow !== "ellipsis" && list.scrollHeight <= list.clientHeight + 1 && p.scrollHeight <= p.clientHeight + 1;
	})()`, JS(long)), `document.querySelector(".show-qa") && document.querySelector(".show-qa").innerText`))

	qaCard := Card(qa)
	must(t, host.WaitJS(Patience, "the question on the console", fmt.Sprintf(`!!document.querySelector(%s)`, JS(qaCard+" .qa-rows > li .qa-spotlight")), consoleErrors))
	must(t, host.Do(chromedp.Click(chromedp.CSS(qaCard+" .qa-rows > li .qa-spotlight"))))
	must(t, display.WaitJS(Patience, "the spotlighted question filling the display", fmt.Sprintf(`(() => {
		const s = document.querySelector(".show-qa .qa-spotlight");
		if (!s || s.hidden || s.querySelector(".qa-spot-text").textContent !== %s) return false;
		const r = s.getBoundingClientRect();
		const big = parseFloat(getComputedStyle(s.querySelector(".qa-spot-text")).fontSize) > parseFloat(getComputedStyle(document.documentElement).fontSize) * 1.5;
		return r.width * r.height >= 0.45 * innerWidth * innerHeight && s.scrollHeight <= s.clientHeight + 1 && big && document.querySelector(".show-qa .qa-list").hidden;
	})()`, JS(long)), `document.querySelector(".show-qa").innerText.slice(0, 400)`))
	must(t, WaitIdle(display))
	checkAxe(t, display, runAxe(t, display, src))
	must(t, host.WaitJS(Patience, "the console says what is on screen", fmt.Sprintf(`%s === %s`, textOf(qaCard+" .qa-spot-text"), JS(long)), ""))

	// Results hidden from the room: the display counts the responses;
	// "connected now" counts the phones open.
	poll, err := AddPoll(host, "Lunch break?", []string{"Now", "Later"})
	must(t, err)
	must(t, PresentAndOpen(host, poll))
	must(t, host.Do(chromedp.Click(chromedp.CSS(Card(poll)+" .reveal label:nth-of-type(2) input"))))
	must(t, display.WaitJS(Patience, "the poll with hidden results", `document.querySelector(".show-poll.is-hidden") !== null`, `document.body.innerText.slice(0, 300)`))
	responses := func(n int) string {
		if n == 1 {
			return showT.T("en", "responses.one", "n", n)
		}
		return showT.T("en", "responses.many", "n", n)
	}
	must(t, display.WaitJS(Patience, "no responses yet", fmt.Sprintf(`%s === %s`, textOf(".show-poll .show-responses"), JS(responses(0))), textOf(".show-poll .show-meta")))
	for i, phone := range []*Tab{ada, bo} {
		must(t, WaitPollOpen(phone, 2))
		must(t, Vote(phone, i, att.T("en", "poll.received")))
	}
	must(t, display.WaitJS(Patience, "two responses while hidden", fmt.Sprintf(`%s === %s && [...document.querySelectorAll(".show-poll .poll-nums")].every(e => e.hidden)`, textOf(".show-poll .show-responses"), JS(responses(2))), textOf(".show-poll .show-meta")))
	connected := func(n int) string { return showT.T("en", "join.connected", "n", n) }
	must(t, display.WaitJS(Patience, "two phones connected", fmt.Sprintf(`%s === %s && %s === %s`,
		textOf("#participants .show-connected"), JS(connected(2)), textOf("#participants .show-joined"), JS(showT.T("en", "join.joined", "n", 2))), textOf("#participants")))
	bo.Cancel()
	must(t, display.WaitJS(Patience, "one phone connected once Bo's closed", fmt.Sprintf(`%s === %s && %s === %s`,
		textOf("#participants .show-connected"), JS(connected(1)), textOf("#participants .show-joined"), JS(showT.T("en", "join.joined", "n", 2))), textOf("#participants")))
	must(t, WaitIdle(display))
	checkAxe(t, display, runAxe(t, display, src))

	for _, tab := range []*Tab{host, display, ada} {
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("%s opened dialogs: %v", tab.Name, d)
		}
	}
}
