package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Viewport sizes: a phone for attendees, a laptop for the console and the
// projector.
const (
	PhoneWidth, PhoneHeight   = 390, 844
	ScreenWidth, ScreenHeight = 1280, 800
)

// Patience is how long a page may take to show what a step expects. The
// waits end as soon as the page shows it; the margin is for busy CI
// machines that run other packages' tests at the same time.
const Patience = 20 * time.Second

// Tab is one page of the browser. Every tab made by NewTab has its own
// browser context (its own localStorage), as separate phones would; it
// records the JavaScript dialogs that opened (and dismisses them) and the
// uncaught exceptions.
type Tab struct {
	Ctx    context.Context
	Cancel context.CancelFunc
	Name   string

	mu         sync.Mutex
	dialogs    []string
	exceptions []string
}

// NewTab opens a tab of size w×h in a fresh browser context of the browser
// that browserCtx has started.
func NewTab(browserCtx context.Context, name string, w, h int64) (*Tab, error) {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	tab := &Tab{Ctx: ctx, Cancel: cancel, Name: name}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		cancel()
		return nil, fmt.Errorf("open tab %s: %w", name, err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			tab.mu.Lock()
			tab.dialogs = append(tab.dialogs, string(ev.Type)+": "+ev.Message)
			tab.mu.Unlock()
			// A dialog blocks the page: close it from outside the event loop.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			tab.mu.Lock()
			tab.exceptions = append(tab.exceptions, text)
			tab.mu.Unlock()
		}
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return tab, nil
}

// Dialogs returns the JavaScript dialogs (alert, confirm, prompt) that the
// page opened.
func (t *Tab) Dialogs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.dialogs...)
}

// Exceptions returns the page's uncaught exceptions.
func (t *Tab) Exceptions() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.exceptions...)
}

