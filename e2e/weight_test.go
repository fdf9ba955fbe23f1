package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// attendeeBudget is what a phone on a slow network downloads to take part.
const attendeeBudget = 50 * 1024

// TestAttendeeWeight: everything the attendee page loads (HTML, scripts,
// styles, translations), gzip-compressed as the server sends it, stays under
// 50 KB, and its websocket is compressed.
func TestAttendeeWeight(t *testing.T) {
	requireBrowser(t)
	srv := startServer(t)
	r := openPollRoom(t, srv, 0)

	phone := newTab(t, "phone", PhoneWidth, PhoneHeight)
	var mu sync.Mutex
	loaded := map[string]network.ResourceType{}
	var extensions []string
	must(t, chromedp.Listen(phone.Ctx, func(ev any) {
		switch ev := ev.(type) {
		case *network.EventResponseReceived:
			if ev.Response.Status == http.StatusOK {
				mu.Lock()
				loaded[ev.Response.URL] = ev.Type
				mu.Unlock()
			}
		case *network.EventWebSocketHandshakeResponseReceived:
			mu.Lock()
			for k, v := range ev.Response.Headers {
				if strings.EqualFold(k, "Sec-WebSocket-Extensions") {
					extensions = append(extensions, fmt.Sprint(v))
				}
			}
			mu.Unlock()
		}
	}))
	must(t, phone.Do(chromedp.Navigate(srv.URL()+"/j/"+r.created.Code)))
	must(t, WaitAttendeeReady(phone, r.created.Code))
	must(t, WaitPollOpen(phone, len(r.options)))

	mu.Lock()
	// The live views are compressed too: the browser offers
	// permessage-deflate and the server takes it without context takeover
	// (hub/deflate.go).
	if len(extensions) == 0 || !strings.Contains(extensions[0], "permessage-deflate") || !strings.Contains(extensions[0], "server_no_context_takeover") {
		t.Errorf("the phone's websocket negotiated %q, want permessage-deflate without context takeover", extensions)
	}
	var urls []string
	for u, typ := range loaded {
		p, err := url.Parse(u)
		if err != nil || p.Host != srv.Addr || strings.HasPrefix(p.Path, "/api/") || p.Path == "/ws" {
			continue
		}
		switch typ {
		case network.ResourceTypeDocument, network.ResourceTypeScript, network.ResourceTypeStylesheet,
			network.ResourceTypeFetch, network.ResourceTypeXHR, network.ResourceTypeFont, network.ResourceTypeImage:
			urls = append(urls, u)
		}
	}
	mu.Unlock()
	sort.Strings(urls)

	for _, want := range []string{"/j/" + r.created.Code, "/static/js/attendee.js", "/static/js/conn.js", "/static/js/i18n.js",
		"/static/css/base.css", "/static/css/attendee.css", "/static/i18n/attendee.json"} {
		if !contains(urls, srv.URL()+want) {
			t.Errorf("the page did not load %s (it loaded %v)", want, urls)
		}
	}

	// Fetch each again with gzip and count the bytes on the wire.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	total := 0
	var report []string
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		must(t, err)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		must(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		must(t, err)
		enc := res.Header.Get("Content-Encoding")
		if len(body) > 1024 && enc != "gzip" {
			t.Errorf("%s is sent uncompressed (%d bytes)", u, len(body))
		}
		total += len(body)
		report = append(report, fmt.Sprintf("  %6d  %-4s %s", len(body), enc, strings.TrimPrefix(u, srv.URL())))
	}
	t.Logf("attendee page transfer, compressed: %d bytes\n%s", total, strings.Join(report, "\n"))
	if total >= attendeeBudget {
		t.Errorf("the attendee page transfers %d bytes compressed; the budget is %d", total, attendeeBudget)
	}
}
