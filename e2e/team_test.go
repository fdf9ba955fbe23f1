package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestTeamConsoles: a host and a moderator run a moderated Q&A on two
// consoles. The moderator's console says it is one, shows the join,
// display and moderator links and none of the facilitator's controls; a
// question waits on both consoles until the moderator approves it, and
// then both show it approved. A facilitator's control forced into the
// moderator's page is refused (forbidden), said beside it in the
// moderator's language, and changes nothing. Then the host saves the
// session as a plan, and the file makes the next session, its activities
// drafts. Between, the host duplicates the Q&A (the copy opens in the
// prepare form, its title under the keyboard), edits the copy and deletes
// it with the card's controls. Each console's header counts who joined and
// who is connected now; an empty list speaks to each role. axe-core finds
// nothing serious on either console nor on the create screen with a plan
// chosen.
func TestTeamConsoles(t *testing.T) {
	requireBrowser(t)
	t.Parallel()
	axe := axeSource(t)
	srv := startServer(t)
	hostT := tables(t, "host")

	host := newTab(t, "host console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Team meeting")
	must(t, err)
	must(t, chooseKind(host, "qa"))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("qa-title"), "Your questions"),
		chromedp.Click(chromedp.ID("qa-moderated")),
		chromedp.Click(chromedp.CSS(`#form-qa button[type=submit]`)),
	))
	qa, err := waitCard(host, "Your questions")
	must(t, err)
	must(t, PresentAndOpen(host, qa))
	card := Card(qa)

	// The host's console hands out the moderator's link.
	must(t, host.WaitJS(Patience, "the moderator link on the host's console",
		`!document.getElementById("moderate-link-row").hidden && document.getElementById("moderate-link").href.includes("/moderate/")`, consoleErrors))
	modLink, err := Eval[string](host, `document.getElementById("moderate-link").href`)
	must(t, err)

	mod := newTab(t, "moderator console", ScreenWidth, ScreenHeight)
	must(t, mod.Do(chromedp.Navigate(modLink)))
	must(t, mod.WaitJS(Patience, "the moderator's console",
		fmt.Sprintf(`document.getElementById("status").dataset.status === "online" && !document.getElementById("role-badge").hidden && document.getElementById("role-badge").textContent === %s && document.querySelector(%s) !== null`,
			JS(hostT.T("en", "team.moderatorBadge")), JS(card)),
		`document.body.innerText.slice(0, 400)`))
	// Join, display and moderator links; no facilitator link, nothing of
	// the facilitator's: no prepare form, export, plan or end, and on the
	// card no present, open or reveal.
	must(t, mod.WaitJS(Patience, "the moderator's links",
		`!document.getElementById("show-link-row").hidden && document.getElementById("show-link").href.includes("/show/") &&
		 document.getElementById("join-link").href.includes("/j/") && document.getElementById("moderate-link").href.includes("/moderate/")`,
		`document.querySelector(".session").innerText`))
	visible := func(sel string) string {
		return fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && e.offsetParent !== null; })()`, JS(sel))
	}
	for _, sel := range []string{".prepare", "#jump-prepare", "#export-json", "#save-plan", "#end-button",
		card + " .activity-controls .actions > button:nth-child(1)", card + " .activity-controls .actions > button:nth-child(2)", card + " .reveal"} {
		if shown, err := Eval[bool](mod, visible(sel)); err != nil || shown {
			t.Errorf("the moderator's console shows %s (%v)", sel, err)
		}
	}
	for _, sel := range []string{".prepare", "#jump-prepare", "#export-json", "#save-plan", card + " .activity-controls .actions > button:nth-child(1)"} {
		if shown, err := Eval[bool](host, visible(sel)); err != nil || !shown {
			t.Errorf("the host's console hides %s (%v)", sel, err)
		}
	}
	if page, err := Eval[string](mod, `document.body.innerText`); err != nil || strings.Contains(page, created.FacilitatorKey) {
		t.Errorf("the moderator's page holds the facilitator key (%v)", err)
	}
	// An empty list points each role to what it has: the facilitator to
	// the prepare form, the moderator (who has none) to the facilitator.
	emptyText := textOf("#activities-empty")
	if got, err := Eval[string](mod, emptyText); err != nil || got != hostT.T("en", "activities.emptyModerator") {
		t.Errorf("the moderator's empty list says %q (%v)", got, err)
	}
	if got, err := Eval[string](host, emptyText); err != nil || got != hostT.T("en", "activities.empty") {
		t.Errorf("the host's empty list says %q (%v)", got, err)
	}

	// A question from a phone waits on both consoles.
	var joined struct{ Token string }
	postJSON(t, srv.URL()+"/api/join", map[string]string{"code": created.Code}, &joined)
	phone := connect(t, "phone", joined.Token, []string{srv.Addr}, 0, clientOpts{})
	phone.must("qa.ask", map[string]any{"activity": qa, "text": "Why is the bus late?"})
	// Both consoles' headers count who joined and who is connected now.
	presence := func(joined, connected int) string {
		return hostT.T("en", "session.presence", "joined", hostT.T("en", "session.joinedOne", "n", joined),
			"connected", hostT.T("en", "session.connected"+map[bool]string{true: "One"}[connected == 1], "n", connected))
	}
	for _, tab := range []*Tab{host, mod} {
		must(t, tab.WaitJS(Patience, "one joined and connected on the "+tab.Name, fmt.Sprintf(`%s === %s`, textOf("#participants"), JS(presence(1, 1))), textOf("#participants")))
	}
	firstRow := fmt.Sprintf(`document.querySelector(%s)`, JS(card+" li.qa-row"))
	must(t, host.WaitJS(Patience, "the question on the host's console", firstRow+` !== null`, fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card))))
	entry, err := Eval[string](host, firstRow+`.dataset.key`)
	must(t, err)
	row := fmt.Sprintf(`%s li[data-key=%s]`, card, JS(entry))
	status := func(tab *Tab, want string) error {
		return tab.WaitJS(Patience, "the question "+want+" on the "+tab.Name, fmt.Sprintf(`document.querySelector(%s).dataset.status === %s`, JS(row), JS(want)),
			fmt.Sprintf(`document.querySelector(%s).innerText`, JS(card)))
	}
	must(t, status(host, "pending"))
	must(t, status(mod, "pending"))
	must(t, mod.Do(chromedp.Click(chromedp.CSS(row+` button[data-action="approve"]`))))
	must(t, status(mod, "visible"))
	must(t, status(host, "visible"))

	// A facilitator's control, forced into view on the moderator's page:
	// refused, said beside it, and the activity stays open.
	closeBtn := card + " .activity-controls .actions > button:nth-child(2)"
	_, err = Eval[chromedp.Void](mod, fmt.Sprintf(`document.querySelector(%s).classList.remove("not-mine")`, JS(closeBtn)))
	must(t, err)
	must(t, mod.Do(chromedp.Click(chromedp.CSS(closeBtn))))
	beside := fmt.Sprintf(`(() => { const b = document.querySelector(%s); const p = b.closest(".actions").nextElementSibling; return p && p.classList.contains("card-error") ? p.textContent : ""; })()`, JS(closeBtn))
	must(t, mod.WaitJS(Patience, "the refusal beside the control", fmt.Sprintf(`%s === %s`, beside, JS(hostT.T("en", "reason.team_role"))), beside))
	if state, err := Eval[string](host, fmt.Sprintf(`document.querySelector(%s + " .tag-state").dataset.state`, JS(card))); err != nil || state != "open" {
		t.Fatalf("the Q&A after the moderator's refused close: %q (%v)", state, err)
	}
	_, err = Eval[chromedp.Void](mod, fmt.Sprintf(`document.querySelector(%s).classList.add("not-mine")`, JS(closeBtn)))
	must(t, err)
	checkAxe(t, mod, runAxe(t, mod, axe))

	// The host prepares by the card's controls: a duplicate is a draft
	// beside the original, edited in the prepare form, then deleted after
	// the card's own confirmation.
	checkAxe(t, host, runAxe(t, host, axe))
	must(t, hearLive(host, "live"))
	must(t, host.Do(chromedp.Click(chromedp.CSS(card+` .card-prepare button[data-action="duplicate"]`))))
	dupExpr := `(() => { const c = [...document.querySelectorAll("#activities > article")].filter(a => a.querySelector(".tag-state").dataset.state === "draft"); return c.length === 1 ? c[0].dataset.key : ""; })()`
	must(t, host.WaitJS(Patience, "the duplicate, a draft", dupExpr, consoleErrors))
	dup, err := Eval[string](host, dupExpr)
	must(t, err)
	// The copy keeps the title, so it is opened in the form at once: the
	// keyboard in its title, its card marked, and the copy said.
	must(t, host.WaitJS(Patience, "the copy open in the prepare form, its title focused",
		fmt.Sprintf(`document.activeElement === document.getElementById("qa-title") && document.getElementById("qa-title").value === "Your questions" && document.getElementById("qa-moderated").checked &&
		 document.querySelector(%s).matches(".is-editing.is-copy") && document.getElementById("prepare-heading").textContent === %s`,
			JS(Card(dup)), JS(hostT.T("en", "team.editing", "title", "Your questions"))),
		`[document.activeElement.id, document.getElementById("prepare-heading").textContent]`))
	must(t, host.WaitJS(Patience, "the copy said", heard(hostT.T("en", "team.copyEditing", "title", "Your questions")), `window.__said`))
	checkAxe(t, host, runAxe(t, host, axe))
	_, err = Eval[chromedp.Void](host, `document.getElementById("qa-title").value = ""`)
	must(t, err)
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("qa-title"), "Questions, round two"),
		chromedp.Click(chromedp.CSS(`#form-qa button[type=submit]`)),
	))
	must(t, host.WaitJS(Patience, "the edited draft", fmt.Sprintf(`document.querySelector(%s).textContent === "Questions, round two"`, JS(Card(dup)+" h3")), consoleErrors))
	must(t, host.Do(chromedp.Click(chromedp.CSS(Card(dup)+` .card-prepare button[data-action="delete"]`))))
	must(t, host.Do(chromedp.Click(chromedp.CSS(Card(dup)+` button[data-action="delete-yes"]`))))
	must(t, host.WaitJS(Patience, "the draft deleted", fmt.Sprintf(`document.querySelector(%s) === null && document.querySelectorAll("#activities > article").length === 1`, JS(Card(dup))), consoleErrors))

	must(t, mod.WaitJS(Patience, "the draft gone from the moderator's console too", `document.querySelectorAll("#activities > article").length === 1`, ""))

	// The phone goes: joined stays, connected now drops, on both consoles.
	phone.close()
	for _, tab := range []*Tab{host, mod} {
		must(t, tab.WaitJS(Patience, "none connected on the "+tab.Name, fmt.Sprintf(`%s === %s`, textOf("#participants"), JS(presence(1, 0))), textOf("#participants")))
	}

	// The speaker queue, run by the moderator: a speaker on the video call
	// added by hand gets the floor, and the moderator runs the timer; the
	// host's console sees each step.
	must(t, chooseKind(host, "queue"))
	must(t, host.Do(
		chromedp.SendKeys(chromedp.ID("queue-title"), "Speakers"),
		chromedp.SetValue(chromedp.ID("queue-seconds"), "120"),
		chromedp.Click(chromedp.CSS(`#form-queue button[type=submit]`)),
	))
	queue, err := waitCard(host, "Speakers")
	must(t, err)
	must(t, PresentAndOpen(host, queue))
	qcard := Card(queue)
	must(t, mod.WaitJS(Patience, "the queue on the moderator's console", fmt.Sprintf(`document.querySelector(%s) !== null`, JS(qcard+" .queue-add-name")), consoleErrors))
	must(t, mod.Do(
		chromedp.SendKeys(chromedp.CSS(qcard+" .queue-add-name"), "Zoë (video call)"),
		chromedp.Click(chromedp.CSS(qcard+" .queue-add button[type=submit]")),
	))
	must(t, host.WaitJS(Patience, "the speaker the moderator added, on the host's console", fmt.Sprintf(`%s.some(r => r.startsWith("Zoë (video call)"))`, rowsOf(qcard)), rowsOf(qcard)+".join(' / ')"))
	clickText := func(tab *Tab, text string) {
		t.Helper()
		_, err := Eval[chromedp.Void](tab, fmt.Sprintf(`[...document.querySelectorAll(%s)].find(b => b.textContent === %s && b.offsetParent !== null).click()`, JS(qcard+" button"), JS(text)))
		must(t, err)
	}
	must(t, mod.WaitJS(Patience, "the moderator's next-speaker button", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(b => b.textContent === %s && !b.disabled && b.offsetParent !== null)`, JS(qcard+" button"), JS(hostT.T("en", "queue.next"))), ""))
	clickText(mod, hostT.T("en", "queue.next"))
	must(t, host.WaitJS(Patience, "the floor on the host's console", fmt.Sprintf(`%s === "Zoë (video call)"`, textOf(qcard+" .speaker-name")), textOf(qcard+" .speaking")))
	must(t, mod.WaitJS(Patience, "the moderator's pause button", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(b => b.textContent === %s && b.offsetParent !== null)`, JS(qcard+" button"), JS(hostT.T("en", "queue.pause"))), ""))
	clickText(mod, hostT.T("en", "queue.pause"))
	must(t, host.WaitJS(Patience, "the timer paused on the host's console", fmt.Sprintf(`[...document.querySelectorAll(%s)].some(b => b.textContent === %s)`, JS(qcard+" button"), JS(hostT.T("en", "queue.resume"))), textOf(qcard+" .speaking")))
	clickText(mod, hostT.T("en", "queue.add60"))
	must(t, mod.WaitJS(Patience, "a minute more, without an error", fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !e || e.textContent === ""; })()`, JS(qcard+" .card-error")), ""))

	// The host saves the plan; the file makes the next session.
	dir := t.TempDir()
	yes := true
	_, err = chromedp.CallBrowser(host.Ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: "allow", DownloadPath: dir, BrowserContextID: chromedp.FromContext(host.Ctx).BrowserContextID, EventsEnabled: &yes})
	must(t, err)
	must(t, host.Do(chromedp.Click(chromedp.ID("save-plan"))))
	file := filepath.Join(dir, "townhall-plan-"+created.Code+".json")
	var plan struct {
		Title      any `json:"title"`
		Activities []struct {
			Kind, Title string
			Moderated   bool
		} `json:"activities"`
	}
	deadline := time.Now().Add(Patience)
	for {
		b, err := os.ReadFile(file)
		if err == nil && json.Unmarshal(b, &plan) == nil {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(dir)
			t.Fatalf("no plan downloaded to %s (%v): %v; the console says %s", file, err, entries, consoleErrors)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if plan.Title != "Team meeting" || len(plan.Activities) != 2 || plan.Activities[0].Title != "Your questions" || !plan.Activities[0].Moderated ||
		plan.Activities[1].Kind != "queue" {
		t.Fatalf("the plan: %+v", plan)
	}

	next := newTab(t, "next console", ScreenWidth, ScreenHeight)
	must(t, next.Do(
		chromedp.Navigate(srv.URL()+"/host/"),
		chromedp.WaitVisible(chromedp.ID("plan-file")),
		chromedp.SetUploadFiles(chromedp.ID("plan-file"), []string{file}),
	))
	must(t, next.WaitJS(Patience, "the plan read", fmt.Sprintf(`document.getElementById("plan-status").textContent === %s && document.getElementById("create-title").value === "Team meeting"`,
		JS(hostT.T("en", "team.planChosen", "title", "Team meeting", "n", 2))), `document.getElementById("create").innerText`))
	checkAxe(t, next, runAxe(t, next, axe))
	_, err = Eval[chromedp.Void](next, `document.getElementById("create-title").value = ""`)
	must(t, err)
	must(t, next.Do(
		chromedp.SendKeys(chromedp.ID("create-title"), "Team meeting, June"),
		chromedp.Click(chromedp.ID("create-submit")),
	))
	must(t, next.WaitJS(Patience, "the next session's console with the plan's activity, a draft",
		`/^\/host\/[^/]+$/.test(location.pathname) && document.getElementById("session-heading").textContent === "Team meeting, June" &&
		 [...document.querySelectorAll("#activities > article")].some(a => a.querySelector("h3").textContent === "Your questions" && a.querySelector(".tag-state").dataset.state === "draft")`,
		`location.href + " " + document.body.innerText.slice(0, 400)`))
	if id, err := Eval[string](next, `location.pathname.split("/")[2]`); err != nil || id == created.ID {
		t.Fatalf("the plan made no new session: %q (%v)", id, err)
	}
}
