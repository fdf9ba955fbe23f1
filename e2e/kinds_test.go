package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	// A kind module is cut into sections, one per page, by these lines;
	// each section's keys belong to that page's table.
	kindSection = regexp.MustCompile(`(?m)^// ---- page: (\w+) ----$`)
	kindName    = regexp.MustCompile(`(?m)^export const kind = "([a-z]+)";$`)
	// el(tag, {i18n: "key"}) sets the text from the table (and again after
	// a change of language).
	i18nProp = regexp.MustCompile(`\bi18n: "([^"]+)"`)
	// The kind list of static/js/kinds/index.js: one quoted name a line.
	kindLine = regexp.MustCompile(`(?m)^\s*"([a-z]+)",$`)
)

// TestKindModules checks the kind modules (static/js/kinds/): every kind of
// index.js has its module and every module is listed there, each says its
// own kind, each translation key used in a page's section (host, show,
// attendee) is in that page's table in every language, and no key is used
// outside a section.
func TestKindModules(t *testing.T) {
	dir := filepath.Join(staticDir, "js", "kinds")
	index, err := os.ReadFile(filepath.Join(dir, "index.js"))
	must(t, err)
	var listed []string
	for _, m := range kindLine.FindAllStringSubmatch(string(index), -1) {
		listed = append(listed, m[1])
	}
	if len(listed) == 0 {
		t.Fatal("index.js lists no kinds")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.js"))
	must(t, err)
	var found []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".js")
		if name == "index" {
			continue
		}
		found = append(found, name)
		if !slices.Contains(listed, name) {
			t.Errorf("kinds/%s.js is not listed in kinds/index.js", name)
		}
	}
	for _, k := range listed {
		if !slices.Contains(found, k) {
			t.Errorf("kinds/index.js lists %q, which has no kinds/%s.js", k, k)
		}
	}

	pages := map[string]Tables{}
	for _, name := range found {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, name+".js"))
			must(t, err)
			src := string(b)
			if m := kindName.FindStringSubmatch(src); m == nil || m[1] != name {
				t.Errorf("kinds/%s.js does not say export const kind = %q", name, name)
			}
			cuts := kindSection.FindAllStringSubmatchIndex(src, -1)
			if len(cuts) == 0 {
				t.Fatalf("kinds/%s.js has no // ---- page: <page> ---- sections", name)
			}
			if keys := moduleKeys(src[:cuts[0][0]]); len(keys) > 0 {
				t.Errorf("kinds/%s.js uses %v before its first page section", name, keys)
			}
			used := 0
			for i, c := range cuts {
				page := src[c[2]:c[3]]
				end := len(src)
				if i+1 < len(cuts) {
					end = cuts[i+1][0]
				}
				tb, ok := pages[page]
				if !ok {
					tb = tables(t, page)
					pages[page] = tb
				}
				for _, key := range moduleKeys(src[c[1]:end]) {
					used++
					for _, l := range languages {
						if _, ok := tb[l][key]; !ok {
							t.Errorf("kinds/%s.js (%s) uses %q, which %s.json lacks in %s", name, page, key, page, l)
						}
					}
				}
			}
			if used == 0 {
				t.Errorf("found no translation keys in kinds/%s.js", name)
			}
		})
	}
}

func moduleKeys(src string) []string {
	keys := usedKeys(src)
	for _, m := range i18nProp.FindAllStringSubmatch(src, -1) {
		keys = append(keys, m[1])
	}
	return keys
}
