// Command screenshots renders the README's pictures of Townhall: it builds
// and starts the server, runs a session with a live poll and a few votes
// through the real pages in the system's Chromium, and writes
// docs/screenshots/{landing,attendee,console,display,moderator}.png; then
// sets up more sessions over the websocket, as consoles and phones would,
// and pictures the display with a scale, a quiz's results, two languages
// and a spotlighted question, and the printable report
// ({scale,quiz,bilingual,spotlight,report}.png).
//
// Run it from the repository with `make screenshots` (or
// `go run ./e2e/cmd/screenshots`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/townhall/townhall/e2e"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the Townhall module (no go.mod found)")
		}
		dir = parent
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("screenshots", flag.ContinueOnError)
	out := fs.String("out", "docs/screenshots", "folder for the PNG files, relative to the module root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !e2e.HaveChromium() {
		return fmt.Errorf("chromium is not installed at %s (make deps installs Debian's chromium)", e2e.ChromiumPath)
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, *out)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "townhall-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	bin := filepath.Join(tmp, "townhall")
	if err := e2e.BuildServer(ctx, root, "./cmd/townhall", bin); err != nil {
		return err
	}
	srv, err := e2e.StartServer(ctx, bin, filepath.Join(tmp, "data"))
	if err != nil {
		return err
	}
	defer srv.Stop()

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), e2e.BrowserOptions(filepath.Join(tmp, "profile"))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		return fmt.Errorf("starting Chromium: %w", err)
	}

	s := &shooter{browser: browser, root: root, dir: outDir, stdout: stdout}
	defer s.close()
	if err := s.session(srv); err != nil {
		return err
	}
	if err := s.moderator(srv); err != nil {
		return err
	}
	for _, picture := range []func(context.Context, *e2e.Server) error{s.scale, s.quiz, s.bilingual, s.report, s.spotlight} {
		if err := picture(ctx, srv); err != nil {
			return err
		}
	}
	return nil
}

type shooter struct {
	browser context.Context
	root    string
	dir     string
	stdout  io.Writer
	tabs    []*e2e.Tab
}

func (s *shooter) tab(name string, w, h int64) (*e2e.Tab, error) {
	t, err := e2e.NewTab(s.browser, name, w, h)
	if err != nil {
		return nil, err
	}
	s.tabs = append(s.tabs, t)
	return t, nil
}

func (s *shooter) close() {
	for _, t := range s.tabs {
		t.Cancel()
	}
}

// shoot writes the tab's viewport to <name>.png.
func (s *shooter) shoot(t *e2e.Tab, name string) error {
	if err := e2e.WaitIdle(t); err != nil {
		return err
	}
	png, err := chromedp.Run(t.Ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	path := filepath.Join(s.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(s.stdout, "wrote %s (%d bytes)\n", path, len(png))
	return nil
}

func (s *shooter) session(srv *e2e.Server) error {
	att, err := e2e.LoadTables(filepath.Join(s.root, "static"), "attendee")
	if err != nil {
		return err
	}
	received := att.T("en", "poll.received")

	landing, err := s.tab("landing", e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return err
	}
	if err := landing.Do(chromedp.Navigate(srv.URL()+"/"), chromedp.WaitVisible(chromedp.ID("code"))); err != nil {
		return err
	}
	if err := s.shoot(landing, "landing"); err != nil {
		return err
	}

	host, err := s.tab("console", e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return err
	}
	created, err := e2e.CreateSession(host, srv.URL(), "Riverside town meeting")
	if err != nil {
		return err
	}
	options := []string{"A new library", "Safer bike lanes", "A community garden"}
	poll, err := e2e.AddPoll(host, "What should the town fund first?", options)
	if err != nil {
		return err
	}
	if err := e2e.PresentAndOpen(host, poll); err != nil {
		return err
	}
	// Show the results on the phones too.
	if err := host.Do(chromedp.Click(chromedp.CSS(e2e.Card(poll) + " .reveal label:nth-of-type(1) input"))); err != nil {
		return err
	}
	link, err := e2e.ShowLink(host)
	if err != nil {
		return err
	}

	var last *e2e.Tab
	for i, choice := range []int{1, 0, 1, 2, 1, 0, 1} {
		phone, err := s.tab(fmt.Sprintf("attendee %d", i+1), e2e.PhoneWidth, e2e.PhoneHeight)
		if err != nil {
			return err
		}
		if err := e2e.JoinFromLanding(phone, srv.URL(), created.Code); err != nil {
			return err
		}
		if err := e2e.WaitPollOpen(phone, len(options)); err != nil {
			return err
		}
		if err := e2e.Vote(phone, choice, received); err != nil {
			return err
		}
		last = phone
	}
	if err := last.WaitJS(e2e.Patience, "the results on the phone", `document.querySelectorAll("#main .results li").length === 3 && !document.querySelector("#main .resbox").hidden`, ""); err != nil {
		return err
	}
	if err := s.shoot(last, "attendee"); err != nil {
		return err
	}

	display, err := s.tab("display", e2e.ScreenWidth, e2e.ScreenHeight)
	if err != nil {
		return err
	}
	if err := display.Do(chromedp.Navigate(link)); err != nil {
		return err
	}
	if err := display.WaitJS(e2e.Patience, "the votes on the display", `[...document.querySelectorAll(".show-poll .poll-count")].map(e => e.textContent).join() === "2,4,1"`, ""); err != nil {
		return err
	}
	if err := s.shoot(display, "display"); err != nil {
		return err
	}
	if err := host.WaitJS(e2e.Patience, "the votes on the console", `document.querySelectorAll(".bar-row").length === 3`, ""); err != nil {
		return err
	}
	return s.shoot(host, "console")
}
