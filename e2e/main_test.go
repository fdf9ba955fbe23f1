package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	staticDir = "../static"
	axePath   = "node_modules/axe-core/axe.min.js"
	// testTimeout bounds one browser test; the whole suite takes far less.
	testTimeout = 2 * time.Minute
)

// suite holds what TestMain prepares once for every browser test: the
// server binary and one running Chromium.
var suite struct {
	missing string // why the browser tests cannot run, or ""
	bin     string
	browser context.Context
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "townhall-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	if !HaveChromium() {
		suite.missing = "Chromium is not installed at " + ChromiumPath + " (make deps installs Debian's chromium)"
		return m.Run()
	}
	suite.bin = filepath.Join(tmp, "townhall")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	err = BuildServer(ctx, ".", "../cmd/townhall", suite.bin)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), BrowserOptions(filepath.Join(tmp, "profile"))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The first Do starts Chromium; it lives as long as browser.
	if err := chromedp.Do(browser); err != nil {
		fmt.Fprintln(os.Stderr, "starting Chromium:", err)
		return 1
	}
	suite.browser = browser
	return m.Run()
}

// requireBrowser skips the test when Chromium is missing, or fails it in CI.
func requireBrowser(t *testing.T) {
	t.Helper()
	if suite.missing == "" {
		return
	}
	if os.Getenv(EnvCI) == "true" {
		t.Fatal(suite.missing)
	}
	t.Skip(suite.missing)
}

// startServer runs a fresh server with its own store for the test.
func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := StartServer(context.Background(), suite.bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", s.Logs())
		}
	})
	return s
}

// newTab opens a tab in a fresh browser context; the test ends it.
func newTab(t *testing.T, name string, w, h int64) *Tab {
	t.Helper()
	tab, err := NewTab(suite.browser, name, w, h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, testTimeout)
	tab.Ctx = ctx
	t.Cleanup(func() {
		if ex := tab.Exceptions(); len(ex) > 0 {
			t.Logf("%s: uncaught exceptions in the page:\n  %s", name, strings.Join(ex, "\n  "))
		}
		cancel()
		tab.Cancel()
	})
	return tab
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tables loads a page's translations or fails the test.
func tables(t *testing.T, pageName string) Tables {
	t.Helper()
	tb, err := LoadTables(staticDir, pageName)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
