package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// exported is the part of GET /api/sessions/{id}/export that the tests read.
type exported struct {
	Participants int `json:"participants"`
	Activities   []struct {
		ID      string `json:"id"`
		Kind    string `json:"kind"`
		Voters  int    `json:"voters"`
		Options []struct {
			Label string `json:"label"`
			Votes int    `json:"votes"`
		} `json:"options"`
	} `json:"activities"`
}

// pollCounts returns the voters and each option's votes of activity id.
func pollCounts(t *testing.T, srv *Server, c Created, id string) (int, []int) {
	t.Helper()
	var ex exported
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, c.ID, c.FacilitatorKey, &ex))
	for _, a := range ex.Activities {
		if a.ID == id {
			votes := make([]int, len(a.Options))
			for i, o := range a.Options {
				votes[i] = o.Votes
			}
			return a.Voters, votes
		}
	}
	t.Fatalf("the export has no activity %s", id)
	return 0, nil
}

// checkExport fails the test unless the export counts voters and votes.
func checkExport(t *testing.T, r *pollRoom, voters int, votes []int) {
	t.Helper()
	gotVoters, gotVotes := pollCounts(t, r.srv, r.created, r.poll)
	if gotVoters != voters || !slices.Equal(gotVotes, votes) {
		t.Fatalf("export: voters %d, votes %v; want voters %d, votes %v", gotVoters, gotVotes, voters, votes)
	}
}

// pollRoom is a session with a poll presented and open, a console, a
// display and attendees who joined from the landing page.
type pollRoom struct {
	srv       *Server
	created   Created
	poll      string
	options   []string
	host      *Tab
	display   *Tab
	attendees []*Tab
	att       Tables
	show      Tables
	hostT     Tables
}

var pollOptions = []string{"Library", "Bike lanes", "Community garden"}

// openPollRoom does the facilitator's part by clicking the console (create
// the session, add a poll with three options, present it, open it), opens
// the display from the console's link, and has n attendees join by code on
// the landing page at phone size.
func openPollRoom(t *testing.T, srv *Server, n int) *pollRoom {
	t.Helper()
	r := &pollRoom{srv: srv, options: pollOptions, att: tables(t, "attendee"), show: tables(t, "show"), hostT: tables(t, "host")}
	r.host = newTab(t, "console", ScreenWidth, ScreenHeight)
	var err error
	r.created, err = CreateSession(r.host, srv.URL(), "Town meeting")
	must(t, err)
	r.poll, err = AddPoll(r.host, "What should the town fund first?", r.options)
	must(t, err)
	must(t, PresentAndOpen(r.host, r.poll))

	link, err := ShowLink(r.host)
	must(t, err)
	if !strings.HasSuffix(link, "/show/"+r.created.ID+"#"+r.created.DisplayKey) {
		t.Fatalf("the console's display link %q does not carry the display key", link)
	}
	r.display = newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, r.display.Do(chromedp.Navigate(link)))
	must(t, r.display.WaitJS(Patience, "the poll on the display", `document.querySelectorAll(".show-poll .poll-row").length === 3`, `document.body.innerText.slice(0, 300)`))

	for i := range n {
		a := newTab(t, fmt.Sprintf("attendee %d", i+1), PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(a, srv.URL(), r.created.Code))
		must(t, WaitPollOpen(a, len(r.options)))
		r.attendees = append(r.attendees, a)
	}
	return r
}

// percent rounds like Math.round(votes*100/total).
func percent(votes, total int) int {
	if total == 0 {
		return 0
	}
	return int(math.Floor(float64(votes*100)/float64(total) + 0.5))
}

// shares are the pages' percents (dom.js shares): adding up to 100 by
// largest remainder, ties to the earlier, when votes add up to total;
// else each rounded.
func shares(votes []int, total int) []int {
	out := make([]int, len(votes))
	sum := 0
	for i, v := range votes {
		out[i], sum = percent(v, total), sum+v
	}
	if total == 0 || sum != total {
		return out
	}
	left := 100
	for i, v := range votes {
		out[i] = v * 100 / total
		left -= out[i]
	}
	order := make([]int, len(votes))
	for i := range order {
		order[i] = i
	}
	rem := func(i int) int { return votes[i]*100 - out[i]*total }
	sort.SliceStable(order, func(a, b int) bool { return rem(order[a]) > rem(order[b]) })
	for _, i := range order[:left] {
		out[i]++
	}
	return out
}

