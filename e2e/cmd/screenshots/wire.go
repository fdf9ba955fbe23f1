package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/townhall/townhall/e2e"
)

// The pictures after the first ones set their sessions up over HTTP and
// the websocket, as a facilitator's console and attendees' phones would,
// and load only the page they picture.

// postJSON posts body to the server's path and decodes the answer into out.
func postJSON(ctx context.Context, srv *e2e.Server, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, data)
	}
	return json.Unmarshal(data, out)
}

// createSession creates a session with POST /api/sessions; extra adds
// fields to the body (e.g. "constituencies").
func createSession(ctx context.Context, srv *e2e.Server, title string, extra map[string]any) (e2e.Created, error) {
	body := map[string]any{"title": title}
	for k, v := range extra {
		body[k] = v
	}
	var c e2e.Created
	err := postJSON(ctx, srv, "/api/sessions", body, &c)
	return c, err
}

// wsClient is one websocket connection: a facilitator's or a phone's.
type wsClient struct {
	name     string
	idPrefix string // the name in the characters a command id may have
	ws       *websocket.Conn
	ctx      context.Context
	stop     context.CancelFunc

	mu      sync.Mutex
	seq     int
	waiting map[string]chan answer
	done    chan struct{}
	ended   error    // why the read loop ended
	strays  []string // errors that named no waiting command
}

// idSafe keeps of name the characters that a command id may have.
func idSafe(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == ':', r == '-':
			return r
		}
		return '-'
	}, name)
}

// answer is the server's ack or error to a command.
type answer struct {
	Type     string          `json:"type"`
	ID       string          `json:"id"`
	Code     string          `json:"code"`
	Message  string          `json:"message"`
	Activity json.RawMessage `json:"activity"`
	Entry    string          `json:"entry"`
}

// dial connects with token and waits for the welcome.
func dial(ctx context.Context, srv *e2e.Server, name, token string) (*wsClient, error) {
	cctx, stop := context.WithCancel(ctx)
	ws, _, err := websocket.Dial(cctx, "ws://"+srv.Addr+"/ws", nil)
	if err != nil {
		stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ws.SetReadLimit(4 << 20)
	c := &wsClient{name: name, idPrefix: idSafe(name), ws: ws, ctx: cctx, stop: stop, waiting: map[string]chan answer{}, done: make(chan struct{})}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "token": token, "since": 0})
	if err := ws.Write(cctx, websocket.MessageText, hello); err != nil {
		c.close()
		return nil, fmt.Errorf("%s: hello: %w", name, err)
	}
	for {
		_, data, err := ws.Read(cctx)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("%s: waiting for the welcome: %w", name, err)
		}
		var m answer
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.Type == "error" {
			c.close()
			return nil, fmt.Errorf("%s: %s: %s", name, m.Code, m.Message)
		}
		if m.Type == "welcome" {
			break
		}
	}
	go c.read()
	return c, nil
}

// read hands acks and errors to the commands that wait for them, and
// drops the pushes.
func (c *wsClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			c.mu.Lock()
			c.ended = err
			c.mu.Unlock()
			return
		}
		var m answer
		if json.Unmarshal(data, &m) != nil || (m.Type != "ack" && m.Type != "error") {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[m.ID]
		delete(c.waiting, m.ID)
		if ch == nil && m.Type == "error" {
			c.strays = append(c.strays, m.Code+": "+m.Message)
		}
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// do sends a command and waits for its ack.
func (c *wsClient) do(op string, args map[string]any) (answer, error) {
	c.mu.Lock()
	c.seq++
	id := fmt.Sprintf("%s-%d", c.idPrefix, c.seq)
	ch := make(chan answer, 1)
	c.waiting[id] = ch
	c.mu.Unlock()
	cmd := map[string]any{"type": "cmd", "id": id, "op": op}
	for k, v := range args {
		cmd[k] = v
	}
	frame, _ := json.Marshal(cmd)
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return answer{}, fmt.Errorf("%s: %s: %w", c.name, op, err)
	}
	select {
	case m := <-ch:
		if m.Type != "ack" {
			return m, fmt.Errorf("%s: %s: %s %s", c.name, op, m.Code, m.Message)
		}
		return m, nil
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		return answer{}, fmt.Errorf("%s: no answer to %s within 15 s (connection: %v; errors: %v)", c.name, op, c.ended, c.strays)
	}
}

// create creates an activity from its spec and returns its id.
func (c *wsClient) create(spec map[string]any) (string, error) {
	m, err := c.do("activity.create", map[string]any{"activity": spec})
	if err != nil {
		return "", err
	}
	var id string
	if err := json.Unmarshal(m.Activity, &id); err != nil || id == "" {
		return "", fmt.Errorf("%s: the ack of activity.create names no activity: %s", c.name, m.Activity)
	}
	return id, nil
}

// presentAndOpen presents the activity and opens it.
func (c *wsClient) presentAndOpen(id string) error {
	if _, err := c.do("activity.present", map[string]any{"activity": id}); err != nil {
		return err
	}
	_, err := c.do("activity.open", map[string]any{"activity": id})
	return err
}

func (c *wsClient) close() {
	c.stop()
	c.ws.CloseNow()
}

// room is one session set up over the wire: its facilitator and phones.
type room struct {
	srv     *e2e.Server
	created e2e.Created
	fac     *wsClient
	phones  []*wsClient
}

// openRoom creates a session and connects its facilitator.
func openRoom(ctx context.Context, srv *e2e.Server, title string, extra map[string]any) (*room, error) {
	created, err := createSession(ctx, srv, title, extra)
	if err != nil {
		return nil, err
	}
	fac, err := dial(ctx, srv, "facilitator", created.FacilitatorKey)
	if err != nil {
		return nil, err
	}
	return &room{srv: srv, created: created, fac: fac}, nil
}

// join joins a phone with POST /api/join (name and constituency may be
// empty) and connects it.
func (r *room) join(ctx context.Context, name, constituency string) (*wsClient, error) {
	body := map[string]string{"code": r.created.Code}
	if name != "" {
		body["name"] = name
	}
	if constituency != "" {
		body["constituency"] = constituency
	}
	var j struct {
		Token string `json:"token"`
	}
	if err := postJSON(ctx, r.srv, "/api/join", body, &j); err != nil {
		return nil, err
	}
	label := name
	if label == "" {
		label = fmt.Sprintf("phone %d", len(r.phones)+1)
	}
	p, err := dial(ctx, r.srv, label, j.Token)
	if err != nil {
		return nil, err
	}
	r.phones = append(r.phones, p)
	return p, nil
}

func (r *room) close() {
	for _, p := range r.phones {
		p.close()
	}
	r.fac.close()
}
