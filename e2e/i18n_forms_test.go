package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// frSpaceBefore finds a breaking space (or none) where French typography
// wants a no-break one: before : ; ! ? and », after «. A line must never
// start with the punctuation its word ends with.
var frSpaceBefore = regexp.MustCompile(`(?:[ \t\n]|[^\s\x{00a0}\x{202f}])[:;!?»]|«(?:[ \t\n]|[^\s\x{00a0}\x{202f}])`)

// frPercent finds a % after a breaking space or after no space at all.
var frPercent = regexp.MustCompile(`(?:[ \t\n]|[^\s\x{00a0}\x{202f}])%`)

// TestFrenchTypography: every French string puts a no-break space (U+00A0
// or the narrow U+202F) before : ; ! ? », % and after «, and its
// apostrophes are ’, not the typewriter's '.
func TestFrenchTypography(t *testing.T) {
	t.Parallel()
	for _, name := range tableNames(t) {
		tb := tables(t, name)
		for key, s := range tb["fr"] {
			// A URL's colon, a time's, and "{…}:" of a placeholder's
			// own text are not French punctuation.
			probe := regexp.MustCompile(`https?://\S+|\d:\d`).ReplaceAllString(s, "")
			if m := frSpaceBefore.FindString(probe); m != "" {
				t.Errorf("%s.json fr %q: %q has %q, without a no-break space", name, key, s, m)
			}
			if m := frPercent.FindString(s); m != "" {
				t.Errorf("%s.json fr %q: %q has %q: French puts a no-break space before %%", name, key, s, m)
			}
			if strings.Contains(s, "'") {
				t.Errorf("%s.json fr %q: %q has a straight apostrophe, not ’", name, key, s)
			}
		}
	}
	// The check can fail: it finds what it is for.
	for _, bad := range []string{"Question :", "Vraiment ?", "Oui!", "« Titre »", "a; b"} {
		if frSpaceBefore.FindString(bad) == "" {
			t.Errorf("the check misses %q", bad)
		}
	}
	for _, bad := range []string{"{pct} %", "{pct}%", "38%"} {
		if frPercent.FindString(bad) == "" {
			t.Errorf("the percent check misses %q", bad)
		}
	}
	if frPercent.FindString("{pct}\u202f%") != "" || frPercent.FindString("38\u00a0%") != "" {
		t.Error("the percent check refuses a no-break space")
	}
	for _, good := range []string{"Question\u00a0:", "Vraiment\u202f?", "«\u202fTitre\u202f»", "a\u202f; b"} {
		if m := frSpaceBefore.FindString(good); m != "" {
			t.Errorf("the check refuses %q (%q)", good, m)
		}
	}
}

// pluralCall finds plural("key" in a page script (i18n.js plural).
var pluralCall = regexp.MustCompile(`(?:^|[^\w.$])plural\(\s*"([^"]+)"`)

// TestPluralForms: every key a page script passes to plural() has its
// general form and its "one" form in every language of its page's table
// (TestTranslations checks their placeholders), and the tables' forms are
// picked by the language's rule.
func TestPluralForms(t *testing.T) {
	t.Parallel()
	for _, name := range tableNames(t) {
		tb := tables(t, name)
		for _, file := range i18nPages[name] {
			b, err := os.ReadFile(filepath.Join(staticDir, file))
			must(t, err)
			for _, m := range pluralCall.FindAllStringSubmatch(string(b), -1) {
				for _, l := range languages {
					for _, k := range []string{m[1], m[1] + ".one"} {
						if _, ok := tb[l][k]; !ok {
							t.Errorf("%s passes %q to plural(), but %s.json lacks %q in %s", file, m[1], name, k, l)
						}
					}
				}
			}
		}
	}
	// French puts 0 with 1; English and Spanish do not.
	rep := tables(t, "report")
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{{"fr", 0, "0 mot différent affiché"}, {"fr", 1, "1 mot différent affiché"}, {"fr", 2, "2 mots différents affichés"},
		{"en", 0, "0 different words shown"}, {"en", 1, "1 different word shown"}, {"es", 1, "1 palabra distinta mostrada"}} {
		if got := rep.T(c.lang, "wc.wordsShown", "n", c.n); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func tableNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(staticDir, "i18n", "*.json"))
	must(t, err)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	if len(names) == 0 {
		t.Fatal("no translation tables")
	}
	return names
}