// Do runs actions in the tab.
func (t *Tab) Do(steps ...chromedp.Action[chromedp.Void]) error {
	if err := chromedp.Do(t.Ctx, steps...); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the tab and decodes its value.
func Eval[T any](t *Tab, expr string) (T, error) {
	v, err := chromedp.Run(t.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		return v, fmt.Errorf("%s: evaluating %.80q: %w", t.Name, expr, err)
	}
	return v, nil
}

// WaitJS polls the JavaScript expression every 100 ms until it is truthy,
// for at most timeout. It survives navigations (the expression is simply
// evaluated again in the new document). On timeout the error carries the
// value of explain, an expression that tells what the page showed instead.
func (t *Tab) WaitJS(timeout time.Duration, what, expr, explain string) error {
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := chromedp.Run(t.Ctx, chromedp.Evaluate[bool]("!!(() => { try { return ("+expr+"); } catch (e) { return false; } })()"))
		if err == nil && ok {
			return nil
		}
		lastErr = err
		if time.Now().After(deadline) || t.Ctx.Err() != nil {
			msg := fmt.Sprintf("%s: timed out after %s waiting for %s", t.Name, timeout, what)
			if explain != "" {
				if v, err := chromedp.Run(t.Ctx, chromedp.Evaluate[[]byte]("(() => { try { return ("+explain+"); } catch (e) { return String(e); } })()")); err == nil {
					msg += "; the page shows " + string(v)
				}
			}
			if lastErr != nil {
				msg += fmt.Sprintf(" (last error: %v)", lastErr)
			}
			return fmt.Errorf("%s", msg)
		}
		select {
		case <-t.Ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// JS quotes s as a JavaScript string literal.
func JS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// textOf is an expression for the trimmed text of the first element that
// matches sel, or null.
func textOf(sel string) string {
	return fmt.Sprintf("(document.querySelector(%s) || {}).textContent", JS(sel))
}

// Tables holds a page's translation tables: language → key → text.
type Tables map[string]map[string]string

// LoadTables reads static/i18n/<page>.json.
func LoadTables(staticDir, pageName string) (Tables, error) {
	b, err := os.ReadFile(filepath.Join(staticDir, "i18n", pageName+".json"))
	if err != nil {
		return nil, err
	}
	var t Tables
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s.json: %w", pageName, err)
	}
	return t, nil
}

// T renders key in lang with the {name} variables replaced, as i18n.js's t
// does.
// A variable n that is a whole number picks the key's plural form
// ("key.one"), as i18n.js does.
func (t Tables) T(lang, key string, vars ...any) string {
	for i := 0; i+1 < len(vars); i += 2 {
		if vars[i] != "n" {
			continue
		}
		if n, err := strconv.Atoi(strings.Map(digitsOnly, fmt.Sprint(vars[i+1]))); err == nil && PluralOne(lang, n) {
			if _, ok := t[lang][key+".one"]; ok {
				key += ".one"
			}
		}
	}
	s, ok := t[lang][key]
	if !ok {
		s = t["en"][key]
	}
	for i := 0; i+1 < len(vars); i += 2 {
		s = strings.ReplaceAll(s, "{"+fmt.Sprint(vars[i])+"}", fmt.Sprint(vars[i+1]))
	}
	return s
}

// PluralOne says whether n takes a table's "one" form in lang, as
// Intl.PluralRules says of whole numbers: French puts 0 with 1.
func PluralOne(lang string, n int) bool {
	if strings.HasPrefix(lang, "fr") {
		return n == 0 || n == 1
	}
	return n == 1
}

func digitsOnly(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	if r == ',' || r == '.' || r == ' ' || r == '\u00a0' || r == '\u202f' {
		return -1
	}
	// Not a formatted count: Atoi then refuses it.
	return 'x'
}

// ---- the facilitator console ----

// CreateSession fills the console's create form on /host/ and waits for the
// console of the new session. It returns the create answer that the console
// keeps in localStorage (id, code, keys, links).
func CreateSession(t *Tab, base, title string) (Created, error) {
	var c Created
	err := t.Do(
		chromedp.Navigate(base+"/host/"),
		chromedp.WaitVisible(chromedp.ID("create-title")),
		chromedp.SendKeys(chromedp.ID("create-title"), title),
		chromedp.Click(chromedp.ID("create-submit")),
	)
	if err != nil {
		return c, err
	}
	if err := t.WaitJS(Patience, "the console of the new session",
		`/^\/host\/[^/]+$/.test(location.pathname) && !document.getElementById("console").hidden && document.getElementById("status").dataset.status === "online"`,
		`location.href + " " + document.body.innerText.slice(0, 300)`); err != nil {
		return c, err
	}
	raw, err := Eval[string](t, `localStorage.getItem("townhall.host." + decodeURIComponent(location.pathname.split("/")[2]))`)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return c, fmt.Errorf("the console's stored session: %w", err)
	}
	if c.ID == "" || c.FacilitatorKey == "" || c.DisplayKey == "" || c.Code == "" {
		return c, fmt.Errorf("the console stored an incomplete session: %s", raw)
	}
	return c, nil
}

// consoleErrors is an expression for every error the console shows: its
// alert and the error lines beside the forms and cards.
const consoleErrors = `[document.getElementById("alert-text").textContent, ...[...document.querySelectorAll(".field-error, .card-error")].map(e => e.textContent)].filter(Boolean).join(" | ")`

// chooseKind switches the console's "Prepare an activity" form.
func chooseKind(t *Tab, kind string) error {
	_, err := Eval[chromedp.Void](t, fmt.Sprintf(`(() => { const s = document.getElementById("kind-select"); s.value = %s; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, JS(kind)))
	if err != nil {
		return err
	}
	return t.Do(chromedp.WaitVisible(chromedp.ID("form-" + kind)))
}

// waitCard waits for the card of the activity titled title and returns the
// activity's id.
func waitCard(t *Tab, title string) (string, error) {
	expr := fmt.Sprintf(`(() => { for (const a of document.querySelectorAll("#activities > article")) if (a.querySelector("h3").textContent === %s) return a.dataset.key || ""; return ""; })()`, JS(title))
	if err := t.WaitJS(Patience, "the card of "+title, expr, consoleErrors); err != nil {
		return "", err
	}
	return Eval[string](t, expr)
}

// Card is the CSS selector of an activity's card in the console.
func Card(id string) string {
	return fmt.Sprintf(`#activities > article[data-key=%s]`, JS(id))
}

// AddPoll creates a single-choice poll with the console's form and returns
// its id.
func AddPoll(t *Tab, title string, options []string) (string, error) {
	if err := chooseKind(t, "poll"); err != nil {
		return "", err
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.ID("poll-title"), title)}
	for i := 2; i < len(options); i++ {
		steps = append(steps, chromedp.Click(chromedp.ID("poll-add")))
	}
	for i, o := range options {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS(fmt.Sprintf("#poll-options > li:nth-child(%d) input", i+1)), o))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(`#form-poll button[type=submit]`)))
	if err := t.Do(steps...); err != nil {
		return "", err
	}
	return waitCard(t, title)
}

// AddWordCloud creates a word cloud that takes up to maxEntries words per
// participant and shows flagged words (marked for the facilitator).
func AddWordCloud(t *Tab, title string, maxEntries int) (string, error) {
	if err := chooseKind(t, "wordcloud"); err != nil {
		return "", err
	}
	_, err := Eval[chromedp.Void](t, `(() => { const s = document.getElementById("wc-moderation"); s.value = "show"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	if err != nil {
		return "", err
	}
	err = t.Do(
		chromedp.SendKeys(chromedp.ID("wc-title"), title),
		chromedp.SetValue(chromedp.ID("wc-max-entries"), fmt.Sprint(maxEntries)),
		chromedp.Click(chromedp.CSS(`#form-wordcloud button[type=submit]`)),
	)
	if err != nil {
		return "", err
	}
	return waitCard(t, title)
}

// AddQA creates an unmoderated Q&A board.
func AddQA(t *Tab, title string) (string, error) {
	if err := chooseKind(t, "qa"); err != nil {
		return "", err
	}
	err := t.Do(
		chromedp.SendKeys(chromedp.ID("qa-title"), title),
		chromedp.Click(chromedp.CSS(`#form-qa button[type=submit]`)),
	)
	if err != nil {
		return "", err
	}
	return waitCard(t, title)
}

