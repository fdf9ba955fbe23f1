package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// rxEmojis are the contract's reactions, with what the pages show.
var rxEmojis = [][2]string{{"applause", "👏"}, {"heart", "❤️"}, {"thumbsup", "👍"}, {"laugh", "😂"}, {"think", "🤔"}}

// TestReactionsFlow: the facilitator turns reactions on from the console;
// two phones tap; the display floats the emoji up beside the results (a
// display that asks for less motion counts them instead), the console
// counts them, screen readers hear them, and the export has them per
// minute.
func TestReactionsFlow(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	hostT, showT, attT := tables(t, "host"), tables(t, "show"), tables(t, "attendee")

	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Warm-up")
	must(t, err)
	link, err := ShowLink(host)
	must(t, err)
	display := newTab(t, "display", ScreenWidth, ScreenHeight)
	must(t, display.Do(chromedp.Navigate(link)))
	still := newTab(t, "display with less motion", ScreenWidth, ScreenHeight)
	_, err = chromedp.Call(still.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
	must(t, err)
	must(t, still.Do(chromedp.Navigate(link)))

	var phones []*Tab
	for i := range 2 {
		p := newTab(t, fmt.Sprintf("phone %d", i+1), PhoneWidth, PhoneHeight)
		must(t, JoinFromLanding(p, srv.URL(), created.Code))
		phones = append(phones, p)
	}
	// Off, the phones show no reactions.
	for _, p := range phones {
		must(t, p.WaitJS(Patience, "no reactions row yet", `document.querySelector(".rx-bar") !== null && document.querySelector(".rx-bar").hidden`, ""))
	}

	// The switch, by its label, as a person finds it.
	must(t, host.WaitJS(Patience, "the reactions switch", fmt.Sprintf(`(() => {
		const box = document.getElementById("rx-switch");
		const label = document.querySelector("label[for=rx-switch]");
		return box && box.getAttribute("role") === "switch" && !box.checked && label.textContent === %s;
	})()`, JS(hostT.T("en", "reactions.switch"))), ""))
	must(t, host.Do(chromedp.Click(chromedp.CSS(`label[for=rx-switch]`))))

	for _, p := range phones {
		must(t, p.WaitJS(Patience, "five reaction buttons, each named", fmt.Sprintf(`(() => {
			const bar = document.querySelector(".rx-bar");
			if (!bar || bar.hidden) return false;
			const names = [...bar.querySelectorAll("button.rx-btn")].map(b => b.getAttribute("aria-label"));
			const big = [...bar.querySelectorAll("button.rx-btn")].every(b => b.getBoundingClientRect().height >= 44);
			return JSON.stringify(names) === %s && big;
		})()`, JS(mustJSON(rxLabels(attT)))), `document.querySelector(".rx-bar").outerHTML.slice(0, 400)`))
	}
	// Phone 1 claps twice, phone 2 sends a heart; a third tap in the same
	// second would be past what the server counts, so the page holds it.
	tap := func(p *Tab, emoji string) {
		t.Helper()
		must(t, p.Do(chromedp.Click(chromedp.CSS(`.rx-btn[data-emoji=`+emoji+`]`))))
	}
	tap(phones[0], "applause")
	tap(phones[0], "applause")
	tap(phones[0], "applause")
	tap(phones[1], "heart")
	want := map[string]int{"applause": 2, "heart": 1}

	// What shows the last ten seconds first, while they are the last ten.
	must(t, still.WaitJS(Patience, "a counter instead of floats", `(() => {
		const c = document.querySelector(".rx-counter");
		return getComputedStyle(c).display !== "none" && c.textContent.includes("👏 2") && c.textContent.includes("❤️ 1") &&
			document.querySelectorAll(".rx-float").length === 0;
	})()`, `document.querySelector(".rx-counter").textContent`))
	heard := showT.T("en", "reactions.live", "list", showT.T("en", "reactions.applause")+" 2, "+showT.T("en", "reactions.heart")+" 1")
	for _, d := range []*Tab{display, still} {
		must(t, d.WaitJS(Patience, "the reactions said to screen readers", fmt.Sprintf(`[...document.querySelectorAll(".rx-layer [aria-live]")].some(e => e.textContent === %s)`, JS(heard)),
			`[...document.querySelectorAll(".rx-layer [aria-live]")].map(e => e.textContent)`))
	}
	must(t, host.WaitJS(Patience, "the console's counts of the last minute", `(() => {
		const n = (e) => document.querySelector("#rx-counts [data-emoji=" + e + "] .rx-n").textContent;
		return n("applause") === "2" && n("heart") === "1" && n("laugh") === "0";
	})()`, `document.getElementById("rx-counts").innerText`))

	// The floats live three seconds: a slow machine may have missed them,
	// so the phones tap again until the display is seen floating both.
	deadline := time.Now().Add(2 * Patience)
	for {
		err := display.WaitJS(5*time.Second, "the reactions floating up the display", `(() => {
			const f = [...document.querySelectorAll(".rx-layer .rx-float")].map(e => e.dataset.emoji);
			return f.includes("applause") && f.includes("heart");
		})()`, `document.querySelector(".rx-layer").outerHTML.slice(0, 300)`)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		tap(phones[0], "applause")
		tap(phones[1], "heart")
		want["applause"]++
		want["heart"]++
	}
	// They float in the stage's margin, over none of what the stage shows.
	must(t, display.WaitJS(Patience, "the floats beside the stage's content", `(() => {
		const lane = document.querySelector(".rx-layer").getBoundingClientRect();
		const stage = document.getElementById("stage");
		const pad = parseFloat(getComputedStyle(stage).paddingLeft);
		return lane.width > 0 && lane.right <= stage.getBoundingClientRect().left + pad + 0.5;
	})()`, `JSON.stringify(document.querySelector(".rx-layer").getBoundingClientRect())`))

	// axe-core stays clean on each page with its reactions shown, and on
	// the phone with a button in its "too fast" state (a late tap above
	// may or may not have left one there).
	must(t, phones[0].Do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".rx-btn").classList.add("rx-wait")`)))
	src := axeSource(t)
	for _, tab := range []*Tab{phones[0], host, display, still} {
		checkAxe(t, tab, runAxe(t, tab, src))
	}

	// The record: a tally event within 10 s, per minute in the export.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var x struct {
			Reactions []struct {
				Minute string         `json:"minute"`
				Counts map[string]int `json:"counts"`
			} `json:"reactions"`
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		must(t, srv.Export(ctx, created.ID, created.FacilitatorKey, &x))
		cancel()
		sum := map[string]int{}
		for _, m := range x.Reactions {
			if _, err := time.Parse(time.RFC3339, m.Minute); err != nil || !strings.HasSuffix(m.Minute, ":00Z") {
				t.Fatalf("a minute of the export: %q", m.Minute)
			}
			for k, v := range m.Counts {
				sum[k] += v
			}
		}
		if sum["applause"] == want["applause"] && sum["heart"] == want["heart"] && sum["laugh"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the export's reactions: %+v", x.Reactions)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Off again: the phones' row goes, and the display's layer with it.
	must(t, host.Do(chromedp.Click(chromedp.CSS(`label[for=rx-switch]`))))
	for _, p := range phones {
		must(t, p.WaitJS(Patience, "the reactions row gone", `document.querySelector(".rx-bar").hidden`, ""))
	}
	must(t, display.WaitJS(Patience, "the display's reactions gone", `document.querySelector(".rx-layer").hidden`, ""))
}

func rxLabels(tb Tables) []string {
	var out []string
	for _, e := range rxEmojis {
		out = append(out, tb.T("en", "reactions."+e[0]))
	}
	return out
}

// The reactions module is cut into page sections like a kind module; each
// section's keys, and every emoji's label, are in that page's table in
// every language.
func TestReactionsModule(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(staticDir, "js", "reactions.js"))
	must(t, err)
	src := string(b)
	cuts := kindSection.FindAllStringSubmatchIndex(src, -1)
	if len(cuts) != 3 {
		t.Fatalf("reactions.js has %d page sections, want attendee, host and show", len(cuts))
	}
	if keys := moduleKeys(src[:cuts[0][0]]); len(keys) > 0 {
		t.Errorf("reactions.js uses %v before its first page section", keys)
	}
	for i, c := range cuts {
		page := src[c[2]:c[3]]
		end := len(src)
		if i+1 < len(cuts) {
			end = cuts[i+1][0]
		}
		tb := tables(t, page)
		keys := moduleKeys(src[c[1]:end])
		for _, e := range rxEmojis {
			keys = append(keys, "reactions."+e[0])
		}
		for _, key := range keys {
			for _, l := range languages {
				if _, ok := tb[l][key]; !ok {
					t.Errorf("reactions.js (%s) uses %q, which %s.json lacks in %s", page, key, page, l)
				}
			}
		}
	}
}