// waitResults waits until the display (bars, numbers and the aria-live text
// list) and the console show votes.
func waitResults(t *testing.T, r *pollRoom, votes []int) {
	t.Helper()
	total := 0
	for _, v := range votes {
		total += v
	}
	var counts, widths, live []string
	pcts := shares(votes, total)
	for i, v := range votes {
		counts = append(counts, fmt.Sprint(v))
		widths = append(widths, fmt.Sprintf("%.4f", float64(v)*100/float64(total)))
		key := "live.votes"
		if v == 1 {
			key = "live.voteOne"
		}
		live = append(live, r.show.T("en", key, "label", r.options[i], "n", v, "pct", fmt.Sprintf("%d%%", pcts[i])))
	}
	voterKey := "poll.voters"
	if total == 1 {
		voterKey = "poll.voterOne"
	}
	live = append(live, r.show.T("en", voterKey, "n", total))
	cj, _ := json.Marshal(counts)
	wj, _ := json.Marshal(widths)
	lj, _ := json.Marshal(live)
	must(t, r.display.WaitJS(Patience, "the counts and bars on the display", fmt.Sprintf(`(() => {
		const counts = [...document.querySelectorAll(".show-poll .poll-row .poll-count")].map(e => e.textContent);
		const widths = [...document.querySelectorAll(".show-poll .poll-row .poll-fill")].map(e => parseFloat(e.style.width) || 0);
		const want = %s;
		return JSON.stringify(counts) === JSON.stringify(%s) && widths.length === want.length && widths.every((w, i) => Math.abs(w - want[i]) < 0.01);
	})()`, wj, cj), `[[...document.querySelectorAll(".poll-row")].map(e => e.innerText), [...document.querySelectorAll(".poll-fill")].map(e => e.style.width)]`))
	// The same results as text for screen readers, in an aria-live region.
	must(t, r.display.WaitJS(Patience, "the results in the display's aria-live list", fmt.Sprintf(`(() => {
		const live = document.querySelector("[aria-live] ul");
		if (!live || !live.closest("#live")) return false;
		const items = [...live.querySelectorAll("li")].map(e => e.textContent);
		return %s.every(s => items.includes(s));
	})()`, lj), `[...document.querySelectorAll("#live li")].map(e => e.textContent)`))

	var hostCounts []string
	for i, v := range votes {
		hostCounts = append(hostCounts, r.hostT.T("en", "poll.count", "n", v, "pct", pcts[i]))
	}
	hj, _ := json.Marshal(hostCounts)
	card := Card(r.poll)
	must(t, r.host.WaitJS(Patience, "the counts on the console", fmt.Sprintf(`JSON.stringify([...document.querySelectorAll(%s)].map(e => e.textContent)) === %s && document.querySelector(%s).textContent.includes(%s)`,
		JS(card+" .bar-row .bar-count"), JS(string(hj)), JS(card+" .hint"), JS(r.hostT.T("en", "poll.voters", "n", total))),
		fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
}

// TestPollFlow: a facilitator runs a poll from the console, three phones
// vote, and the display and the console show the counts.
func TestPollFlow(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	r := openPollRoom(t, srv, 3)
	received := r.att.T("en", "poll.received")
	choices := []int{0, 1, 1}
	for i, a := range r.attendees {
		must(t, Vote(a, choices[i], received))
	}
	waitResults(t, r, []int{1, 2, 0})
	checkExport(t, r, 3, []int{1, 2, 0})
}

// stopServer stops the server and waits until every page says it is offline.
func stopServer(t *testing.T, r *pollRoom) {
	t.Helper()
	must(t, r.srv.Stop())
	offline := r.att.T("en", "net.offline")
	for _, a := range r.attendees {
		must(t, a.WaitJS(Patience, "the offline banner", fmt.Sprintf(`document.getElementById("net").textContent === %s`, JS(offline)), `document.getElementById("net").textContent`))
	}
	must(t, r.host.WaitJS(Patience, "the console's offline status", `document.getElementById("status").dataset.status === "offline"`, `document.getElementById("status").dataset.status`))
	must(t, r.display.WaitJS(Patience, "the display's offline status", `document.body.classList.contains("is-offline")`, `document.getElementById("status").textContent`))
}

// waitOnline waits until every page is connected again, by itself.
func waitOnline(t *testing.T, r *pollRoom) {
	t.Helper()
	// The pages back off up to 15 s between attempts; they were offline for
	// a few seconds only.
	const d = 30 * time.Second
	for _, a := range r.attendees {
		must(t, a.WaitJS(d, "the offline banner to go", `document.getElementById("net").textContent === ""`, `document.getElementById("net").textContent`))
	}
	must(t, r.host.WaitJS(d, "the console online", `document.getElementById("status").dataset.status === "online"`, `document.getElementById("status").dataset.status`))
	must(t, r.display.WaitJS(d, "the display online", `!document.body.classList.contains("is-offline") && document.getElementById("status").dataset.state === "online"`, `document.getElementById("status").dataset.state`))
}

// TestRestartReconnect: the server restarts on the same store; the pages
// reconnect by themselves and a vote changed afterwards counts once.
func TestRestartReconnect(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	r := openPollRoom(t, srv, 3)
	received := r.att.T("en", "poll.received")
	for i, a := range r.attendees {
		must(t, Vote(a, i, received))
	}
	waitResults(t, r, []int{1, 1, 1})

	stopServer(t, r)
	must(t, srv.Start(context.Background()))
	waitOnline(t, r)

	// The first attendee changes their mind: still three voters.
	must(t, Vote(r.attendees[0], 2, received))
	waitResults(t, r, []int{0, 1, 2})
	checkExport(t, r, 3, []int{0, 1, 2})
}

// TestResendAfterRestart: a vote made while the server is down waits in
// the page, goes out after the restart, and counts once even when the same
// command id arrives again.
func TestResendAfterRestart(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	r := openPollRoom(t, srv, 3)
	received := r.att.T("en", "poll.received")
	must(t, Vote(r.attendees[0], 0, received))
	must(t, Vote(r.attendees[1], 1, received))
	waitResults(t, r, []int{1, 1, 0})

	late := r.attendees[2]
	// Listen sees each event before the reply to any later command, so once
	// the page shows the confirmation its vote frames have been recorded.
	var mu sync.Mutex
	var frames []string
	listenCtx, stopListening := context.WithCancel(late.Ctx)
	defer stopListening()
	must(t, chromedp.Listen(listenCtx, func(ev any) {
		if f, ok := ev.(*network.EventWebSocketFrameSent); ok {
			mu.Lock()
			frames = append(frames, string(f.Response.PayloadData))
			mu.Unlock()
		}
	}))

	stopServer(t, r)
	// The vote is queued: the button says it is sending, nothing confirms.
	must(t, late.Do(chromedp.Click(chromedp.CSS(OptionButton(2)))))
	must(t, late.WaitJS(Patience, "the vote waiting to be sent", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-busy") === "true"`, JS(OptionButton(2))), ""))
	if got, err := Eval[string](late, textOf("#main .poll .confirm")); err != nil || got == received {
		t.Fatalf("the vote was confirmed while the server was down (%q, %v)", got, err)
	}

	must(t, srv.Start(context.Background()))
	waitOnline(t, r)
	must(t, late.WaitJS(Patience, "the queued vote's confirmation", fmt.Sprintf(`%s === %s`, textOf("#main .poll .confirm"), JS(received)), textOf("#main .poll .confirm")))
	waitResults(t, r, []int{1, 1, 1})
	checkExport(t, r, 3, []int{1, 1, 1})

	// Every vote frame the page sent carries the same command id.
	var voteFrame string
	ids := map[string]bool{}
	mu.Lock()
	for _, f := range frames {
		var cmd struct {
			Type, ID, Op string
		}
		if json.Unmarshal([]byte(f), &cmd) == nil && cmd.Type == "cmd" && cmd.Op == "vote" {
			ids[cmd.ID] = true
			voteFrame = f
		}
	}
	mu.Unlock()
	stopListening()
	if len(ids) != 1 {
		t.Fatalf("the page sent the vote with ids %v; want exactly one id", ids)
	}

	// The same command id again, from the same participant on a new
	// connection, even with another choice: answered with an ack, and the
	// count does not move.
	var cmd map[string]any
	must(t, json.Unmarshal([]byte(voteFrame), &cmd))
	cmd["choices"] = []int{0}
	replay, _ := json.Marshal(cmd)
	answer, err := chromedp.Run(late.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`new Promise((resolve) => {
		const token = localStorage.getItem(%s);
		const ws = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws");
		const done = (s) => { try { ws.close(); } catch (e) {} resolve(s); };
		setTimeout(() => done("timeout"), 10000);
		ws.onopen = () => ws.send(JSON.stringify({type: "hello", token, since: 0}));
		ws.onmessage = (ev) => {
			const m = JSON.parse(ev.data);
			if (m.type === "welcome") ws.send(%s);
			else if ((m.type === "ack" || m.type === "error") && m.id === %s) done(m.type + (m.code ? " " + m.code : ""));
		};
		ws.onclose = () => done("closed");
	})`, JS("townhall.token."+r.created.Code), JS(string(replay)), JS(fmt.Sprint(cmd["id"]))), chromedp.EvalAwaitPromise))
	must(t, err)
	if answer != "ack" {
		t.Fatalf("a repeated command id was answered with %q; want the first answer, ack", answer)
	}
	checkExport(t, r, 3, []int{1, 1, 1})
}
