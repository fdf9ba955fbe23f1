package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
	"github.com/townhall/townhall/internal/redistest"
	"github.com/townhall/townhall/web"
)

// instance is one Townhall instance (web over hub over a store) on a
// loopback port.
type instance struct {
	url   string
	store eventlog.Store
	hubs  *hub.Manager
}

func startInstance(t *testing.T, store eventlog.Store) *instance {
	t.Helper()
	hubs := hub.NewManager(store, hub.Config{LiveInterval: 20 * time.Millisecond, AttendeeInterval: 40 * time.Millisecond,
		PresenceInterval: 100 * time.Millisecond})
	srv := httptest.NewServer(web.New(web.Config{Store: store, Hubs: hubs, Secret: []byte("presence secret"), Gatherer: prometheus.NewRegistry()}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hubs.Shutdown(ctx)
		srv.Close()
	})
	return &instance{url: srv.URL, store: store, hubs: hubs}
}

func (in *instance) post(t *testing.T, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(in.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %v", path, res.StatusCode, out)
	}
	return out
}

// peer is a websocket client that keeps the last SessionView it was sent.
type peer struct {
	ws   *websocket.Conn
	mu   sync.Mutex
	view map[string]any
	done chan struct{}
}

func (in *instance) connect(t *testing.T, token string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(in.url, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 22)
	p := &peer{ws: ws, done: make(chan struct{})}
	t.Cleanup(func() { ws.CloseNow(); <-p.done })
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": token, "since": 0})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.done)
		for {
			_, data, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m struct {
				Type string         `json:"type"`
				View map[string]any `json:"view"`
			}
			if json.Unmarshal(data, &m) == nil && (m.Type == "welcome" || m.Type == "session") {
				p.mu.Lock()
				p.view = m.View
				p.mu.Unlock()
			}
		}
	}()
	waitFor(t, "the welcome", func() bool { return p.last() != nil })
	return p
}

func (p *peer) last() map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view
}

// connected is the "connected" of the last SessionView, or -1 without one.
func (p *peer) connected() int {
	n, ok := p.last()["connected"].(float64)
	if !ok {
		return -1
	}
	return int(n)
}

func (p *peer) close() {
	p.ws.Close(websocket.StatusNormalClosure, "")
	<-p.done
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitConnected(t *testing.T, who string, p *peer, want int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to say connected %d", who, want), func() bool { return p.connected() == want })
}

// Phones on two instances of one deployment (one real Redis) are counted
// together in "connected", on the facilitator's console on one and the
// display on the other; a phone that leaves leaves the count; a count
// that its instance stops renewing (a crash) drops out by itself; and
// phones are never told the count.
func TestConnectedCountsPhonesOnEveryInstance(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.Options{})
	open := func() *eventlog.Redis {
		s, err := eventlog.OpenRedis(t.Context(), eventlog.RedisConfig{URL: srv.URL()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	storeA := open()
	a, b := startInstance(t, storeA), startInstance(t, open())

	s := a.post(t, "/api/sessions", map[string]string{"title": "Hall"})
	code := s["code"].(string)
	host := a.connect(t, s["facilitatorKey"].(string))
	show := b.connect(t, s["displayKey"].(string))
	waitConnected(t, "the console", host, 0)
	waitConnected(t, "the display", show, 0)

	var phones []*peer
	for i, in := range []*instance{a, a, b} {
		tok := in.post(t, "/api/join", map[string]string{"code": code})["token"].(string)
		phones = append(phones, in.connect(t, tok))
		waitConnected(t, "the console", host, i+1)
	}
	waitConnected(t, "the display", show, 3)
	if n := phones[0].connected(); n != -1 {
		t.Fatalf("a phone was told connected = %d", n)
	}

	phones[2].close()
	waitConnected(t, "the console", host, 2)
	waitConnected(t, "the display", show, 2)

	// An instance that counted 5 phones and then crashed: nobody removes
	// its count, which holds for three presence intervals.
	if _, err := storeA.Presence(t.Context(), s["id"].(string), "crashed", 5, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitConnected(t, "the display", show, 7)
	waitConnected(t, "the display", show, 2)
	waitConnected(t, "the console", host, 2)
}

// With the embedded store the count is this instance's connections.
func TestConnectedCountsLocalPhones(t *testing.T) {
	t.Parallel()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	in := startInstance(t, store)
	s := in.post(t, "/api/sessions", map[string]string{"title": "Room"})
	host := in.connect(t, s["facilitatorKey"].(string))
	show := in.connect(t, s["displayKey"].(string))
	waitConnected(t, "the console", host, 0)
	tok := in.post(t, "/api/join", map[string]string{"code": s["code"].(string)})["token"].(string)
	// One phone, two tabs: connections, not participants.
	p1, p2 := in.connect(t, tok), in.connect(t, tok)
	waitConnected(t, "the console", host, 2)
	waitConnected(t, "the display", show, 2)
	p1.close()
	p2.close()
	waitConnected(t, "the console", host, 0)
	waitConnected(t, "the display", show, 0)
}
