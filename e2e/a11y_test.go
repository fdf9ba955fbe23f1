package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	kbd "github.com/chromedp/chromedp/kb"
)

// axeSource reads axe-core from the npm test dependency; in CI its absence
// fails the test.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(axePath)
	if err != nil {
		msg := "axe-core is not installed (run npm ci in e2e/, or make deps): " + err.Error()
		if os.Getenv(EnvCI) == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(b)
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target  []any  `json:"target"`
			Summary string `json:"failureSummary"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes     []string `json:"passes"`
	Incomplete []string `json:"incomplete"`
}

// runAxe injects axe-core into the tab (through the DevTools protocol, which
// the page's Content-Security-Policy does not govern) and runs every WCAG A
// and AA rule and the best practices.
func runAxe(t *testing.T, tab *Tab, src string) axeResult {
	t.Helper()
	_, err := Eval[chromedp.Void](tab, src)
	must(t, err)
	raw, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`axe.run(document, {
		runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
	}).then(r => JSON.stringify({
		violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))})),
		passes: r.passes.map(p => p.id),
		incomplete: r.incomplete.map(p => p.id),
	}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", tab.Name, err)
	}
	var res axeResult
	must(t, json.Unmarshal([]byte(raw), &res))
	return res
}

// checkAxe fails on every serious or critical violation and prints them.
func checkAxe(t *testing.T, tab *Tab, res axeResult) {
	t.Helper()
	var lines []string
	for _, v := range res.Violations {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("      %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " ")))
		}
		line := fmt.Sprintf("  [%s] %s: %s\n%s", v.Impact, v.ID, v.Help, strings.Join(nodes, "\n"))
		if v.Impact == "serious" || v.Impact == "critical" {
			lines = append(lines, line)
		} else {
			t.Logf("%s: axe (%s, not failing):\n%s", tab.Name, v.Impact, line)
		}
	}
	if len(lines) > 0 {
		t.Errorf("%s (%s): serious or critical accessibility violations:\n%s", tab.Name, mustLocation(tab), strings.Join(lines, "\n"))
	}
}

func mustLocation(tab *Tab) string {
	loc, err := chromedp.Run(tab.Ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	if i := strings.IndexByte(loc, '#'); i >= 0 {
		loc = loc[:i]
	}
	return loc
}

// TestAccessibility runs axe-core on every page with a live poll: landing,
// the console's create form, the console, the attendee page at phone size
// and the display, whose text contrast must hold.
func TestAccessibility(t *testing.T) {
	requireBrowser(t)
	src := axeSource(t)
	srv := startServer(t)

	landing := newTab(t, "landing", PhoneWidth, PhoneHeight)
	must(t, landing.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	must(t, landing.WaitJS(Patience, "the translated landing page", `document.getElementById("lang").options.length === 3`, ""))
	checkAxe(t, landing, runAxe(t, landing, src))

	create := newTab(t, "console create form", ScreenWidth, ScreenHeight)
	must(t, create.Do(chromedp.Navigate(srv.URL()+"/host/"), chromedp.WaitVisible(chromedp.ID("create-title"))))
	checkAxe(t, create, runAxe(t, create, src))

	r := openPollRoom(t, srv, 1)
	must(t, Vote(r.attendees[0], 1, r.att.T("en", "poll.received")))
	waitResults(t, r, []int{0, 1, 0})
	checkAxe(t, r.host, runAxe(t, r.host, src))
	checkAxe(t, r.attendees[0], runAxe(t, r.attendees[0], src))
	must(t, WaitIdle(r.display))
	res := runAxe(t, r.display, src)
	checkAxe(t, r.display, res)
	// Contrast on the display theme: the rule ran and found nothing, of any
	// impact.
	for _, v := range res.Violations {
		if v.ID == "color-contrast" {
			t.Errorf("display: text contrast fails on %d elements", len(v.Nodes))
		}
	}
	if !contains(res.Passes, "color-contrast") {
		t.Errorf("display: axe's color-contrast rule did not pass (incomplete: %v)", res.Incomplete)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// press sends one key (Tab, Enter, space, arrows) as a real key press.
func press(tab *Tab, key string) error {
	return tab.Do(chromedp.KeyEvent(key))
}

// tabTo presses Tab until the element matching sel has the focus.
func tabTo(t *testing.T, tab *Tab, sel string, max int) {
	t.Helper()
	expr := fmt.Sprintf(`document.activeElement && document.activeElement.matches(%s)`, JS(sel))
	for range max {
		ok, err := Eval[bool](tab, expr)
		must(t, err)
		if ok {
			return
		}
		must(t, press(tab, "\t"))
	}
	t.Fatalf("%s: %d presses of Tab did not reach %s (focus is on %s)", tab.Name, max, sel, focused(tab))
}

func focused(tab *Tab) string {
	s, err := Eval[string](tab, `document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : "nothing"`)
	if err != nil {
		return err.Error()
	}
	return s
}

// TestKeyboardOnlyVote: an attendee joins and votes with the keyboard
// alone, and the confirmation is announced through a live region.
func TestKeyboardOnlyVote(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Keyboard session")
	must(t, err)
	poll, err := AddPoll(host, "Tea or coffee?", []string{"Tea", "Coffee", "Water"})
	must(t, err)
	must(t, PresentAndOpen(host, poll))
	received := tables(t, "attendee").T("en", "poll.received")

	kb := newTab(t, "keyboard attendee", PhoneWidth, PhoneHeight)
	must(t, kb.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	tabTo(t, kb, "#code", 10)
	must(t, kb.Do(chromedp.KeyEvent(created.Code)))
	must(t, press(kb, "\r"))
	must(t, WaitAttendeeReady(kb, created.Code))
	must(t, WaitPollOpen(kb, 3))

	tabTo(t, kb, "#main .poll .options > button.opt", 15)
	must(t, press(kb, "\r"))
	must(t, kb.WaitJS(Patience, "the confirmation after Enter", fmt.Sprintf(`%s === %s && document.activeElement.getAttribute("aria-checked") === "true"`, textOf("#main .poll .confirm"), JS(received)), textOf("#main .poll .confirm")))
	live, err := Eval[bool](kb, `!!document.querySelector("#main .poll .confirm").closest("[aria-live], [role=status], [role=alert], [role=log]")`)
	must(t, err)
	if !live {
		t.Error("the vote's confirmation is not inside a live region")
	}

	// Arrow to the next option and change the vote with the space bar.
	must(t, press(kb, kbd.ArrowDown))
	must(t, kb.WaitJS(Patience, "the focus on the second option", fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, JS(OptionButton(1))), `document.activeElement.outerHTML.slice(0, 120)`))
	must(t, press(kb, " "))
	must(t, kb.WaitJS(Patience, "the changed vote", fmt.Sprintf(`document.querySelector(%s).getAttribute("aria-checked") === "true" && %s === %s`, JS(OptionButton(1)), textOf("#main .poll .confirm"), JS(received)), textOf("#main .poll .confirm")))

	var ex exported
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &ex))
	for _, a := range ex.Activities {
		if a.ID == poll && (a.Voters != 1 || a.Options[1].Votes != 1) {
			t.Fatalf("export after the keyboard votes: %+v; want one voter for Coffee", a)
		}
	}
}
