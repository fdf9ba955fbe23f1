package e2e

// Browser tests of a link that fails: a console that goes offline with
// clicks pending, a flood close, a display behind a link that swallows its
// traffic, an attendee whose token is refused, and the pages' accessibility
// while offline. Each page that must lose its link reaches the server
// through a linkProxy of its own.

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The close statuses the tests inject: a black-box copy of the protocol's.
const (
	closeTryAgainLater = 1013
	closeFlooding      = 4029
	// floodBackoff is the least a page waits after closeFlooding.
	floodBackoff = 5 * time.Second
	// liveness is how soon an idle page must notice a dead link (20 s of
	// silence, then 10 s without an answer to its ping); deadLinkPatience
	// adds the margin of a busy machine.
	liveness         = 30 * time.Second
	deadLinkPatience = 60 * time.Second
)

// queueExport is the part of a queue's export that the tests read.
type queueExport struct {
	Activities []struct {
		ID       string `json:"id"`
		Speaking *struct {
			Name string `json:"name"`
		} `json:"speaking"`
		Speakers []struct {
			Name string `json:"name"`
		} `json:"speakers"`
	} `json:"activities"`
	Participants int `json:"participants"`
}

// turns returns the names of everyone who was given the floor in queue id,
// in order, the current speaker last.
func turns(t *testing.T, srv *Server, c Created, id string) []string {
	t.Helper()
	var x queueExport
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, c.ID, c.FacilitatorKey, &x))
	for _, a := range x.Activities {
		if a.ID != id {
			continue
		}
		var names []string
		for _, s := range a.Speakers {
			names = append(names, s.Name)
		}
		if a.Speaking != nil {
			names = append(names, a.Speaking.Name)
		}
		return names
	}
	t.Fatalf("the export has no activity %s", id)
	return nil
}

func participants(t *testing.T, srv *Server, c Created) int {
	t.Helper()
	var x queueExport
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, c.ID, c.FacilitatorKey, &x))
	return x.Participants
}

// joinToken joins the session through the API, as a phone would.
func joinToken(t *testing.T, srv *Server, code string) string {
	t.Helper()
	var j struct {
		Token string `json:"token"`
	}
	postJSON(t, srv.URL()+"/api/join", map[string]string{"code": code}, &j)
	if j.Token == "" {
		t.Fatal("the join answer has no token")
	}
	return j.Token
}

// consoleOffline is an expression: the console says it is offline, in the
// top bar and in the banner beside the controls, which are disabled.
const consoleOffline = `document.getElementById("status").dataset.status === "offline" && document.getElementById("controls").disabled && document.getElementById("offline-banner").textContent !== ""`

const consoleState = `[document.getElementById("status").dataset.status, document.getElementById("controls").disabled, document.getElementById("offline-banner").textContent]`

