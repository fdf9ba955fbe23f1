package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/eventlog"
	"github.com/townhall/townhall/hub"
)

// testServer is a real server on a loopback port with an embedded store.
type testServer struct {
	*httptest.Server
	store eventlog.Store
	hubs  *hub.Manager
	web   *Server
}

func newTestServer(t *testing.T, mod func(*Config, *hub.Config)) *testServer {
	t.Helper()
	store, err := eventlog.OpenEmbedded(eventlog.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	hcfg := hub.Config{LiveInterval: 20 * time.Millisecond, AttendeeInterval: 40 * time.Millisecond,
		Metrics: hub.NewMetrics(prometheus.NewRegistry())}
	wcfg := Config{Store: store, Secret: []byte("test secret"), Gatherer: prometheus.NewRegistry()}
	if mod != nil {
		mod(&wcfg, &hcfg)
	}
	hubs := hub.NewManager(wcfg.Store, hcfg)
	wcfg.Hubs = hubs
	web := New(wcfg)
	// Served as main serves it: with the Config's timeouts.
	srv := httptest.NewUnstartedServer(web)
	srv.Config = web.HTTPServer()
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hubs.Shutdown(ctx)
		srv.Close()
		store.Close()
	})
	return &testServer{Server: srv, store: store, hubs: hubs, web: web}
}

func (s *testServer) post(t *testing.T, path string, body any, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

func (s *testServer) get(t *testing.T, path, key string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type created struct {
	ID, Code, FacilitatorKey, DisplayKey string
}

func (s *testServer) create(t *testing.T, title string) created {
	t.Helper()
	st, out, _ := s.post(t, "/api/sessions", map[string]string{"title": title})
	if st != http.StatusCreated {
		t.Fatalf("create: %d %v", st, out)
	}
	return created{out["id"].(string), out["code"].(string), out["facilitatorKey"].(string), out["displayKey"].(string)}
}

func (s *testServer) join(t *testing.T, code string) string {
	t.Helper()
	st, out, _ := s.post(t, "/api/join", map[string]string{"code": code})
	if st != http.StatusOK {
		t.Fatalf("join: %d %v", st, out)
	}
	return out["token"].(string)
}

// client is a websocket client that records every message.
type client struct {
	t    *testing.T
	ws   *websocket.Conn
	mu   sync.Mutex
	msgs []map[string]any
	raw  [][]byte
	// closeErr is how the read loop ended.
	closeErr error
	done     chan struct{}
	next     atomic.Int64
	paused   atomic.Bool
	resume   chan struct{}
}

func (s *testServer) dial(t *testing.T, header http.Header) *client {
	t.Helper()
	c, _ := s.dialWith(t, &websocket.DialOptions{HTTPHeader: header})
	return c
}

// dialWith dials with opts, and returns the server's answer to the upgrade
// beside the client.
func (s *testServer) dialWith(t *testing.T, opts *websocket.DialOptions) (*client, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.URL, "http")+"/ws", opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 24)
	c := &client{t: t, ws: ws, done: make(chan struct{}), resume: make(chan struct{}, 1)}
	go c.readLoop()
	t.Cleanup(func() { ws.CloseNow() })
	return c, resp
}

// connect dials and says hello, waiting for the welcome.
func (s *testServer) connect(t *testing.T, token string) *client {
	t.Helper()
	c := s.dial(t, nil)
	c.sendRaw(map[string]any{"type": "hello", "token": token, "since": 0})
	c.waitFor("welcome", func(m map[string]any) bool { return m["type"] == "welcome" })
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	for {
		if c.paused.Load() {
			<-c.resume
		}
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.closeErr = err
			c.mu.Unlock()
			return
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		c.mu.Lock()
		c.msgs = append(c.msgs, m)
		c.raw = append(c.raw, data)
		c.mu.Unlock()
	}
}

func (c *client) sendRaw(v any) {
	c.t.Helper()
	var b []byte
	switch v := v.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		b, _ = json.Marshal(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// cmd sends a command and returns its ack or error.
func (c *client) cmd(op string, args map[string]any) map[string]any {
	c.t.Helper()
	id := fmt.Sprintf("c-%d", c.next.Add(1))
	return c.cmdID(id, op, args)
}

func (c *client) cmdID(id, op string, args map[string]any) map[string]any {
	c.t.Helper()
	m := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		m[k] = v
	}
	c.mu.Lock()
	from := len(c.msgs)
	c.mu.Unlock()
	c.sendRaw(m)
	return c.waitFrom(from, "answer to "+id, func(m map[string]any) bool {
		return (m["type"] == "ack" || m["type"] == "error") && m["id"] == id
	})
}

// waitFor waits for a message matching ok, among all received so far or
// to come.
func (c *client) waitFor(what string, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	return c.waitFrom(0, what, ok)
}

func (c *client) waitFrom(from int, what string, ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		for _, m := range c.msgs[from:] {
			if ok(m) {
				c.mu.Unlock()
				return m
			}
		}
		from = len(c.msgs)
		closed := c.closeErr
		c.mu.Unlock()
		if closed != nil {
			c.t.Fatalf("waiting for %s: connection ended: %v", what, closed)
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// latest returns the most recent message matching ok, or nil.
func (c *client) latest(ok func(map[string]any) bool) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.msgs) - 1; i >= 0; i-- {
		if ok(c.msgs[i]) {
			return c.msgs[i]
		}
	}
	return nil
}

// waitClosed waits for the connection to end and returns its close status.
func (c *client) waitClosed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(15 * time.Second):
		c.t.Fatal("connection did not close")
	}
	return websocket.CloseStatus(c.closeErr)
}

func (c *client) count(ok func(map[string]any) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if ok(m) {
			n++
		}
	}
	return n
}

// activityOf returns the activity view in a welcome, session or activity
// message, or nil.
func activityOf(m map[string]any, id string) map[string]any {
	if a, ok := m["activity"].(map[string]any); ok && a["id"] == id {
		return a
	}
	if v, ok := m["view"].(map[string]any); ok {
		acts, _ := v["activities"].([]any)
		for _, x := range acts {
			if a, ok := x.(map[string]any); ok && a["id"] == id {
				return a
			}
		}
	}
	return nil
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// send makes one request with a raw body and content type (none if
// empty), then header pairs, and decodes a JSON answer if there is one.
func (s *testServer) send(t *testing.T, method, path, contentType, body string, header ...string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out, res.Header
}

// errCode is the code of an HTTP error answer, or "".
func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// exported returns a session's export.
func (s *testServer) exported(t *testing.T, sess created) map[string]any {
	t.Helper()
	st, body := s.get(t, "/api/sessions/"+sess.ID+"/export", sess.FacilitatorKey)
	if st != http.StatusOK {
		t.Fatalf("export: %d %s", st, body)
	}
	var x map[string]any
	if err := json.Unmarshal(body, &x); err != nil {
		t.Fatal(err)
	}
	return x
}
