package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// i18nPages maps each translation table to the files that use it.
var i18nPages = map[string][]string{
	"landing":  {"index.html", "js/landing.js"},
	"attendee": {"attendee.html", "js/attendee.js"},
	"host":     {"host.html", "js/host.js", "js/segments.js"},
	"show":     {"show.html", "js/show.js", "js/wordcloud.js", "js/segments.js"},
	"report":   {"report.html", "js/report.js"},
}

var languages = []string{"en", "fr", "es"}

var (
	dataI18n     = regexp.MustCompile(`data-i18n="([^"]*)"`)
	dataI18nAttr = regexp.MustCompile(`data-i18n-attr="([^"]*)"`)
	// t("key") and t('key') and t(`key`) without interpolation.
	tLiteral = regexp.MustCompile("(?:^|[^\\w.$])t\\(\\s*(?:\"([^\"]+)\"|'([^']+)'|`([^`$]+)`)")
	// The attendee page passes keys to helpers that call t(key).
	keyArgs     = regexp.MustCompile(`(?:messageScreen|loading)\(\s*"([^"]+)"(?:\s*,\s*"([^"]+)")?`)
	placeholder = regexp.MustCompile(`\{(\w+)\}`)
)

// TestTranslations checks the tables: English, French and Spanish have the
// same keys, none is empty, the same {placeholders} appear in each, and
// every key that the HTML and the page scripts use is in the page's table.
func TestTranslations(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(staticDir, "i18n", "*.json"))
	must(t, err)
	if len(files) == 0 {
		t.Fatal("no translation tables in static/i18n")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			tb := tables(t, name)
			var langs []string
			for l := range tb {
				langs = append(langs, l)
			}
			sort.Strings(langs)
			if !slices.Equal(langs, []string{"en", "es", "fr"}) {
				t.Errorf("languages %v; want en, es, fr", langs)
			}
			for key, en := range tb["en"] {
				wantVars := vars(en)
				for _, l := range languages {
					s, ok := tb[l][key]
					switch {
					case !ok:
						t.Errorf("%s: %q is missing", l, key)
					case strings.TrimSpace(s) == "":
						t.Errorf("%s: %q is empty", l, key)
					case !slices.Equal(vars(s), wantVars):
						t.Errorf("%s: %q has placeholders %v; English has %v", l, key, vars(s), wantVars)
					}
				}
			}
			for _, l := range languages[1:] {
				for key := range tb[l] {
					if _, ok := tb["en"][key]; !ok {
						t.Errorf("%s: %q is not in English", l, key)
					}
				}
			}

			uses := i18nPages[name]
			if uses == nil {
				t.Fatalf("no page uses the table %s.json", name)
			}
			used := 0
			for _, file := range uses {
				b, err := os.ReadFile(filepath.Join(staticDir, file))
				if err != nil {
					t.Fatal(err)
				}
				for _, key := range usedKeys(string(b)) {
					used++
					for _, l := range languages {
						if _, ok := tb[l][key]; !ok {
							t.Errorf("%s uses %q, which %s.json lacks in %s", file, key, name, l)
						}
					}
				}
			}
			if used == 0 {
				t.Errorf("found no translation keys in %v", uses)
			}
		})
	}
}

// vars returns the sorted placeholder names of s.
func vars(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// usedKeys finds the translation keys in an HTML file or a page script.
func usedKeys(src string) []string {
	var keys []string
	for _, m := range dataI18n.FindAllStringSubmatch(src, -1) {
		keys = append(keys, m[1])
	}
	for _, m := range dataI18nAttr.FindAllStringSubmatch(src, -1) {
		for _, pair := range strings.Split(m[1], ";") {
			if _, key, ok := strings.Cut(pair, ":"); ok && strings.TrimSpace(key) != "" {
				keys = append(keys, strings.TrimSpace(key))
			}
		}
	}
	for _, re := range []*regexp.Regexp{tLiteral, keyArgs} {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			for _, k := range m[1:] {
				if k != "" {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// TestLanguage: a browser whose language is French gets the attendee page
// in French; the switcher turns it to Spanish, and the choice survives a
// reload.
func TestLanguage(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	att := tables(t, "attendee")
	land := tables(t, "landing")

	// A Chromium of its own, started in French.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), BrowserOptions(t.TempDir(),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
		chromedp.Env("LANGUAGE=fr_FR:fr", "LANG=fr_FR.UTF-8"),
	)...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	must(t, chromedp.Do(browser))
	tab, err := NewTab(browser, "French phone", PhoneWidth, PhoneHeight)
	must(t, err)
	defer tab.Cancel()
	ctx, cancel := context.WithTimeout(tab.Ctx, testTimeout)
	defer cancel()
	tab.Ctx = ctx

	langs, err := Eval[[]string](tab, `navigator.languages`)
	must(t, err)
	if len(langs) == 0 || !strings.HasPrefix(langs[0], "fr") {
		t.Fatalf("the browser's languages are %v; want French first", langs)
	}

	// A session with nothing presented: the attendee sees the waiting screen.
	host := newTab(t, "console", ScreenWidth, ScreenHeight)
	created, err := CreateSession(host, srv.URL(), "Réunion")
	must(t, err)

	must(t, tab.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))))
	must(t, tab.WaitJS(Patience, "the landing page in French", fmt.Sprintf(`document.documentElement.lang === "fr" && document.querySelector("h1").textContent === %s`, JS(land.T("fr", "heading"))), `[document.documentElement.lang, document.querySelector("h1").textContent]`))

	must(t, JoinFromLanding(tab, srv.URL(), created.Code))
	waiting := func(lang string) {
		t.Helper()
		must(t, tab.WaitJS(Patience, "the attendee page in "+lang, fmt.Sprintf(`document.documentElement.lang === %s && document.querySelector("#main h1").textContent === %s && document.querySelector("[data-i18n=\"lang.label\"]").textContent === %s`,
			JS(lang), JS(att.T(lang, "waiting.title")), JS(att.T(lang, "lang.label"))),
			`[document.documentElement.lang, document.getElementById("main").innerText]`))
	}
	waiting("fr")

	_, err = Eval[chromedp.Void](tab, `(() => { const s = document.getElementById("lang"); s.value = "es"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	must(t, err)
	waiting("es")
	must(t, tab.Do(chromedp.Reload()))
	waiting("es")
	stored, err := Eval[string](tab, `localStorage.getItem("townhall.lang")`)
	must(t, err)
	if stored != "es" {
		t.Errorf("the stored language is %q; want es", stored)
	}
}