// AddQueue creates a speaker queue with the speaking time and constituencies.
func AddQueue(t *Tab, title string, seconds int, constituencies []string) (string, error) {
	if err := chooseKind(t, "queue"); err != nil {
		return "", err
	}
	err := t.Do(
		chromedp.SendKeys(chromedp.ID("queue-title"), title),
		chromedp.SetValue(chromedp.ID("queue-seconds"), fmt.Sprint(seconds)),
		chromedp.SendKeys(chromedp.ID("queue-constituencies"), strings.Join(constituencies, "\n")),
		chromedp.Click(chromedp.CSS(`#form-queue button[type=submit]`)),
	)
	if err != nil {
		return "", err
	}
	return waitCard(t, title)
}

// PresentAndOpen clicks the card's "Present" and "Open" buttons and waits
// until the console shows the activity presented and open.
func PresentAndOpen(t *Tab, id string) error {
	card := Card(id)
	if err := t.Do(chromedp.Click(chromedp.CSS(card + ` .activity-controls .actions > button:nth-child(1)`))); err != nil {
		return err
	}
	if err := t.WaitJS(Patience, "the activity presented", fmt.Sprintf(`document.querySelector(%s).classList.contains("is-presented")`, JS(card)), consoleErrors); err != nil {
		return err
	}
	if err := t.Do(chromedp.Click(chromedp.CSS(card + ` .activity-controls .actions > button:nth-child(2)`))); err != nil {
		return err
	}
	return t.WaitJS(Patience, "the activity open", fmt.Sprintf(`document.querySelector(%s + " .tag-state").dataset.state === "open"`, JS(card)), consoleErrors)
}

// ShowLink returns the display link that the console shows.
func ShowLink(t *Tab) (string, error) {
	if err := t.WaitJS(Patience, "the display link", `!document.getElementById("show-link-row").hidden && document.getElementById("show-link").href.includes("/show/")`, ""); err != nil {
		return "", err
	}
	return Eval[string](t, `document.getElementById("show-link").href`)
}

// ---- the attendee page ----

// JoinFromLanding types the code on the landing page, submits it and waits
// for the attendee page to be connected.
func JoinFromLanding(t *Tab, base, code string) error {
	err := t.Do(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.CSS(`#join button[type=submit]`)),
	)
	if err != nil {
		return err
	}
	return WaitAttendeeReady(t, TrimCode(code))
}

// WaitAttendeeReady waits until the attendee page for code shows something
// other than its loading and joining screens.
func WaitAttendeeReady(t *Tab, code string) error {
	return t.WaitJS(Patience, "the attendee page",
		fmt.Sprintf(`location.pathname === %s && document.querySelector("#main > section") !== null && !document.querySelector("#main > .loading")`, JS("/j/"+code)),
		`location.href + " " + document.getElementById("main").innerText.slice(0, 200)`)
}

// OptionButton is the CSS selector of option i (from 0) on the attendee's
// poll.
func OptionButton(i int) string {
	return fmt.Sprintf(`#main .poll .options > button.opt:nth-child(%d)`, i+1)
}

// WaitPollOpen waits until the attendee page shows a poll with n options
// that can be chosen.
func WaitPollOpen(t *Tab, n int) error {
	return t.WaitJS(Patience, "an open poll", fmt.Sprintf(`document.querySelectorAll("#main .poll .options > button.opt:not([aria-disabled])").length === %d`, n),
		`document.getElementById("main").innerText.slice(0, 300)`)
}

// Vote clicks option i and waits for the confirmation text received.
func Vote(t *Tab, i int, received string) error {
	if err := t.Do(chromedp.Click(chromedp.CSS(OptionButton(i)))); err != nil {
		return err
	}
	return t.WaitJS(Patience, "the vote's confirmation",
		fmt.Sprintf(`%s === %s && document.querySelector(%s).getAttribute("aria-checked") === "true"`, textOf("#main .poll .confirm"), JS(received), JS(OptionButton(i))),
		fmt.Sprintf(`[%s, document.getElementById("alert").textContent]`, textOf("#main .poll .confirm")))
}

// WaitIdle waits until no CSS animation or transition runs in the page, so
// that bars are drawn at their final size.
func WaitIdle(t *Tab) error {
	return t.WaitJS(Patience, "the animations to end", `document.getAnimations().filter(a => a.playState === "running").length === 0`, "")
}

// hearLive keeps every text the live region id holds from now on, in
// window.__said, so that a test can find an announcement that a later one
// has already replaced, as a screen reader would have heard it.
func hearLive(tab *Tab, id string) error {
	_, err := Eval[bool](tab, fmt.Sprintf(`(() => { const r = document.getElementById(%s); window.__said = []; new MutationObserver(() => window.__said.push(r.textContent)).observe(r, {childList: true, subtree: true, characterData: true}); return true; })()`, JS(id)))
	return err
}

// heard is true once the region hearLive keeps has said want.
func heard(want string) string {
	return fmt.Sprintf(`(window.__said || []).includes(%s)`, JS(want))
}