// inView is an expression: the element matching sel is drawn inside the
// window.
func inView(sel string) string {
	return fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect(); return r.height > 0 && r.width > 0 && r.top >= 0 && r.bottom <= innerHeight; })()`, JS(sel))
}

// TestConsoleOfflineNoStaleClicks: the console's link goes dead just as
// the facilitator clicks "Next speaker"; once the console notices, its
// controls are disabled and a banner stays in sight whatever the scroll;
// two more clicks do nothing. When the link returns, the click that was on
// its way is sent again with its id and takes effect once: one speaker
// change, not three. A click that arrives after another console gave the
// floor to someone else is refused (conflict), and the console says so
// beside the queue.
func TestConsoleOfflineNoStaleClicks(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	proxy := startProxy(t, srv.Addr)
	hostT := tables(t, "host")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, proxy.URL(), "Council debate")
	must(t, err)
	queue, err := AddQueue(host, "Speakers", 120, []string{"North ward"})
	must(t, err)
	must(t, PresentAndOpen(host, queue))

	// Three attendees raise their hands over their own websockets.
	for _, name := range []string{"Ada", "Bob", "Cy"} {
		c := connect(t, name, joinToken(t, srv, created.Code), []string{srv.Addr}, 0, clientOpts{})
		c.must("hand.raise", map[string]any{"activity": queue, "name": name, "constituency": "North ward", "kind": "speak"})
	}
	card := Card(queue)
	next := card + " .activity-body .actions > button:nth-child(1)"
	speaker := textOf(card + " .speaker-name")
	must(t, host.WaitJS(Patience, "three hands on the console", fmt.Sprintf(`document.querySelectorAll(%s).length === 3`, JS(card+" .queue-rows > li")), fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
	must(t, host.WaitJS(Patience, "Ada on the floor", speaker+` === "Ada"`, speaker))

	// The link dies silently; the facilitator clicks before the console
	// can know.
	proxy.setMode(blackhole)
	cut := time.Now()
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
	must(t, host.WaitJS(deadLinkPatience, "the console offline", consoleOffline, consoleState))
	t.Logf("the console noticed the dead link after %v (a command was waiting for its answer)", time.Since(cut).Round(100*time.Millisecond))
	if got, err := Eval[string](host, `document.getElementById("offline-banner").textContent`); err != nil || got != hostT.T("en", "offline.banner") {
		t.Errorf("the offline banner says %q (%v); want %q", got, err, hostT.T("en", "offline.banner"))
	}

	// The banner stays in sight at the bottom of the page too.
	_, err = Eval[chromedp.Void](host, `window.scrollTo(0, document.documentElement.scrollHeight)`)
	must(t, err)
	must(t, host.WaitJS(Patience, "the banner in sight after scrolling down", inView("#offline-banner"), `JSON.stringify(document.getElementById("offline-banner").getBoundingClientRect())`))
	if ok, err := Eval[bool](host, `scrollY > 0`); err != nil || !ok {
		t.Errorf("the console did not scroll (%v): the sticky banner was not tested", err)
	}

	// Two clicks on the disabled button, with a real mouse, where the
	// button is drawn.
	disabled, err := Eval[bool](host, fmt.Sprintf(`document.querySelector(%s).matches(":disabled")`, JS(next)))
	must(t, err)
	if !disabled {
		t.Fatal("the next-speaker button is enabled while the console is offline")
	}
	_, err = Eval[chromedp.Void](host, fmt.Sprintf(`document.querySelector(%s).scrollIntoView({block: "center"})`, JS(next)))
	must(t, err)
	onTop, err := Eval[bool](host, fmt.Sprintf(`(() => { const b = document.querySelector(%s); const r = b.getBoundingClientRect(); return b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)); })()`, JS(next)))
	must(t, err)
	if !onTop {
		t.Fatal("something covers the next-speaker button: the clicks would not reach it")
	}
	for range 2 {
		must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
	}
	if got := turns(t, srv, created, queue); len(got) != 1 {
		t.Fatalf("while the console was offline the floor went to %v; want Ada only", got)
	}

	// The link returns: the console reconnects by itself and the click that
	// was on its way when the link died takes effect, once.
	proxy.setMode(forward)
	must(t, host.WaitJS(deadLinkPatience, "the console online", `document.getElementById("status").dataset.status === "online" && !document.getElementById("controls").disabled && document.getElementById("offline-banner").textContent === ""`, consoleState))
	must(t, host.WaitJS(Patience, "Bob on the floor", speaker+` === "Bob"`, speaker))

	// A fence: a command sent after the reconnect is answered after
	// anything the console sent before it on that link.
	pause := card + " .activity-body .actions > button:nth-child(3)"
	must(t, host.Do(chromedp.Click(chromedp.CSS(pause))))
	must(t, host.WaitJS(Patience, "the timer paused", fmt.Sprintf(`document.querySelector(%s).classList.contains("is-paused")`, JS(card+" .speaking")), fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
	if got := turns(t, srv, created, queue); strings.Join(got, ",") != "Ada,Bob" {
		t.Fatalf("the floor went to %v; want Ada, then Bob: one change for the click in flight, none for the clicks while offline", got)
	}
	if s, err := Eval[string](host, speaker); err != nil || s != "Bob" {
		t.Errorf("the console shows %q on the floor (%v); want Bob", s, err)
	}

	// The link dies again with a click on its way, and meanwhile the floor
	// changes hands by another console: when the click arrives, it names a
	// speaker who no longer has the floor, and the server refuses it. The
	// console says so beside the queue's controls, and nothing changes.
	other := connect(t, "otherconsole", created.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	proxy.setMode(blackhole)
	must(t, host.Do(chromedp.Click(chromedp.CSS(next))))
	other.must("queue.next", map[string]any{"activity": queue})
	must(t, host.WaitJS(deadLinkPatience, "the console offline again", consoleOffline, consoleState))
	proxy.setMode(forward)
	cardError := textOf(card + " .card-error")
	must(t, host.WaitJS(deadLinkPatience, "the refusal beside the queue", fmt.Sprintf(`%s === %s`, cardError, JS(hostT.T("en", "reason.floor_taken", "name", "Cy"))), cardError))
	must(t, host.WaitJS(Patience, "Cy on the floor", speaker+` === "Cy"`, speaker))
	if got := turns(t, srv, created, queue); strings.Join(got, ",") != "Ada,Bob,Cy" {
		t.Fatalf("the floor went to %v; want Ada, Bob, Cy: the stale click must not end Cy's turn", got)
	}
}

// TestCloseStatusesReconnect: an attendee's socket is closed with 1013
// ("try again later") and then with 4029 (flooding); each time the page
// says it is reconnecting and comes back by itself with the same token,
// after 4029 no sooner than 5 s, and the session still has one
// participant.
func TestCloseStatusesReconnect(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	proxy := startProxy(t, srv.Addr)
	att := tables(t, "attendee")
	var created Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]string{"title": "Flood"}, &created)

	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	var mu sync.Mutex
	var hellos []string
	must(t, chromedp.Listen(phone.Ctx, func(ev any) {
		if f, ok := ev.(*network.EventWebSocketFrameSent); ok {
			var m struct{ Type, Token string }
			if json.Unmarshal([]byte(f.Response.PayloadData), &m) == nil && m.Type == "hello" {
				mu.Lock()
				hellos = append(hellos, m.Token)
				mu.Unlock()
			}
		}
	}))
	must(t, JoinFromLanding(phone, proxy.URL(), created.Code))
	token, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s)`, JS("townhall.token."+created.Code)))
	must(t, err)
	banner := textOf("#net")
	online := `document.getElementById("net").textContent === "" && document.querySelector("#main > section") !== null`
	waitHellos := func(n int) {
		t.Helper()
		deadline := time.Now().Add(Patience)
		for {
			mu.Lock()
			got := len(hellos)
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the page said hello %d times; want %d", got, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitHellos(1)

	for _, c := range []struct {
		status uint16
		reason string
		banner string
		least  time.Duration
	}{
		{closeTryAgainLater, "unavailable", att.T("en", "net.offline"), 0},
		{closeFlooding, "too many commands", att.T("en", "net.flood"), floodBackoff},
	} {
		mu.Lock()
		before := len(hellos)
		mu.Unlock()
		at := time.Now()
		if n := proxy.closeWebsockets(c.status, c.reason); n != 1 {
			t.Fatalf("close %d: %d websockets closed; want the page's one", c.status, n)
		}
		must(t, phone.WaitJS(Patience, fmt.Sprintf("the reconnecting banner after %d", c.status), fmt.Sprintf(`%s === %s`, banner, JS(c.banner)), banner))
		if c.least > 0 {
			// The phone's network comes back and the tab is shown again: the
			// page still waits as long as the server asked.
			_, err := Eval[chromedp.Void](phone, `window.dispatchEvent(new Event("online")); document.dispatchEvent(new Event("visibilitychange"))`)
			must(t, err)
		}
		must(t, phone.WaitJS(deadLinkPatience, fmt.Sprintf("the page back after %d", c.status), online, banner))
		waitHellos(before + 1)
		opens := proxy.wsOpensSince(at)
		if len(opens) == 0 {
			t.Fatalf("close %d: the page is online but opened no websocket", c.status)
		}
		gap := opens[0].Sub(at)
		t.Logf("close %d: the page reconnected after %v", c.status, gap.Round(10*time.Millisecond))
		if gap < c.least {
			t.Errorf("close %d: the page reconnected after %v; want at least %v", c.status, gap, c.least)
		}
	}

	mu.Lock()
	for i, h := range hellos {
		if h != token {
			t.Errorf("hello %d carried another token than the stored one", i+1)
		}
	}
	mu.Unlock()
	if got, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s)`, JS("townhall.token."+created.Code))); err != nil || got != token {
		t.Errorf("the stored token changed (%v)", err)
	}
	if n := participants(t, srv, created); n != 1 {
		t.Errorf("the session has %d participants; want the one phone", n)
	}
}

// TestDisplayDeadLink: a display behind a link that swallows its traffic
// (bytes read and discarded both ways, sockets open) says it is offline,
// within the protocol's 30 s, and comes back by itself with the votes cast
// meanwhile when the link forwards again.
func TestDisplayDeadLink(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	proxy := startProxy(t, srv.Addr)
	show := tables(t, "show")
	var created Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]string{"title": "Dead link"}, &created)
	host := connect(t, "host", created.FacilitatorKey, []string{srv.Addr}, 0, clientOpts{})
	ack := host.must("activity.create", map[string]any{"activity": map[string]any{"kind": "poll", "title": "Which day?", "options": []string{"Monday", "Friday"}}})
	var poll string
	must(t, json.Unmarshal(ack.Activity, &poll))
	host.must("activity.open", map[string]any{"activity": poll})
	host.must("activity.present", map[string]any{"activity": poll})

	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(proxy.URL()+"/show/"+created.ID+"#"+created.DisplayKey)))
	counts := `[...document.querySelectorAll(".show-poll .poll-row .poll-count")].map(e => e.textContent).join(",")`
	must(t, display.WaitJS(Patience, "the poll on the display", counts+` === "0,0"`, counts))
	status := `document.getElementById("status").dataset.state`
	must(t, display.WaitJS(Patience, "the display online", status+` === "online"`, status))

	proxy.setMode(blackhole)
	cut := time.Now()
	phone := connect(t, "phone", joinToken(t, srv, created.Code), []string{srv.Addr}, 0, clientOpts{})
	phone.must("vote", map[string]any{"activity": poll, "choices": []int{1}})

	must(t, display.WaitJS(deadLinkPatience, "the display offline", status+` === "offline" && document.body.classList.contains("is-offline")`, status))
	detected := time.Since(cut)
	t.Logf("the idle display noticed the dead link after %v (the protocol allows %v)", detected.Round(100*time.Millisecond), liveness)
	if got, err := Eval[string](display, textOf("#status")); err != nil || got != show.T("en", "status.offlineLong") {
		t.Errorf("the display's offline notice says %q (%v); want %q", got, err, show.T("en", "status.offlineLong"))
	}
	if ok, err := Eval[bool](display, inView("#status")+` && getComputedStyle(document.getElementById("status")).position === "fixed"`); err != nil || !ok {
		t.Errorf("the display's offline notice is not in sight (%v)", err)
	}
	// The vote never reached the display: it shows the stale count.
	if got, err := Eval[string](display, counts); err != nil || got != "0,0" {
		t.Errorf("the display shows %q while its link is dead (%v); want the stale 0,0", got, err)
	}

	proxy.setMode(forward)
	back := time.Now()
	must(t, display.WaitJS(deadLinkPatience, "the display back with the vote", status+` === "online" && !document.body.classList.contains("is-offline") && `+counts+` === "0,1"`, `[`+status+`, `+counts+`]`))
	t.Logf("the display was back %v after the link returned", time.Since(back).Round(100*time.Millisecond))
	if got, err := Eval[string](display, textOf("#status")); err != nil || got != "" {
		t.Errorf("the display still shows %q once online (%v)", got, err)
	}
}

// forgedToken is an attendee token for session with a participant id, but
// signed with another secret: a token of another deployment, or of a
// server whose secret changed.
func forgedToken(session string) string {
	secret := make([]byte, 32)
	rand.Read(secret)
	body := "a." + session + ".p-forged"
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(body))
	return body + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// TestInvalidTokenKeepsParticipant: an attendee page whose stored token the
// server refuses (close 1008, unauthorized) says that the link is no
// longer valid and offers to join again; it keeps the token and creates no
// participant by itself. "Join again" joins, once.
func TestInvalidTokenKeepsParticipant(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	src := axeSource(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	var created Created
	postJSON(t, srv.URL()+"/api/sessions", map[string]string{"title": "Stale phone"}, &created)
	key := "townhall.token." + created.Code
	forged := forgedToken(created.ID)

	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	_, err := Eval[chromedp.Void](phone, fmt.Sprintf(`localStorage.setItem(%s, %s)`, JS(key), JS(forged)))
	must(t, err)
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+created.Code)))

	heading := textOf("#main h1")
	joinAgain := `[...document.querySelectorAll("#main button")].find(b => b.textContent === ` + JS(att.T("en", "invalid.join")) + `)`
	must(t, phone.WaitJS(Patience, "the link-no-longer-valid screen", fmt.Sprintf(`%s === %s && !!%s`, heading, JS(att.T("en", "invalid.title")), joinAgain), `document.getElementById("main").innerText`))
	if got, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s)`, JS(key))); err != nil || got != forged {
		t.Errorf("the page dropped or replaced the stored token (%v)", err)
	}
	if n := participants(t, srv, created); n != 0 {
		t.Fatalf("the page joined by itself: %d participants; want 0", n)
	}
	if got, err := Eval[string](phone, textOf("#net")); err != nil || got != "" {
		t.Errorf("the page says %q in its network banner (%v); a stopped link is not reconnecting", got, err)
	}
	checkAxe(t, phone, runAxe(t, phone, src))

	// Joining again is the person's choice, and it works.
	_, err = Eval[chromedp.Void](phone, joinAgain+`.click()`)
	must(t, err)
	must(t, WaitAttendeeReady(phone, created.Code))
	must(t, phone.WaitJS(Patience, "the waiting screen", fmt.Sprintf(`%s === %s`, heading, JS(att.T("en", "waiting.title"))), `document.getElementById("main").innerText`))
	if n := participants(t, srv, created); n != 1 {
		t.Errorf("after Join again the session has %d participants; want 1", n)
	}
	if got, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s)`, JS(key))); err != nil || got == forged || got == "" {
		t.Errorf("after Join again the stored token was not replaced (%v)", err)
	}
}

// TestOfflineAccessibility: with the server out of reach, the console (its
// banner, its disabled controls), the attendee page and the display stay
// free of serious accessibility violations.
func TestOfflineAccessibility(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	src := axeSource(t)
	srv := startServer(t)
	proxy := startProxy(t, srv.Addr)
	att := tables(t, "attendee")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, proxy.URL(), "Offline room")
	must(t, err)
	poll, err := AddPoll(host, "Where next?", []string{"Park", "Pool"})
	must(t, err)
	must(t, PresentAndOpen(host, poll))
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	must(t, display.WaitJS(Patience, "the poll on the display", `document.querySelectorAll(".show-poll .poll-row").length === 2`, `document.body.innerText.slice(0, 300)`))
	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, proxy.URL(), created.Code))
	must(t, WaitPollOpen(phone, 2))

	proxy.setMode(refuse)
	must(t, host.WaitJS(Patience, "the console offline", consoleOffline, consoleState))
	must(t, phone.WaitJS(Patience, "the phone offline", fmt.Sprintf(`%s === %s`, textOf("#net"), JS(att.T("en", "net.offline"))), textOf("#net")))
	must(t, display.WaitJS(Patience, "the display offline", `document.getElementById("status").dataset.state === "offline"`, `document.getElementById("status").dataset.state`))
	must(t, WaitIdle(display))
	for _, tab := range []*Tab{host, phone, display} {
		checkAxe(t, tab, runAxe(t, tab, src))
	}
	proxy.setMode(forward)
	must(t, host.WaitJS(deadLinkPatience, "the console back", `document.getElementById("status").dataset.status === "online"`, consoleState))
}

// TestDeletedSession: the facilitator deletes a session while its console,
// display and a phone are connected. Each page is told not_found and close
// 1008 and says the session was deleted; none of them reconnects, and the
// phone forgets its token and offers no "Join again": there is nothing left
// to join.
func TestDeletedSession(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	srv := startServer(t)
	att := tables(t, "attendee")
	hostT := tables(t, "host")
	show := tables(t, "show")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Short-lived")
	must(t, err)
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	must(t, display.WaitJS(Patience, "the display online", `document.getElementById("status").dataset.state === "online"`, `document.getElementById("status").dataset.state`))
	phone := newTab(t, "attendee", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(phone, srv.URL(), created.Code))
	key := "townhall.token." + created.Code
	if token, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s) || ""`, JS(key))); err != nil || token == "" {
		t.Fatalf("the phone stored no token (%v)", err)
	}
	// Another phone is offline when the session is deleted, and learns it
	// when its link returns.
	proxy := startProxy(t, srv.Addr)
	away := newTab(t, "attendee away", PhoneWidth, PhoneHeight)
	must(t, JoinFromLanding(away, proxy.URL(), created.Code))
	proxy.setMode(refuse)
	must(t, away.WaitJS(Patience, "the away phone offline", fmt.Sprintf(`%s === %s`, textOf("#net"), JS(att.T("en", "net.offline"))), textOf("#net")))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL()+"/api/sessions/"+created.ID, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+created.FacilitatorKey)
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE answered %s; want 204", res.Status)
	}

	must(t, host.WaitJS(Patience, "the console's notice", fmt.Sprintf(`!document.getElementById("fatal").hidden && %s === %s`, textOf("#fatal-text"), JS(hostT.T("en", "fatal.notFound"))), textOf("#fatal-text")))
	must(t, display.WaitJS(Patience, "the display's notice", fmt.Sprintf(`document.body.innerText.includes(%s)`, JS(show.T("en", "error.notFound"))), `document.body.innerText.slice(0, 300)`))
	// Nothing is left to join: the phone says who deleted it, offers no
	// "Join again" and forgets the token.
	must(t, phone.WaitJS(Patience, "the phone's notice", fmt.Sprintf(`%s === %s && document.querySelectorAll("#main button").length === 0`, textOf("#main h1"), JS(att.T("en", "deleted.title"))), `document.getElementById("main").innerText`))
	if got, err := Eval[string](phone, fmt.Sprintf(`localStorage.getItem(%s) || ""`, JS(key))); err != nil || got != "" {
		t.Errorf("the phone kept the deleted session's token %q (%v)", got, err)
	}
	proxy.setMode(forward)
	must(t, away.WaitJS(deadLinkPatience, "the away phone's notice, without the reconnecting banner", fmt.Sprintf(`%s === %s && %s === ""`, textOf("#main h1"), JS(att.T("en", "deleted.title")), textOf("#net")), `[document.getElementById("net").textContent, document.getElementById("main").innerText]`))
	// A stopped page says nothing about reconnecting.
	for _, c := range []struct {
		tab  *Tab
		sel  string
		want string
	}{{host, "#status-text", hostT.T("en", "status.stopped")}, {phone, "#net", ""}, {display, "#status", ""}} {
		if got, err := Eval[string](c.tab, textOf(c.sel)); err != nil || got != c.want {
			t.Errorf("%s: %s says %q (%v) after the session was deleted; want %q", c.tab.Name, c.sel, got, err, c.want)
		}
	}
}
